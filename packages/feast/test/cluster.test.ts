// Feast sources on a real 3-master Redis Cluster. Feast's keys carry no hash tag, so each entity's
// Feast hash lands on the slot of its whole key (CRC16 of entity key + project), independent of the
// ctxstore hash of the same entity: a read still costs one HMGET per hash, sent as one pipeline per
// node in parallel (one round trip), but may touch more nodes.
import { createContextStore } from "@ctxstore/core";
import { clusterSlot, redisStore } from "@ctxstore/redis";
import {
  commandStats,
  type RedisClusterHandle,
  redisServerAvailable,
  sendCommand,
  startRedisCluster,
} from "@ctxstore/redis/testing";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withFeast } from "../src/index.js";
import { customerNotes, goldenReads } from "./definitions.js";
import { golden } from "./golden.js";
import { expectedRow, loadGoldenHashes } from "./golden-redis.js";

const available = redisServerAvailable();

describe.skipIf(!available)("Feast sources on a 3-master cluster", () => {
  let cluster: RedisClusterHandle;
  let admin: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    admin = new Cluster(cluster.nodes as Array<{ host: string; port: number }>);
    await loadGoldenHashes(admin);
  });
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  it("reads Feast hashes spread over several nodes and a ctxstore hash in one call: one HMGET per hash", async () => {
    const reads = goldenReads.filter(
      (read) => read.id !== "shop/type_zoo#0" && !read.id.endsWith("#1") && !read.id.endsWith("#2"),
    );
    const sources = [...new Set(reads.map((read) => read.source))];
    const online = withFeast(
      redisStore({ commandTimeoutMs: 5_000, cluster: { nodes: cluster.nodes }, prefix: "cl:" }),
      { sources },
    );
    const context = createContextStore({ deadline: "5s", sources: [...sources, customerNotes], online });
    try {
      await context.write(customerNotes, { customer_id: "C1001" }, { note: "VIP since 2019." });
      const owners = new Set<number>();
      for (const hash of golden.redis_state_after_all_writes) {
        owners.add(await cluster.masterForSlot(clusterSlot(Buffer.from(hash.redis_key_hex, "hex"))));
      }
      expect(owners.size).toBeGreaterThan(1);
      for (const node of cluster.nodes) await sendCommand(node.port, ["CONFIG", "RESETSTAT"]);
      const keys = Object.fromEntries(reads.map((read) => [read.source.entity.name, read.key]));
      const packed = await context.assemble({ keys, budget: { maxTokens: 8000 } });
      for (const read of reads) {
        expect(packed.values[read.source.name]?.status, read.id).toBe("ok");
        expect(packed.values[read.source.name]?.value, read.id).toEqual(expectedRow(read.id));
      }
      expect(packed.values.customer_notes?.value).toEqual({ note: "VIP since 2019." });
      let hmget = 0;
      for (const node of cluster.nodes) hmget += (await commandStats(node.port)).hmget ?? 0;
      // Feast hashes: C1001 (3 views), driver 1005, user 42/m-9, city, shard 7, device: 6; ctxstore: 1.
      expect(hmget).toBe(7);
    } finally {
      await context.close();
    }
  });
});
