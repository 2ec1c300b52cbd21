// redisStore behaviour beyond the shared contract: the key layout, one round trip per read (counted
// on the wire and in INFO commandstats), malformed records, Lua script reloading, expiry, limits,
// configuration errors, and Redis going down, hanging and coming back.
import { createContextStore, type Envelope, isCtxError } from "@ctxstore/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisOnlineStore, redisStore } from "../src/index.js";
import {
  commandStats,
  type RedisServer,
  redisServerAvailable,
  sendCommand,
  startRedisServer,
  startRoundTripProxy,
  waitFor,
} from "../src/testing/index.js";
import { profile, recent, user } from "./fixtures/definitions.js";

const available = redisServerAvailable();
let counter = 0;
const uniquePrefix = () => `store${++counter}:`;

function envelope(
  eventTime: number,
  value: unknown = { at: eventTime },
  extra: Partial<Envelope> = {},
): Envelope {
  return { value, eventTime, writeTime: eventTime, schemaVersion: 1, ...extra };
}

async function ready(store: RedisOnlineStore): Promise<void> {
  await waitFor(() => store.client.status === "ready", 5_000, "store client never became ready");
}

describe.skipIf(!available)("redisStore (standalone)", () => {
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

  it("keeps one hash per entity key, hash-tagged, with one field per source@version", async () => {
    const store = redisStore({ url: server.url, prefix: "layout:", tenant: "acme" });
    try {
      await store.write([
        { entity: "user", key: "userId=u1", field: "profile@1", envelope: envelope(1) },
        { entity: "user", key: "userId=u1", field: "prefs@2", envelope: envelope(1) },
      ]);
      await store.append([
        {
          entity: "user",
          key: "userId=u1",
          field: "recent@1",
          event: envelope(1, "e", { eventId: "e1" }),
          window: 5,
        },
      ]);
      await store.setWatermark("recent@1", 123);
      expect(await admin.keys("layout:*")).toEqual(
        expect.arrayContaining(["layout:acme:{user:userId=u1}", "layout:acme:watermarks"]),
      );
      expect((await admin.hkeys("layout:acme:{user:userId=u1}")).sort()).toEqual([
        "prefs@2",
        "profile@1",
        "recent@1",
      ]);
      expect(await admin.hget("layout:acme:watermarks", "recent@1")).toBe("123");
      // Another tenant sees nothing of acme's.
      const other = redisStore({ url: server.url, prefix: "layout:", tenant: "globex" });
      const result = await other.read({
        records: [{ entity: "user", key: "userId=u1", field: "profile@1", kind: "value" }],
        watermarks: ["recent@1"],
      });
      expect(result.records[0]).toEqual({ kind: "value", envelope: undefined });
      expect(result.watermarks["recent@1"]).toBeUndefined();
      await other.close();
    } finally {
      await store.close();
    }
  });

  it("reads 30 sources of 3 entities plus watermarks in ONE round trip: one HMGET per entity, nothing else", async () => {
    const proxy = await startRoundTripProxy({ port: server.port });
    const store = redisStore({ url: proxy.url, prefix: uniquePrefix() });
    try {
      const entities = ["user", "session", "account"];
      const records = entities.flatMap((entity) =>
        Array.from({ length: 10 }, (_, index) => ({
          entity,
          key: `id=${entity}1`,
          field: `source_${index}@1`,
        })),
      );
      await store.write(
        records
          .filter((_, index) => index % 3 !== 0)
          .map((address, index) => ({ ...address, envelope: envelope(index + 1) })),
      );
      await ready(store);
      await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
      proxy.reset();
      const result = await store.read({
        records: records.map((address) => ({ ...address, kind: "value" as const })),
        watermarks: ["source_1@1", "source_2@1"],
      });
      expect(proxy.roundTrips()).toBe(1);
      const stats = await commandStats(server.port);
      // CONFIG RESETSTAT is the only other command the server saw (INFO counts after it answers).
      expect(stats).toEqual({ hmget: 4, "config|resetstat": 1 });
      expect(
        result.records.filter((record) => record.kind === "value" && record.envelope !== undefined),
      ).toHaveLength(20);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it("writes and appends a batch in one round trip too (EVALSHA pipelined; EVAL only after SCRIPT FLUSH)", async () => {
    const proxy = await startRoundTripProxy({ port: server.port });
    const store = redisStore({ url: proxy.url, prefix: uniquePrefix() });
    try {
      await store.write([{ entity: "user", key: "warm", field: "p@1", envelope: envelope(1) }]);
      await store.append([
        { entity: "user", key: "warm", field: "r@1", event: envelope(1, 1, { eventId: "w" }), window: 2 },
      ]);
      proxy.reset();
      await store.write(
        Array.from({ length: 50 }, (_, index) => ({
          entity: "user",
          key: `u${index}`,
          field: "p@1",
          envelope: envelope(index),
        })),
      );
      await store.append(
        Array.from({ length: 50 }, (_, index) => ({
          entity: "session",
          key: `s${index % 5}`,
          field: "r@1",
          event: envelope(index, index, { eventId: `e${index}` }),
          window: 3,
        })),
      );
      expect(proxy.roundTrips()).toBe(2);

      await sendCommand(server.port, ["SCRIPT", "FLUSH"]);
      const outcomes = await store.write([
        { entity: "user", key: "u1", field: "p@1", envelope: envelope(100) },
      ]);
      expect(outcomes).toEqual([{ applied: true }]);
      const appended = await store.append([
        {
          entity: "session",
          key: "s1",
          field: "r@1",
          event: envelope(100, 1, { eventId: "late" }),
          window: 3,
        },
      ]);
      expect(appended).toEqual([{ applied: true }]);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it("multi-tenant: whether the tenant has data travels in the same round trip as the records (one HGET), and marks cost no round trip on writes", async () => {
    const proxy = await startRoundTripProxy({ port: server.port });
    const online = redisStore({ url: proxy.url, prefix: uniquePrefix() });
    const ctx = createContextStore({ sources: [profile, recent], online, tenancy: "multi", deadline: "2s" });
    try {
      await ctx.ready();
      await ready(online);
      await ctx.heartbeat(recent);
      // Loads the write script, so the counted write below is not a NOSCRIPT retry.
      await ctx.write(profile, { userId: "u0" }, { summary: "Bo", revision: 1 }, { tenant: "globex" });
      await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
      proxy.reset();
      await ctx.write(profile, { userId: "u1" }, { summary: "Ann", revision: 1 }, { tenant: "acme" });
      expect(proxy.roundTrips()).toBe(1);
      // INFO counts the script's own commands too; the marker is the one HSET beside it, same pipeline.
      expect(await commandStats(server.port)).toMatchObject({ evalsha: 1 });
      expect(await admin.hget(online.layout.tenantMarkerKey("acme"), "data")).toBe("1");

      const keys = { user: { userId: "u1" }, session: { sessionId: "s1" } };
      const budget = { maxTokens: 500 };
      await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
      proxy.reset();
      const real = await ctx.assemble({ keys, budget, tenant: "acme" });
      expect(proxy.roundTrips()).toBe(1);
      // The user's hash, the session's hash, the watermarks, and the tenant's marker: nothing else.
      expect(await commandStats(server.port)).toEqual({ hmget: 3, hget: 1, "config|resetstat": 1 });
      expect(real.values.profile?.status).toBe("ok");
      expect(real.values.recent_activity?.status).toBe("empty");

      // Without a stream source nothing needs the marker, so the read does not ask for it.
      await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
      const batchOnly = await ctx.assemble({ keys, budget, tenant: "acme", sources: ["profile"] });
      expect(await commandStats(server.port)).toEqual({ hmget: 1, "config|resetstat": 1 });
      expect(batchOnly.values.profile?.status).toBe("ok");

      // A tenant nothing was ever written for (a wrong id): unknown, not "no recent activity".
      const wrong = await ctx.assemble({ keys, budget, tenant: "acmee" });
      expect(wrong.values.profile?.status).toBe("missing");
      expect(wrong.values.recent_activity?.status).toBe("missing");
      expect(wrong.values.recent_activity?.reason).toContain('tenant "acmee" has no data in redis');
      // Forgetting the tenant's only entity leaves it a known (quiet) tenant.
      await ctx.forget({ entity: user, key: { userId: "u1" }, tenant: "acme" });
      const quiet = await ctx.assemble({ keys, budget, tenant: "acme" });
      expect(quiet.values.profile?.status).toBe("missing");
      expect(quiet.values.recent_activity?.status).toBe("empty");
    } finally {
      await ctx.close();
      await proxy.stop();
    }
  });

  it("answers a malformed record written by something else as invalid, for that record only", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ url: server.url, prefix });
    try {
      const key = `${prefix}{user:userId=u1}`;
      await store.write([
        { entity: "user", key: "userId=u1", field: "good@1", envelope: envelope(5, "fine") },
      ]);
      await store.append([
        {
          entity: "user",
          key: "userId=u1",
          field: "events@1",
          event: envelope(5, "x", { eventId: "a" }),
          window: 3,
        },
      ]);
      const truncatedWindow = (await admin.hgetBuffer(key, "events@1")) as Buffer;
      const validValue = (await admin.hgetBuffer(key, "good@1")) as Buffer;
      await admin.hset(key, {
        "junk@1": '{"value":1}',
        "short@1": Buffer.from([0x76, 0x01, 0x00]),
        "badjson@1": Buffer.concat([
          validValue.subarray(0, 18),
          Buffer.from([0x02]),
          Buffer.from("{not json"),
        ]),
        "nobody@1": Buffer.concat([validValue.subarray(0, 18), Buffer.from([0x02]), Buffer.from('{"s":1}')]),
        "badrender@1": Buffer.concat([
          validValue.subarray(0, 18),
          Buffer.from([0x02]),
          Buffer.from('{"v":1,"s":1,"r":{"kind":"text","lines":["a"],"tokens":{"o200k_base":[1,2]}}}'),
        ]),
        "cut@1": truncatedWindow.subarray(0, truncatedWindow.length - 3),
      });
      const fields = ["good@1", "junk@1", "short@1", "badjson@1", "nobody@1", "badrender@1"];
      const result = await store.read({
        records: [
          ...fields.map((field) => ({ entity: "user", key: "userId=u1", field, kind: "value" as const })),
          { entity: "user", key: "userId=u1", field: "cut@1", kind: "window" },
          { entity: "user", key: "userId=u1", field: "good@1", kind: "window" },
          { entity: "user", key: "userId=u1", field: "events@1", kind: "value" },
          { entity: "user", key: "userId=u1", field: "events@1", kind: "window" },
        ],
      });
      const [good, ...rest] = result.records;
      expect(good).toMatchObject({ kind: "value", envelope: { value: "fine", eventTime: 5 } });
      const invalid = rest.slice(0, 8);
      for (const record of invalid) {
        expect(record.kind).toBe("invalid");
        expect(record.kind === "invalid" && record.reason.length > 10).toBe(true);
      }
      expect(invalid.map((record) => (record.kind === "invalid" ? record.reason : ""))).toEqual([
        expect.stringContaining("not a ctxstore value record"),
        expect.stringContaining("not a ctxstore value record"),
        expect.stringContaining("does not decode"),
        expect.stringContaining("no value"),
        expect.stringContaining("token counts"),
        expect.stringContaining("truncated"),
        expect.stringContaining("holds a batch value"),
        expect.stringContaining("holds a stream window"),
      ]);
      expect(rest[8]).toMatchObject({ kind: "window", events: [{ eventId: "a", value: "x" }] });

      // A writer replaces an undecodable record (it could never be read) and the field is valid again.
      expect(
        await store.write([
          { entity: "user", key: "userId=u1", field: "junk@1", envelope: envelope(1, "repaired") },
        ]),
      ).toEqual([{ applied: true }]);
      expect(
        await store.append([
          {
            entity: "user",
            key: "userId=u1",
            field: "cut@1",
            event: envelope(1, "new", { eventId: "n" }),
            window: 3,
          },
        ]),
      ).toEqual([{ applied: true }]);
      const repaired = await store.read({
        records: [
          { entity: "user", key: "userId=u1", field: "junk@1", kind: "value" },
          { entity: "user", key: "userId=u1", field: "cut@1", kind: "window" },
        ],
      });
      expect(repaired.records[0]).toMatchObject({ kind: "value", envelope: { value: "repaired" } });
      expect(repaired.records[1]).toMatchObject({ kind: "window", events: [{ eventId: "n" }] });
    } finally {
      await store.close();
    }
  });

  it("skips decoding an unchanged record on the next read, but never serves changed, foreign or deleted data from it", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ url: server.url, prefix });
    const uncached = redisStore({ url: server.url, prefix, decodeCacheBytes: 0 });
    const address = { entity: "user", key: "u", field: "p@1" };
    const read = async (target = store) =>
      (await target.read({ records: [{ ...address, kind: "value" }] })).records[0];
    try {
      await store.write([{ ...address, envelope: envelope(1, { name: "first" }) }]);
      const first = await read();
      const again = await read();
      expect(again).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      expect(first?.kind === "value" && Object.isFrozen(first.envelope?.value)).toBe(true);
      // Without the cache every read decodes afresh.
      expect(await read(uncached)).not.toBe(await read(uncached));
      expect(await read(uncached)).toEqual(first);

      await store.write([{ ...address, envelope: envelope(2, { name: "second" }) }]);
      expect(await read()).toMatchObject({ kind: "value", envelope: { value: { name: "second" } } });
      await admin.hset(`${prefix}{user:u}`, "p@1", "written by someone else");
      expect((await read())?.kind).toBe("invalid");
      await store.delete([address]);
      expect(await read()).toEqual({ kind: "value", envelope: undefined });
    } finally {
      await store.close();
      await uncached.close();
    }
  });

  it("refuses a write to a window field (and an append to a value field) with a typed error", async () => {
    const store = redisStore({ url: server.url, prefix: uniquePrefix() });
    try {
      await store.append([
        { entity: "user", key: "k", field: "events@1", event: envelope(1, 1, { eventId: "a" }), window: 2 },
      ]);
      await store.write([{ entity: "user", key: "k", field: "profile@1", envelope: envelope(1) }]);
      await expect(
        store.write([
          { entity: "user", key: "other", field: "profile@1", envelope: envelope(2) },
          { entity: "user", key: "k", field: "events@1", envelope: envelope(2) },
        ]),
      ).rejects.toMatchObject({
        code: "CTX_INVALID_REQUEST",
        message: expect.stringMatching(
          /write #1 targets user k events@1, which holds a window.*the other 1 were applied/,
        ),
        details: { refused: [1] },
      });
      await expect(
        store.append([
          {
            entity: "user",
            key: "k2",
            field: "events@1",
            event: envelope(2, 1, { eventId: "c" }),
            window: 2,
          },
          {
            entity: "user",
            key: "k",
            field: "profile@1",
            event: envelope(2, 1, { eventId: "b" }),
            window: 2,
          },
        ]),
      ).rejects.toMatchObject({
        code: "CTX_INVALID_REQUEST",
        message: expect.stringMatching(/append #1 targets user k profile@1, which holds a value/),
        details: { refused: [1] },
      });
      // The refused ones changed nothing; the others in their batches were applied.
      const read = await store.read({
        records: [
          { entity: "user", key: "other", field: "profile@1", kind: "value" },
          { entity: "user", key: "k2", field: "events@1", kind: "window" },
          { entity: "user", key: "k", field: "profile@1", kind: "value" },
        ],
      });
      expect(read.records.map((record) => record.kind)).toEqual(["value", "window", "value"]);
      expect(read.records[0]).toMatchObject({ envelope: { eventTime: 2 } });
      expect(read.records[1]).toMatchObject({ events: [{ eventId: "c" }] });
      expect(read.records[2]).toMatchObject({ envelope: { eventTime: 1 } });
    } finally {
      await store.close();
    }
  });

  it("sets expiry from ttlMs, refreshes it on writes and never shortens it", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ url: server.url, prefix });
    const key = `${prefix}{user:u}`;
    try {
      await store.write([{ entity: "user", key: "u", field: "a@1", envelope: envelope(1) }]);
      expect(await admin.pttl(key)).toBe(-1);
      await store.write([{ entity: "user", key: "u", field: "a@1", envelope: envelope(2), ttlMs: 60_000 }]);
      expect(await admin.pttl(key)).toBeGreaterThan(59_000);
      await store.write([{ entity: "user", key: "u", field: "b@1", envelope: envelope(2), ttlMs: 1_000 }]);
      expect(await admin.pttl(key)).toBeGreaterThan(59_000);
      await store.append([
        {
          entity: "user",
          key: "u",
          field: "c@1",
          event: envelope(3, 1, { eventId: "x" }),
          window: 2,
          ttlMs: 3_600_000,
        },
      ]);
      expect(await admin.pttl(key)).toBeGreaterThan(3_500_000);
      // A write that is not applied (older) does not extend the life of the record set.
      await admin.pexpire(key, 5_000);
      await store.write([
        { entity: "user", key: "u", field: "a@1", envelope: envelope(1), ttlMs: 3_600_000 },
      ]);
      expect(await admin.pttl(key)).toBeLessThanOrEqual(5_000);
    } finally {
      await store.close();
    }
  });

  it("rejects a field name or event id over 64 KiB with a typed error, for values and windows, writing nothing", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ url: server.url, prefix });
    const field = "f".repeat(70_000);
    try {
      await expect(
        store.write([
          { entity: "user", key: "ok", field: "p@1", envelope: envelope(1, "ok") },
          { entity: "user", key: "long", field, envelope: envelope(1, "ok") },
        ]),
      ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST" });
      await expect(
        store.append([
          { entity: "user", key: "long", field, window: 3, event: { ...envelope(1, "e"), eventId: "e1" } },
        ]),
      ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST" });
      await expect(
        store.append([
          {
            entity: "user",
            key: "id",
            field: "w@1",
            window: 3,
            event: { ...envelope(1, "e"), eventId: "i".repeat(70_000) },
          },
        ]),
      ).rejects.toMatchObject({ code: "CTX_INVALID_EVENT", message: expect.stringContaining("over 64 KiB") });
      const read = await store.read({
        records: [
          { entity: "user", key: "ok", field: "p@1", kind: "value" },
          { entity: "user", key: "id", field: "w@1", kind: "window" },
        ],
      });
      expect(read.records).toEqual([
        { kind: "value", envelope: undefined },
        { kind: "window", events: [] },
      ]);
    } finally {
      await store.close();
    }
  });

  it("measures maxRecordBytes on the stored record: exactly at the limit is written, one byte over is not", async () => {
    const prefix = uniquePrefix();
    const measure = redisStore({ url: server.url, prefix });
    const value = envelope(1, "a value long enough to be over the smallest allowed limit of 64 bytes");
    let size: number;
    try {
      await measure.write([{ entity: "user", key: "measure", field: "p@1", envelope: value }]);
      size = await admin.hstrlen(`${prefix}{user:measure}`, "p@1");
      expect(size).toBeGreaterThan(18);
    } finally {
      await measure.close();
    }
    const exact = redisStore({ url: server.url, prefix, maxRecordBytes: size });
    const under = redisStore({ url: server.url, prefix, maxRecordBytes: size - 1 });
    try {
      await exact.write([{ entity: "user", key: "exact", field: "p@1", envelope: value }]);
      expect(await admin.hstrlen(`${prefix}{user:exact}`, "p@1")).toBe(size);
      await expect(
        under.write([{ entity: "user", key: "over", field: "p@1", envelope: value }]),
      ).rejects.toMatchObject({
        code: "CTX_VALUE_TOO_LARGE",
        details: { bytes: size, maxRecordBytes: size - 1 },
      });
      expect(await admin.exists(`${prefix}{user:over}`)).toBe(0);
    } finally {
      await exact.close();
      await under.close();
    }
  });

  it("rejects oversized records and non-JSON values with typed errors and writes nothing of the batch", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ url: server.url, prefix, maxRecordBytes: 1_000 });
    try {
      await expect(
        store.write([
          { entity: "user", key: "small", field: "p@1", envelope: envelope(1, "ok") },
          { entity: "user", key: "big", field: "p@1", envelope: envelope(1, "x".repeat(2_000)) },
        ]),
      ).rejects.toMatchObject({ code: "CTX_VALUE_TOO_LARGE" });
      await expect(
        store.write([
          { entity: "user", key: "nan", field: "p@1", envelope: envelope(1, { score: Number.NaN }) },
        ]),
      ).rejects.toMatchObject({
        code: "CTX_INVALID_VALUE",
      });
      await expect(
        store.write([
          { entity: "user", key: "date", field: "p@1", envelope: envelope(1, { at: new Date() }) },
        ]),
      ).rejects.toMatchObject({
        code: "CTX_INVALID_VALUE",
      });
      expect(await admin.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("rejects bad configuration with CTX_CONFIG and says what to pass", () => {
    expect(() => redisStore({} as never)).toThrow(/exactly one of `client`, `url`, `cluster` or `sentinel`/);
    expect(() => redisStore({ url: server.url, client: admin })).toThrow(/got client, url/);
    expect(() => redisStore({ url: "localhost:6379" })).toThrow(/redis:\/\/host:port/);
    expect(() => redisStore({ url: server.url, prefix: "has{brace" })).toThrow(/hash tag/);
    expect(() => redisStore({ url: server.url, tenant: "a:b" })).toThrow(/tenant/);
    expect(() => redisStore({ url: server.url, commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    try {
      redisStore({ url: server.url, codec: "xml" as never });
    } catch (error) {
      expect(isCtxError(error, "CTX_CONFIG")).toBe(true);
    }
  });

  it("works on a client you pass and leaves it open on close()", async () => {
    const client = new Redis(server.url);
    const store = redisStore({ client, prefix: uniquePrefix() });
    await store.write([{ entity: "user", key: "u", field: "p@1", envelope: envelope(1, "mine") }]);
    await store.close();
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
  });
});

describe.skipIf(!available)("redisStore when Redis fails", () => {
  const request = {
    records: [{ entity: "user", key: "u", field: "p@1", kind: "value" as const }],
    watermarks: ["r@1"],
  };

  it("rejects fast with CTX_STORE_UNAVAILABLE while Redis is down, and recovers by itself when it is back", async () => {
    const server = await startRedisServer();
    const store = redisStore({
      url: server.url,
      prefix: uniquePrefix(),
      commandTimeoutMs: 500,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    });
    try {
      await store.write([{ entity: "user", key: "u", field: "p@1", envelope: envelope(1, "before") }]);
      await server.kill();
      // The first call after the crash may be the one that finds out (timeout or connection error);
      // every call settles within the command timeout and none answers "absent".
      for (let attempt = 0; attempt < 5; attempt++) {
        const started = performance.now();
        const outcome = await store.read(request).then(
          () => "answered",
          (error: unknown) => (isCtxError(error) ? error.code : String(error)),
        );
        expect(["CTX_STORE_UNAVAILABLE", "CTX_TIMEOUT"]).toContain(outcome);
        expect(performance.now() - started).toBeLessThan(700);
      }
      await expect(
        store.write([{ entity: "user", key: "u", field: "p@1", envelope: envelope(2) }]),
      ).rejects.toSatisfy((error) => isCtxError(error));
      await server.restart();
      await waitFor(
        async () =>
          await store.read(request).then(
            () => true,
            () => false,
          ),
        5_000,
        "the store never reconnected",
      );
      // The restarted server is empty (no persistence): absent now means really absent.
      const result = await store.read(request);
      expect(result.records[0]).toEqual({ kind: "value", envelope: undefined });
      expect(
        await store.write([{ entity: "user", key: "u", field: "p@1", envelope: envelope(3, "after") }]),
      ).toEqual([{ applied: true }]);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it("times out with CTX_TIMEOUT when Redis hangs, honours the caller's signal, and recovers when it resumes", async () => {
    const server = await startRedisServer();
    const store = redisStore({ url: server.url, prefix: uniquePrefix(), commandTimeoutMs: 300 });
    try {
      await store.write([{ entity: "user", key: "u", field: "p@1", envelope: envelope(1, "kept") }]);
      server.pause();
      const started = performance.now();
      await expect(store.read(request)).rejects.toMatchObject({ code: "CTX_TIMEOUT" });
      expect(performance.now() - started).toBeLessThan(450);
      const signalStarted = performance.now();
      await expect(store.read(request, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
        code: "CTX_TIMEOUT",
      });
      expect(performance.now() - signalStarted).toBeLessThan(200);
      server.resume();
      await waitFor(
        async () =>
          await store.read(request).then(
            () => true,
            () => false,
          ),
        5_000,
        "the store never answered after resume",
      );
      const result = await store.read(request);
      expect(result.records[0]).toMatchObject({ kind: "value", envelope: { value: "kept" } });
    } finally {
      server.resume();
      await store.close();
      await server.stop();
    }
  });
});
