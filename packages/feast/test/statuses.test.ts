// Every status path of a Feast source on a real redis-server, stricter than Feast's own read path:
// no row -> missing; a feature field absent under an existing row -> invalid; old -> stale (maxAge,
// or the view's TTL); NULL -> what the source declares; wrong type, damaged bytes, a foreign key
// layout or a non-hash key -> invalid with the reason, without failing the other sources.
import { batch, createContextStore, defineEntity } from "@ctxstore/core";
import { redisStore } from "@ctxstore/redis";
import { type RedisServer, redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  feastEntity,
  feastRedisKey,
  feastRow,
  feastSource,
  feastType,
  timestampField,
  withFeast,
} from "../src/index.js";
import { serializeEntityKeyV2 } from "../src/layout.js";
import { driver, driverKeys } from "./definitions.js";

const available = redisServerAvailable();
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const minutes = (count: number) => count * 60_000;

const features = {
  conv_rate: feastType.double(),
  trips: feastType.int64(),
  note: feastType.string(),
};
const common = {
  entity: driverKeys,
  project: "status",
  featureView: "driver_stats",
  section: "Driver",
} as const;
const stats = feastSource("stats", { ...common, features, maxAge: "1h" });
const statsByTtl = feastSource("stats_by_ttl", { ...common, features, ttl: "30m" });
const statsNullEmpty = feastSource("stats_null_empty", { ...common, features, onNull: "empty" });
const statsNullable = feastSource("stats_nullable", {
  ...common,
  features: { ...features, note: feastType.string().orNull() },
});
const otherView = feastSource("other_view", {
  ...common,
  featureView: "driver_other",
  features: { rating: feastType.double() },
});
const all = [stats, statsByTtl, statsNullEmpty, statsNullable, otherView];

const looseDriver = defineEntity("loose_driver", { key: z.object({ driver_id: z.string() }) });
const loose = feastSource("loose_stats", {
  ...common,
  entity: feastEntity(looseDriver, { driver_id: "int64" }),
  features,
});

describe.skipIf(!available)("Feast source statuses", () => {
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

  async function put(row: { key: Buffer; fields: ReadonlyArray<readonly [Buffer, Buffer]> }) {
    await admin.hset(row.key, ...row.fields.flat());
  }

  const full = { conv_rate: 0.5, trips: 3, note: "steady" };

  async function assemble(driverId: string, options: { detectKeyVersion2?: boolean } = {}) {
    const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), {
      sources: [...all, loose],
      ...options,
    });
    const context = createContextStore({ deadline: "5s", sources: [...all, loose], online });
    try {
      return await context.assemble(
        {
          keys: { driver: { driver_id: driverId } },
          budget: { maxTokens: 2000 },
          sources: all.map((source) => source.name),
        },
        { now: NOW },
      );
    } finally {
      await context.close();
    }
  }

  it("no hash at all, or a hash without this view's _ts field: missing (never empty), rendered as unknown", async () => {
    await put(feastRow(otherView, { driver_id: "2" }, { rating: 4.5 }, NOW));
    for (const id of ["1", "2"]) {
      const packed = await assemble(id);
      expect(packed.values.stats?.status).toBe("missing");
      expect(packed.text).not.toMatch(/none — confirmed/);
    }
    expect((await assemble("2")).values.other_view?.value).toEqual({ rating: 4.5 });
  });

  it("a feature field absent while the view's timestamp exists: invalid, naming the feature", async () => {
    await put(feastRow(stats, { driver_id: "3" }, { conv_rate: 0.5, trips: 3 }, NOW));
    const resolved = (await assemble("3")).values.stats;
    expect(resolved?.status).toBe("invalid");
    expect(resolved?.reason).toMatch(/feature "note" has no field in the hash/);
  });

  it("older than maxAge: stale; maxAge defaults to the view's TTL", async () => {
    await put(feastRow(stats, { driver_id: "4" }, full, NOW - minutes(120)));
    await put(feastRow(stats, { driver_id: "5" }, full, NOW - minutes(45)));
    const old = await assemble("4");
    expect(old.values.stats?.status).toBe("stale");
    expect(old.values.stats_by_ttl?.status).toBe("stale");
    const middle = await assemble("5");
    expect(middle.values.stats?.status).toBe("ok");
    expect(middle.values.stats?.ageMs).toBe(minutes(45));
    expect(middle.values.stats_by_ttl?.status).toBe("stale");
  });

  it("NULL (null_val, or a Value with nothing set): missing by default, empty or null when declared", async () => {
    await put(feastRow(statsNullable, { driver_id: "6" }, { ...full, note: null }, NOW));
    const row = feastRow(stats, { driver_id: "7" }, full, NOW);
    await put({
      key: row.key,
      fields: row.fields.map(
        ([field, value], index) => [field, index === 3 ? Buffer.alloc(0) : value] as const,
      ),
    });
    for (const id of ["6", "7"]) {
      const packed = await assemble(id);
      expect(packed.values.stats?.status, id).toBe("missing");
      expect(packed.values.stats_null_empty?.status, id).toBe("empty");
      expect(packed.values.stats_nullable?.status, id).toBe("ok");
      expect(packed.values.stats_nullable?.value, id).toEqual({ conv_rate: 0.5, trips: 3, note: null });
    }
  });

  it("a value of another type, damaged bytes, or a damaged timestamp: invalid with the reason", async () => {
    const row = feastRow(stats, { driver_id: "8" }, full, NOW);
    const text = feastRow(statsByTtl, { driver_id: "8" }, { conv_rate: 0 }, NOW); // any Value bytes
    const stringValue = Buffer.from("1204676f6c64", "hex"); // string_val "gold"
    await put({
      key: row.key,
      fields: [
        ...row.fields.slice(0, 1),
        [row.fields[1]?.[0] as Buffer, stringValue],
        ...row.fields.slice(2),
      ],
    });
    void text;
    expect((await assemble("8")).values.stats?.reason).toMatch(
      /conv_rate" holds string_val, but the feature is declared DOUBLE/,
    );

    const truncated = feastRow(stats, { driver_id: "9" }, { ...full, note: "a long enough note" }, NOW);
    await put({
      key: truncated.key,
      fields: truncated.fields.map(
        ([field, value], index) => [field, index === 3 ? value.subarray(0, 4) : value] as const,
      ),
    });
    const damaged = (await assemble("9")).values.stats;
    expect(damaged?.status).toBe("invalid");
    expect(damaged?.reason).toMatch(/feature "note" does not decode/);

    const badTs = feastRow(stats, { driver_id: "10" }, full, NOW);
    await put({
      key: badTs.key,
      fields: [[badTs.fields[0]?.[0] as Buffer, Buffer.from([0x08])], ...badTs.fields.slice(1)],
    });
    expect((await assemble("10")).values.stats?.reason).toMatch(/_ts:driver_stats does not decode/);
  });

  it("a hash written with entity-key serialization version 2: invalid and says so (when detection is on)", async () => {
    const v2Key = feastRedisKey(
      serializeEntityKeyV2([["driver_id", { type: "int64", value: 11n }]]),
      "status",
    );
    const row = feastRow(stats, { driver_id: "11" }, full, NOW);
    await admin.hset(v2Key, ...row.fields.flat());
    expect((await assemble("11")).values.stats?.status).toBe("missing");
    const packed = await assemble("11", { detectKeyVersion2: true });
    // Every view of the entity says so, not only the first one in the shared HMGET.
    for (const name of ["stats", "stats_by_ttl", "stats_nullable"]) {
      expect(packed.values[name]?.status, name).toBe("invalid");
      expect(packed.values[name]?.reason, name).toMatch(/entity_key_serialization_version 2/);
    }
    // The view the v2 hash does not hold stays missing.
    expect(packed.values.other_view?.status).toBe("missing");
  });

  it("a Feast key holding something else than a hash fails only that source", async () => {
    const row = feastRow(stats, { driver_id: "12" }, full, NOW);
    await admin.set(row.key, "not a hash");
    const notes = batch("driver_notes", { entity: driver, schema: z.string(), section: "Driver" });
    const context = createContextStore({
      deadline: "5s",
      sources: [stats, notes],
      online: withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), { sources: [stats] }),
    });
    try {
      await context.write(notes, { driver_id: "12" }, "Prefers night shifts.");
      const packed = await context.assemble(
        { keys: { driver: { driver_id: "12" } }, budget: { maxTokens: 500 } },
        { now: NOW },
      );
      expect(packed.values.stats?.status).toBe("invalid");
      expect(packed.values.stats?.reason).toMatch(/WRONGTYPE/);
      expect(packed.values.driver_notes?.status).toBe("ok");
    } finally {
      await context.close();
    }
  });

  it("a request key that is not a valid join-key value: invalid, never a crash of the request", async () => {
    const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), { sources: [loose] });
    const context = createContextStore({ deadline: "5s", sources: [loose], online });
    try {
      const packed = await context.assemble({
        keys: { loose_driver: { driver_id: "not-a-number" } },
        budget: { maxTokens: 500 },
      });
      expect(packed.values.loose_stats?.status).toBe("invalid");
      expect(packed.values.loose_stats?.reason).toMatch(/is not a valid int64 for Feast join key driver_id/);
    } finally {
      await context.close();
    }
  });

  it("the _ts field name is the plain view name", () => {
    expect(timestampField("driver_stats").toString()).toBe("_ts:driver_stats");
  });
});
