// readWithExtras: HMGETs of keys outside ctxstore's layout (binary keys and fields) ride in the same
// pipeline as the store's own read: one round trip on a standalone server, one pipeline per node on
// a Cluster; a key holding another type fails only its own extra read.
import { isCtxError } from "@ctxstore/core";
import fc from "fast-check";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterSlot, redisStore, supportsExtraReads } from "../src/index.js";
import {
  commandStats,
  type RedisClusterHandle,
  type RedisServer,
  redisServerAvailable,
  sendCommand,
  startRedisCluster,
  startRedisServer,
  startRoundTripProxy,
} from "../src/testing/index.js";

const available = redisServerAvailable();
const envelope = { value: "v", eventTime: 1, writeTime: 1, schemaVersion: 1 };
const binaryKey = Buffer.from([0x01, 0x00, 0x00, 0x00, 0x7b, 0xff, 0x7d, 0x00, 0x70]);

describe.skipIf(!available)("readWithExtras (standalone)", () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("reads the store's records and the extra hashes in ONE round trip", async () => {
    const proxy = await startRoundTripProxy({ port: server.port });
    const store = redisStore({ url: proxy.url, prefix: "extra:" });
    try {
      expect(supportsExtraReads(store)).toBe(true);
      await store.write([{ entity: "user", key: "u1", field: "p@1", envelope }]);
      await admin.hset(binaryKey, Buffer.from([0xde, 0xad]), Buffer.from([0x00, 0x01]), "_ts:x", "t");
      await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
      proxy.reset();
      const { online, extras } = await store.readWithExtras(
        { records: [{ entity: "user", key: "u1", field: "p@1", kind: "value" }] },
        [
          { key: binaryKey, fields: [Buffer.from([0xde, 0xad]), "_ts:x", "absent"] },
          { key: "no-such-key", fields: ["f"] },
        ],
      );
      expect(proxy.roundTrips()).toBe(1);
      expect(await commandStats(server.port)).toEqual({ hmget: 3, "config|resetstat": 1 });
      expect(online.records[0]).toMatchObject({ kind: "value", envelope: { value: "v" } });
      expect(extras).toEqual([
        { values: [Buffer.from([0x00, 0x01]), Buffer.from("t"), null] },
        { values: [null] },
      ]);
      // Extras alone, with no records of the store's own.
      const alone = await store.readWithExtras({ records: [] }, [{ key: binaryKey, fields: ["_ts:x"] }]);
      expect(alone.extras).toEqual([{ values: [Buffer.from("t")] }]);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it("a key holding another type fails only its own extra read; malformed extras are refused", async () => {
    const store = redisStore({ url: server.url, prefix: "extra2:" });
    try {
      await admin.set("a-string", "x");
      const { online, extras } = await store.readWithExtras(
        { records: [{ entity: "user", key: "u1", field: "p@1", kind: "value" }] },
        [{ key: "a-string", fields: ["f"] }],
      );
      expect(online.records[0]).toEqual({ kind: "value", envelope: undefined });
      expect(extras[0]?.error).toMatch(/WRONGTYPE/);
      for (const bad of [
        [{ key: "k", fields: [] }],
        [{ key: "", fields: ["f"] }],
        [{ key: 3, fields: ["f"] }],
        "x",
      ]) {
        const error = await store
          .readWithExtras({ records: [] }, bad as never)
          .catch((caught: unknown) => caught);
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it("sends exactly the bytes given: random binary keys and fields read what ioredis' own HMGET reads", async () => {
    const store = redisStore({ url: server.url, prefix: "extra-prop:" });
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 12 }).map((array) => Buffer.from(array));
    const field = fc.oneof(bytes, fc.string({ unit: "binary", maxLength: 6 }));
    try {
      await fc.assert(
        fc.asyncProperty(
          bytes.filter((key) => key.length > 0),
          fc.array(fc.tuple(field, bytes), { minLength: 1, maxLength: 8 }),
          fc.array(field, { maxLength: 4 }),
          async (key, pairs, absent) => {
            await admin.del(key);
            for (const [name, value] of pairs) await admin.hset(key, name, value);
            const fields = [...pairs.map(([name]) => name), ...absent];
            const { extras } = await store.readWithExtras({ records: [] }, [{ key, fields }]);
            expect(extras).toEqual([{ values: await admin.hmgetBuffer(key, ...fields) }]);
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      await store.close();
    }
  });

  it("encodes a field Buffer changed in place again, never sends its old bytes", async () => {
    const store = redisStore({ url: server.url, prefix: "extra-mut:" });
    try {
      await admin.hset(binaryKey, Buffer.from([0x01, 0x02]), "one", Buffer.from([0x03, 0x04]), "two");
      const field = Buffer.from([0x01, 0x02]);
      const first = await store.readWithExtras({ records: [] }, [{ key: binaryKey, fields: [field] }]);
      expect(first.extras).toEqual([{ values: [Buffer.from("one")] }]);
      field.set([0x03, 0x04]);
      const second = await store.readWithExtras({ records: [] }, [{ key: binaryKey, fields: [field] }]);
      expect(second.extras).toEqual([{ values: [Buffer.from("two")] }]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!available)("readWithExtras (cluster)", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("routes binary keys by their own slot (hash-tag rules on the raw bytes) and reads them with the rest", async () => {
    const admin = new Cluster(cluster.nodes as Array<{ host: string; port: number }>);
    const store = redisStore({ cluster: { nodes: cluster.nodes }, prefix: "xc:" });
    try {
      const keys = Array.from({ length: 12 }, (_, index) => Buffer.from([index, 0x00, 0xfe, index * 7]));
      for (const key of keys) await admin.hset(key, "f", key);
      const owners = new Set(await Promise.all(keys.map((key) => cluster.masterForSlot(clusterSlot(key)))));
      expect(owners.size).toBeGreaterThan(1);
      const { extras } = await store.readWithExtras(
        { records: [] },
        keys.map((key) => ({ key, fields: ["f"] })),
      );
      expect(extras).toEqual(keys.map((key) => ({ values: [key] })));
      // A `{...}` inside binary bytes is a hash tag, as Redis itself reads it.
      expect(clusterSlot(binaryKey)).toBe(clusterSlot(Buffer.from([0xff])));
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
});
