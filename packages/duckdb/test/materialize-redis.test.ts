// Materialization into a real Redis (a private redis-server per suite): values land through the
// Redis store's LWW writes, and a held run leaves the Redis values untouched.
import { batch, createContextStore, defineEntity } from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { redisStore } from "@ctxstore/redis";
import { type RedisServer, redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore, materialize } from "../src/index.js";

const available = redisServerAvailable();
if (!available) {
  if (process.env.CI === "true")
    throw new Error(
      "redis-server is required in CI for the duckdb materialize suite; install it (apt-get install -y redis-server).",
    );
  console.warn("SKIPPING @ctxstore/duckdb materialize-redis suite: redis-server is not on PATH.");
}

const T0 = Date.parse("2026-02-01T00:00:00Z");
const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });
const stats = batch("order_stats", {
  entity: customer,
  schema: z.object({ orders: z.number() }),
  section: "Orders",
  render: (value) => `${value.orders} orders`,
});

describe.skipIf(!available)("materialize into Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({ label: "duckdb-materialize" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("publishes, holds a zero burst with Redis keeping its values, then publishes when forced", async () => {
    const online = redisStore({ url: server.url, prefix: "mat:" });
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    // The writer's clock is past every run's event times: core refuses event times ahead of it.
    const context = createContextStore({ sources: [stats], online, now: () => T0 + 7 * 86_400_000 });
    offline.register([stats]);
    const rows = (day: number, zeroEvery: number) =>
      Array.from({ length: 120 }, (_, index) => ({
        source: stats,
        key: { customerId: `c${index}` },
        value: { orders: index % zeroEvery === 0 ? 0 : index + day },
        eventTime: T0 + day * 86_400_000,
        writeTime: T0 + day * 86_400_000,
      }));
    const read = async (id: string) => {
      const result = await online.read({
        records: [{ entity: "customer", key: `customerId=${id}`, field: sourceField(stats), kind: "value" }],
      });
      const record = result.records[0];
      return record?.kind === "value" ? record.envelope?.value : record;
    };
    try {
      await offline.record(rows(0, 40));
      expect((await materialize({ offline, context, batchSize: 25 })).sources[0]).toMatchObject({
        status: "published",
        applied: 120,
      });
      expect(await read("c7")).toEqual({ orders: 7 });
      await offline.record(rows(1, 2));
      const held = await materialize({ offline, context });
      expect(held.held).toEqual(["order_stats"]);
      expect(await read("c2")).toEqual({ orders: 2 });
      const forced = await materialize({ offline, context, force: true });
      expect(forced.sources[0]).toMatchObject({ status: "published", forced: true, applied: 120 });
      expect(await read("c2")).toEqual({ orders: 0 });
      expect(await read("c3")).toEqual({ orders: 4 });
    } finally {
      await offline.close();
      await online.close();
    }
  });
});
