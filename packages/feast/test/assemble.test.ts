// Feast-materialized hashes read through `assemble` on a real redis-server: every golden fixture
// (bytes written by Feast's own code) decodes to its logical values, and Feast sources ride in the
// same single round trip as ctxstore's own reads (counted on the wire and in INFO commandstats).
import { type ContextStore, createContextStore } from "@ctxstore/core";
import { redisStore } from "@ctxstore/redis";
import {
  commandStats,
  type RedisServer,
  redisServerAvailable,
  sendCommand,
  startRedisServer,
  startRoundTripProxy,
  waitFor,
} from "@ctxstore/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { feastRow, withFeast } from "../src/index.js";
import {
  customer,
  customerFlags,
  customerNotes,
  customerProfile,
  customerProfileV2,
  driverStats,
  goldenReads,
  shardStats,
} from "./definitions.js";
import { eventTimeOf, expectedRow, loadGoldenHashes } from "./golden-redis.js";

const available = redisServerAvailable();

describe.skipIf(!available)("Feast sources through assemble (standalone redis-server)", () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    await loadGoldenHashes(admin);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("reads every golden fixture to its recorded logical values, with Feast's event time", async () => {
    const sources = [...new Set(goldenReads.map((read) => read.source))];
    const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), { sources });
    const context = createContextStore({ deadline: "5s", sources, online });
    await context.ready();
    try {
      for (const read of goldenReads) {
        const packed = await context.assemble({
          keys: { [read.source.entity.name]: read.key },
          sources: [read.source.name],
          budget: { maxTokens: 4000 },
        });
        const resolved = packed.values[read.source.name];
        expect(resolved?.status, `${read.id}: ${resolved?.reason}`).toBe("ok");
        expect(resolved?.value, read.id).toEqual(expectedRow(read.id));
        expect(resolved?.eventTime, read.id).toBe(eventTimeOf(read.id));
      }
    } finally {
      await context.close();
    }
  });

  it("serves Feast views with ctxstore sources in ONE round trip: one HMGET per Feast hash, one per ctxstore hash", async () => {
    const proxy = await startRoundTripProxy({ port: server.port });
    const feast = [customerProfile, customerFlags, customerProfileV2, driverStats, shardStats];
    const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: proxy.url, prefix: "rt:" }), {
      sources: feast,
    });
    const context = createContextStore({ deadline: "5s", sources: [...feast, customerNotes], online });
    try {
      await context.write(customerNotes, { customer_id: "C1001" }, { note: "Prefers email." });
      await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
      proxy.reset();
      const packed = await context.assemble({
        keys: { customer: { customer_id: "C1001" }, driver: { driver_id: "1005" }, shard: { shard: 7 } },
        budget: { maxTokens: 4000 },
      });
      expect(proxy.roundTrips()).toBe(1);
      // customer C1001: one Feast hash (three views) + one ctxstore hash; driver 1005 and shard 7: one each.
      expect(await commandStats(server.port)).toEqual({ hmget: 4, "config|resetstat": 1 });
      for (const source of feast) expect(packed.values[source.name]?.status, source.name).toBe("ok");
      expect(packed.values.customer_notes?.value).toEqual({ note: "Prefers email." });
      expect(packed.text).toContain("Prefers email.");
      expect(packed.text).toContain("conv_rate: 0.8125");
    } finally {
      await online.close();
      await proxy.stop();
    }
  });

  it("renders and counts a Feast row once: unchanged bytes are served decoded, new bytes are read anew", async () => {
    let context: ContextStore | undefined;
    const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), {
      sources: [driverStats],
      context: () => context,
    });
    context = createContextStore({ deadline: "5s", sources: [driverStats], online });
    const key = { driver_id: "777" };
    try {
      await context.ready();
      const first = feastRow(
        driverStats,
        key,
        { conv_rate: 0.5, acc_rate: 0.5, avg_daily_trips: "3" },
        Date.now(),
      );
      await admin.hset(first.key, ...first.fields.flat());
      const request = { keys: { driver: key }, budget: { maxTokens: 500 } };
      await waitFor(
        async () => (await context.assemble(request)).trace.totals.tokenizerCalls === 0,
        5_000,
        "tokenizer never used",
      );
      const a = await context.assemble(request);
      const b = await context.assemble(request);
      expect(b.values.driver_hourly_stats?.value).toBe(a.values.driver_hourly_stats?.value);
      // Rendered and counted by the reader, as ctxstore's own writes are: no tokenizing per request.
      expect(b.trace.totals.tokenizerCalls).toBe(0);
      const second = feastRow(
        driverStats,
        key,
        { conv_rate: 0.75, acc_rate: 0.5, avg_daily_trips: "4" },
        Date.now(),
      );
      await admin.hset(second.key, ...second.fields.flat());
      const c = await context.assemble(request);
      expect(c.values.driver_hourly_stats?.value).toEqual({
        conv_rate: 0.75,
        acc_rate: 0.5,
        avg_daily_trips: "4",
      });
      expect(c.text).toContain("conv_rate: 0.75");
    } finally {
      await context.close();
    }
  });

  it("refuses ctxstore writes to a Feast source (Feast owns those values) and leaves the hash alone", async () => {
    const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), {
      sources: [driverStats],
    });
    const context = createContextStore({ deadline: "5s", sources: [driverStats], online });
    try {
      await expect(
        context.write(
          driverStats,
          { driver_id: "1005" },
          { conv_rate: 1, acc_rate: 1, avg_daily_trips: "1" },
        ),
      ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST" });
      const packed = await context.assemble({
        keys: { driver: { driver_id: "1005" } },
        budget: { maxTokens: 500 },
      });
      expect(packed.values.driver_hourly_stats?.value).toEqual(expectedRow("demo/driver_hourly_stats#0"));
    } finally {
      await online.close();
    }
  });

  it("needs a store that can carry the reads: a memory store is refused with a typed error", async () => {
    const { memoryStore } = await import("@ctxstore/core");
    expect(() => withFeast(memoryStore(), { sources: [driverStats] })).toThrow(/redisStore/);
    void customer;
  });
});
