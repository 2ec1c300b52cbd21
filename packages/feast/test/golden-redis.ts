// The golden fixtures as Redis state and as the values a reader must produce (service-backed tests).
import type { Cluster, Redis } from "ioredis";
import { fixture } from "./definitions.js";
import { expectedValue, golden } from "./golden.js";

export async function loadGoldenHashes(client: Redis | Cluster): Promise<void> {
  for (const hash of golden.redis_state_after_all_writes) {
    const key = Buffer.from(hash.redis_key_hex, "hex");
    await client.del(key);
    await client.hset(
      key,
      ...hash.fields.flatMap((field) => [
        Buffer.from(field.field_hex, "hex"),
        Buffer.from(field.value_hex, "hex"),
      ]),
    );
  }
}

export function expectedRow(id: string): Record<string, unknown> {
  return Object.fromEntries(
    fixture(id).features.map((feature) => [feature.feature, expectedValue(feature.typed_value)]),
  );
}

export function eventTimeOf(id: string): number {
  const { seconds, nanos } = fixture(id).event_timestamp;
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}
