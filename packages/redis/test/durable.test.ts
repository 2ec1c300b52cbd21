// The durable write mode against real servers: what it refuses to configure, what a write without
// enough replicas answers (a typed error, never an acknowledgement), and that with a replica every
// write path acknowledges only what the replica holds.
import { batch, createContextStore, defineEntity, isCtxError, stream } from "@ctxstore/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStreamIngestor, createStreamProducer, redisStore } from "../src/index.js";
import {
  type RedisServer,
  redisServerAvailable,
  sendCommand,
  startRedisServer,
  waitFor,
} from "../src/testing/index.js";

const available = redisServerAvailable();

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ n: z.number() }),
  maxAge: "1d",
  section: "Profile",
  render: (value) => `n=${value.n}`,
});
const events = stream("events", {
  entity: session,
  schema: z.object({ n: z.number() }),
  window: 100,
  maxAge: "1h",
  section: "Events",
  render: (event) => `n=${event.n}`,
  eventId: (event) => `e${event.n}`,
});

const envelope = (n: number) => ({ value: { n }, eventTime: n, writeTime: n, schemaVersion: 1 });

describe("durability options", () => {
  it("refuses replicas that are not a positive integer and timeouts not below writeTimeoutMs", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true }), fc.constant(Number.NaN)),
        (replicas) => {
          expect(() => redisStore({ url: "redis://127.0.0.1:1", durability: { replicas } })).toThrow(
            expect.objectContaining({ code: "CTX_CONFIG" }),
          );
        },
      ),
    );
    for (const timeoutMs of [0, -1, 1.5, 5_000, 10_000]) {
      expect(() =>
        redisStore({
          url: "redis://127.0.0.1:1",
          writeTimeoutMs: 5_000,
          durability: { replicas: 1, timeoutMs },
        }),
      ).toThrow(expect.objectContaining({ code: "CTX_CONFIG" }));
    }
  });
});

describe("failover options", () => {
  it("refuses a roleCheckMs that is not a non-negative number", () => {
    for (const roleCheckMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        redisStore({
          sentinel: { sentinels: [{ host: "127.0.0.1", port: 1 }], name: "x" },
          failover: { roleCheckMs },
        }),
      ).toThrow(expect.objectContaining({ code: "CTX_CONFIG" }));
    }
  });
});

describe.skipIf(!available)("durable writes on real servers", () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let lonely: RedisServer;
  beforeAll(async () => {
    primary = await startRedisServer({ label: "durable-primary" });
    replica = await startRedisServer({
      label: "durable-replica",
      args: ["--replicaof", primary.host, String(primary.port)],
    });
    lonely = await startRedisServer({ label: "durable-lonely" });
    await waitFor(
      async () =>
        String(await sendCommand(replica.port, ["INFO", "replication"])).includes("master_link_status:up"),
      15_000,
      "the replica never synced",
    );
  });
  afterAll(async () => {
    await Promise.all([replica?.stop(), primary?.stop(), lonely?.stop()]);
  });

  it("without enough replicas a write is applied but not acknowledged: a typed error that says so", async () => {
    const store = redisStore({
      url: lonely.url,
      prefix: "lonely:",
      durability: { replicas: 1, timeoutMs: 50 },
    });
    try {
      const address = { entity: "user", key: "userId=u1", field: "profile@1" };
      const started = performance.now();
      const error = await store.write([{ ...address, envelope: envelope(1) }]).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(isCtxError(error, "CTX_STORE_UNAVAILABLE")).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({
        durable: false,
        confirmed: 0,
        required: 1,
      });
      expect((error as Error).message).toMatch(/not acknowledged/);
      // WAIT's timeout bounds the wait.
      expect(performance.now() - started).toBeLessThan(1_000);
      // Reads are not blocked behind the WAIT (the writer has a connection of its own), and the
      // value is there: "not acknowledged" means "may be lost", not "not written".
      const read = await store.read({ records: [{ ...address, kind: "value" }] });
      expect(read.records[0]).toMatchObject({ kind: "value", envelope: { value: { n: 1 } } });
      await expect(
        store.append([
          {
            entity: "session",
            key: "sessionId=s1",
            field: "events@1",
            window: 10,
            event: { ...envelope(1), eventId: "e1" },
          },
        ]),
      ).rejects.toMatchObject({ code: "CTX_STORE_UNAVAILABLE", details: { durable: false } });
    } finally {
      await store.close();
    }
  });

  it("with a replica, writes, appends, deletes and publishes are acknowledged only once the replica has them", async () => {
    const store = redisStore({
      url: primary.url,
      prefix: "dur:",
      durability: { replicas: 1, timeoutMs: 500 },
    });
    const producer = createStreamProducer({
      url: primary.url,
      stream: "dur:events",
      durability: { replicas: 1 },
    });
    const context = createContextStore({ sources: [profile, events], online: store });
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (n) => {
          await context.write(profile, { userId: `u${n}` }, { n });
          await context.append(events, { sessionId: "s1" }, { n });
          const [id] = await producer.publish({
            source: events.name,
            key: { sessionId: "s2" },
            value: { n },
            eventTime: n,
          });
          // Straight after the acknowledgement, the replica already holds each of them.
          const key = store.layout.entityKey("user", `userId=u${n}`);
          expect(await sendCommand(replica.port, ["HEXISTS", key, "profile@1"])).toBe(1);
          const range = (await sendCommand(replica.port, [
            "XRANGE",
            "dur:events",
            id as string,
            id as string,
          ])) as unknown[];
          expect(range).toHaveLength(1);
        }),
        { numRuns: 15 },
      );
      const window = await sendCommand(replica.port, [
        "HEXISTS",
        store.layout.entityKey("session", "sessionId=s1"),
        "events@1",
      ]);
      expect(window).toBe(1);
      // A replica that stops answering (SIGSTOP): the same write is no longer acknowledged.
      const plain = redisStore({ url: primary.url, prefix: "dur:" });
      replica.pause();
      try {
        const stalled = { entity: "user", key: "userId=stalled", field: "profile@1" };
        await expect(store.write([{ ...stalled, envelope: envelope(7) }])).rejects.toMatchObject({
          code: "CTX_STORE_UNAVAILABLE",
          details: { durable: false },
        });
        expect(await plain.write([{ ...stalled, envelope: envelope(8) }])).toEqual([{ applied: true }]);
      } finally {
        replica.resume();
        await plain.close();
      }
      const doomed = { entity: "user", key: "userId=doomed", field: "profile@1" };
      await store.write([{ ...doomed, envelope: envelope(5) }]);
      await store.delete([doomed]);
      expect(
        await sendCommand(replica.port, [
          "HEXISTS",
          store.layout.entityKey("user", "userId=doomed"),
          "profile@1",
        ]),
      ).toBe(0);
    } finally {
      await producer.close();
      await context.close();
    }
  });

  it("an ingest worker in the durable mode needs a durable online store", async () => {
    const plain = createContextStore({
      sources: [profile, events],
      online: redisStore({ url: primary.url, prefix: "p:" }),
    });
    try {
      expect(() =>
        createStreamIngestor({
          contextStore: plain,
          url: primary.url,
          stream: "p:events",
          durability: { replicas: 1 },
        }),
      ).toThrow(
        expect.objectContaining({ code: "CTX_CONFIG", message: expect.stringMatching(/same `durability`/) }),
      );
    } finally {
      await plain.close();
    }
  });

  it("the durable ingest worker applies, replicates and acknowledges", async () => {
    const durability = { replicas: 1, timeoutMs: 500 };
    const context = createContextStore({
      sources: [profile, events],
      online: redisStore({ url: primary.url, prefix: "ing:", durability }),
    });
    const producer = createStreamProducer({ url: primary.url, stream: "ing:events", durability });
    const worker = createStreamIngestor({
      contextStore: context,
      url: primary.url,
      stream: "ing:events",
      durability,
      blockMs: 100,
      // An unknown source is dead-lettered: that XADD is durable too.
    });
    try {
      await worker.start();
      await producer.publish([
        { source: events.name, key: { sessionId: "s9" }, value: { n: 1 }, eventTime: 1 },
        { source: "nope", key: { sessionId: "s9" }, value: { n: 2 }, eventTime: 2, eventId: "x" },
      ]);
      await waitFor(
        () => worker.counters().processed === 1 && worker.counters().invalid === 1,
        10_000,
        "not ingested",
      );
      await waitFor(async () => (await worker.refreshLag()).pending === 0, 5_000, "never acknowledged");
      expect(await sendCommand(replica.port, ["XLEN", "ing:events:dead"])).toBe(1);
      const info = (await sendCommand(replica.port, ["XPENDING", "ing:events", "ctxstore"])) as unknown[];
      expect(info[0]).toBe(0);
    } finally {
      await worker.stop();
      await producer.close();
      await context.close();
    }
  });
});
