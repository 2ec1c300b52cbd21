// The Redis Streams ingest worker against a private redis-server: out-of-order delivery, bad input to
// the dead-letter stream, idempotent replays, graceful drain, counters, and the kill -9 crash test
// with the worker running as a separate process.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CtxError, createContextStore, type Envelope, empty, type OnlineStore } from "@ctxstore/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createStreamIngestor,
  createStreamProducer,
  encodeStreamEvent,
  type RedisOnlineStore,
  redisStore,
  type StreamEvent,
} from "../src/index.js";
import { type RedisServer, redisServerAvailable, startRedisServer, waitFor } from "../src/testing/index.js";
import { fragile, profile, recent, sources, stock } from "./fixtures/definitions.js";
import { expectTenantIngest, tenantIngest } from "./fixtures/tenant-ingest.js";

const available = redisServerAvailable();
let counter = 0;
const unique = (label: string) => `${label}${++counter}`;

interface Published {
  profiles: Map<string, { summary: string; revision: number; eventTime: number }[]>;
  sessions: Map<string, { id: string; eventTime: number; action: string; n: number }[]>;
}

/** Events for `users` profiles (LWW values) and `sessions` windows, with unique event times, shuffled. */
function makeEvents(
  users: number,
  valuesPerUser: number,
  sessions: number,
  eventsPerSession: number,
): { events: StreamEvent[]; published: Published } {
  const published: Published = { profiles: new Map(), sessions: new Map() };
  const events: StreamEvent[] = [];
  const base = Date.now() - 60_000;
  let tick = 0;
  for (let u = 0; u < users; u++) {
    const userId = `u${u}`;
    const list: Published["profiles"] extends Map<string, infer L> ? L : never = [];
    for (let v = 0; v < valuesPerUser; v++) {
      const value = { summary: `user ${userId} revision ${v}`, revision: v, eventTime: base + ++tick };
      list.push(value);
      events.push({
        source: profile,
        key: { userId },
        value: { summary: value.summary, revision: v },
        eventTime: value.eventTime,
      });
    }
    published.profiles.set(userId, list);
  }
  for (let s = 0; s < sessions; s++) {
    const sessionId = `s${s}`;
    const list: Published["sessions"] extends Map<string, infer L> ? L : never = [];
    for (let e = 0; e < eventsPerSession; e++) {
      const event = { id: `${sessionId}-e${e}`, eventTime: base + ++tick, action: `click ${e % 7}`, n: e };
      list.push(event);
      events.push({
        source: recent,
        key: { sessionId },
        value: { action: event.action, n: e },
        eventTime: event.eventTime,
        eventId: event.id,
      });
    }
    published.sessions.set(sessionId, list);
  }
  for (let index = events.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [events[index], events[other]] = [events[other] as StreamEvent, events[index] as StreamEvent];
  }
  return { events, published };
}

/** The final online state must equal applying every published event exactly once. */
async function expectStateMatches(store: RedisOnlineStore, published: Published): Promise<void> {
  const profileKeys = [...published.profiles.keys()];
  const sessionKeys = [...published.sessions.keys()];
  const result = await store.read({
    records: [
      ...profileKeys.map((userId) => ({
        entity: "user",
        key: `userId=${userId}`,
        field: "profile@1",
        kind: "value" as const,
      })),
      ...sessionKeys.map((sessionId) => ({
        entity: "session",
        key: `sessionId=${sessionId}`,
        field: "recent_activity@1",
        kind: "window" as const,
      })),
    ],
  });
  profileKeys.forEach((userId, index) => {
    const newest = [...(published.profiles.get(userId) ?? [])].sort((a, b) => b.eventTime - a.eventTime)[0];
    const record = result.records[index];
    expect(record?.kind === "value" ? record.envelope?.eventTime : record).toBe(newest?.eventTime);
    expect(record?.kind === "value" ? record.envelope?.value : undefined).toEqual({
      summary: newest?.summary,
      revision: newest?.revision,
    });
  });
  sessionKeys.forEach((sessionId, index) => {
    const expected = [...(published.sessions.get(sessionId) ?? [])]
      .sort((a, b) => a.eventTime - b.eventTime)
      .slice(-recent.window);
    const record = result.records[profileKeys.length + index];
    const events = record?.kind === "window" ? record.events : [];
    expect(events.map((event: Envelope) => event.eventId)).toEqual(expected.map((event) => event.id));
    expect(events.map((event: Envelope) => event.value)).toEqual(
      expected.map((event) => ({ action: event.action, n: event.n })),
    );
  });
}

describe.skipIf(!available)("stream ingest worker", () => {
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

  function setup(label: string, storeOptions: { maxRecordBytes?: number } = {}) {
    const prefix = `${unique(label)}:`;
    const stream = `${prefix}events`;
    const store = redisStore({ url: server.url, prefix, ...storeOptions });
    const context = createContextStore({ sources, online: store });
    const producer = createStreamProducer({ url: server.url, stream });
    return { prefix, stream, store, context, producer };
  }

  it("applies shuffled (out-of-order) events so every value ends at its newest event time and every window holds the newest N", async () => {
    const { stream, store, context, producer } = setup("ooo");
    const { events, published } = makeEvents(20, 8, 20, 12);
    await producer.publish(events);
    const ingestor = createStreamIngestor({ context, url: server.url, stream, batchSize: 37, blockMs: 100 });
    try {
      // The lag counter sees the backlog before the worker starts consuming it.
      await admin.xgroup("CREATE", stream, "ctxstore", "0");
      expect(await ingestor.refreshLag()).toEqual({ lag: events.length, pending: 0 });
      expect(ingestor.counters().lag).toBe(events.length);
      await ingestor.start();
      await waitFor(
        () => ingestor.counters().processed === events.length,
        15_000,
        "not every event was processed",
      );
      await expectStateMatches(store, published);
      const counters = ingestor.counters();
      expect(counters.invalid).toBe(0);
      // Older values and events pushed out of the window arrive too; they are processed, not applied.
      expect(counters.unchanged).toBeGreaterThan(0);
      const { lag, pending } = await ingestor.refreshLag();
      expect(lag).toBe(0);
      expect(pending).toBe(0);
    } finally {
      await ingestor.stop();
      await producer.close();
      await context.close();
    }
  });

  it("replays idempotently: publishing every event again changes nothing", async () => {
    const { stream, store, context, producer } = setup("replay");
    const { events, published } = makeEvents(5, 4, 5, 9);
    await producer.publish(events);
    const ingestor = createStreamIngestor({ context, url: server.url, stream, batchSize: 25, blockMs: 100 });
    try {
      await ingestor.start();
      await waitFor(() => ingestor.counters().processed === events.length, 10_000, "first pass incomplete");
      const before = await admin.hgetall(`${stream.replace(/events$/, "")}{session:sessionId=s0}`);
      await producer.publish(events);
      await waitFor(() => ingestor.counters().processed === 2 * events.length, 10_000, "replay incomplete");
      expect(ingestor.counters().unchanged).toBeGreaterThanOrEqual(events.length);
      await expectStateMatches(store, published);
      expect(await admin.hgetall(`${stream.replace(/events$/, "")}{session:sessionId=s0}`)).toEqual(before);
    } finally {
      await ingestor.stop();
      await producer.close();
      await context.close();
    }
  });

  it("dead-letters bad input with the reason, acks it, and keeps applying the good events around it", async () => {
    const { stream, store, context, producer } = setup("bad");
    const raw = async (...fields: string[]) => admin.xadd(stream, "*", ...fields);
    const now = Date.now();
    const good = await producer.publish({
      source: "recent_activity",
      key: { sessionId: "ok" },
      value: { action: "view", n: 1 },
      eventTime: now,
      eventId: "good-1",
    });
    await raw(...encodeStreamEvent({ source: "nope", key: { userId: "u" }, value: {}, eventTime: now }));
    await raw(
      ...encodeStreamEvent({
        source: recent,
        key: { sessionId: "s" },
        value: { action: 5, n: "x" },
        eventTime: now,
        eventId: "e1",
      }),
    );
    await raw(
      ...encodeStreamEvent({
        source: recent,
        key: { sessionId: "s" },
        value: { action: "a", n: 1 },
        eventId: "e2",
      }),
    );
    await raw(
      ...encodeStreamEvent({
        source: recent,
        key: { sessionId: "s" },
        value: { action: "a", n: 1 },
        eventTime: now,
      }),
    );
    await raw(
      ...encodeStreamEvent({
        source: recent,
        key: { wrong: "key" },
        value: { action: "a", n: 1 },
        eventTime: now,
        eventId: "e3",
      }),
    );
    await raw(
      ...encodeStreamEvent({ source: stock, key: { userId: "u" }, value: { count: 1 }, eventTime: now }),
    );
    await raw(
      ...encodeStreamEvent({
        source: profile,
        key: { userId: "big" },
        value: { summary: "x".repeat(5_000), revision: 1 },
        eventTime: now,
      }),
    );
    await raw("source", "profile", "key", "{not json", "value", "{}", "eventTime", String(now));
    await raw(
      "source",
      "profile",
      "key",
      '{"userId":"u"}',
      "value",
      '{"summary":"s","revision":1}',
      "eventTime",
      "yesterday-ish",
    );
    await raw("garbage", "1");
    await raw(
      ...encodeStreamEvent({
        source: fragile,
        key: { sessionId: "s" },
        value: { action: "explode" },
        eventTime: now,
        eventId: "boom",
      }),
    );
    await producer.publish([
      { source: profile, key: { userId: "new" }, value: empty("no profile yet"), eventTime: now },
      {
        source: recent,
        key: { sessionId: "ok" },
        value: { action: "buy", n: 2 },
        eventTime: now + 1,
        eventId: "good-2",
      },
    ]);
    const ingestor = createStreamIngestor({
      context,
      url: server.url,
      stream,
      blockMs: 100,
      maxEventBytes: 2_000,
    });
    try {
      await ingestor.start();
      await waitFor(
        () => ingestor.counters().processed + ingestor.counters().invalid === 14,
        10_000,
        "not every entry was handled",
      );
      expect(ingestor.counters()).toMatchObject({ processed: 3, invalid: 11 });
      const dead = await admin.xrange(`${stream}:dead`, "-", "+");
      expect(dead).toHaveLength(11);
      const reasons = dead.map(([, fields]) => fields[fields.indexOf("reason") + 1]);
      expect(reasons).toEqual([
        expect.stringContaining('unknown source "nope"'),
        expect.stringContaining("fails its schema"),
        expect.stringContaining("no `eventTime`"),
        expect.stringContaining("no `eventId`"),
        expect.stringContaining("CTX_INVALID_KEY"),
        expect.stringContaining("realtime source"),
        expect.stringContaining("over maxEventBytes"),
        expect.stringContaining("`key` is not JSON"),
        expect.stringContaining("neither epoch ms nor ISO-8601"),
        expect.stringContaining("no `source` field"),
        expect.stringContaining("render blew up"),
      ]);
      // The dead letter keeps the original entry for inspection and replay.
      const first = dead[0]?.[1] ?? [];
      expect(first).toEqual(expect.arrayContaining(["originalStream", stream, "source", "nope"]));
      expect(await admin.xpending(stream, "ctxstore")).toEqual([0, null, null, null]);
      const result = await store.read({
        records: [
          { entity: "session", key: "sessionId=ok", field: "recent_activity@1", kind: "window" },
          { entity: "user", key: "userId=new", field: "profile@1", kind: "value" },
        ],
      });
      expect(
        result.records[0]?.kind === "window" ? result.records[0].events.map((event) => event.eventId) : [],
      ).toEqual(["good-1", "good-2"]);
      expect(result.records[1]).toMatchObject({
        kind: "value",
        envelope: { empty: true, emptyReason: "no profile yet" },
      });
      expect(good).toHaveLength(1);
    } finally {
      await ingestor.stop();
      await producer.close();
      await context.close();
    }
  });

  it("on a multi-tenant context store, applies each message to its own tenant's keys and dead-letters one without a tenant (#18)", async () => {
    const outcome = await tenantIngest({ url: server.url }, admin, `${unique("tenants")}:`);
    expectTenantIngest(outcome);
  });

  it("drains gracefully on stop(): everything read is acknowledged, nothing is left pending", async () => {
    const { stream, context, producer } = setup("drain");
    const { events } = makeEvents(10, 10, 10, 30);
    await producer.publish(events);
    const ingestor = createStreamIngestor({ context, url: server.url, stream, batchSize: 20, blockMs: 100 });
    await ingestor.start();
    await waitFor(() => ingestor.counters().processed > 0, 5_000, "nothing processed");
    await ingestor.stop();
    expect(ingestor.running).toBe(false);
    const processed = ingestor.counters().processed;
    expect(processed).toBeGreaterThan(0);
    const [pendingCount] = (await admin.xpending(stream, "ctxstore")) as [number];
    expect(pendingCount).toBe(0);
    const groups = (await admin.xinfo("GROUPS", stream)) as unknown[][];
    const info = groups[0] ?? [];
    expect(Number(info[info.indexOf("entries-read") + 1])).toBe(processed);
    await producer.close();
    await context.close();
  });

  it("commits batches in order: when a batch's write fails, the batch already written after it is not acknowledged or dead-lettered until both are re-applied", async () => {
    const { stream, store, producer } = setup("inorder");
    let appendCalls = 0;
    const failures: unknown[] = [];
    let failedIds: Set<string> | undefined;
    let reapplied = false;
    const watermarksWhileLost: number[] = [];
    // The second write call fails, slowly: by then the next batch's writes are already out. Until the
    // failed events are applied, no watermark may be raised (windows would read as fresh without them).
    const flaky: OnlineStore = {
      ...store,
      async append(appends) {
        appendCalls++;
        if (appendCalls === 2) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          failedIds = new Set(appends.map((append) => append.event.eventId as string));
          throw new CtxError("CTX_STORE_UNAVAILABLE", "test: this batch's write failed", {});
        }
        const outcomes = await store.append(appends);
        if (failedIds && appends.some((append) => failedIds?.has(append.event.eventId as string)))
          reapplied = true;
        return outcomes;
      },
      async setWatermark(field, time) {
        if (failedIds !== undefined && !reapplied) watermarksWhileLost.push(time);
        return store.setWatermark(field, time);
      },
    };
    const context = createContextStore({ sources, online: flaky });
    const { events, published } = makeEvents(0, 0, 4, 10);
    await producer.publish(events.slice(0, 25));
    await admin.xadd(
      stream,
      "*",
      "source",
      "recent_activity",
      "key",
      '{"sessionId":"x"}',
      "value",
      "not json",
    );
    await producer.publish(events.slice(25));
    const ingestor = createStreamIngestor({
      context,
      url: server.url,
      stream,
      batchSize: 10,
      blockMs: 100,
      retryDelayMs: { min: 10, max: 10 },
      onError: (error) => failures.push(error),
    });
    try {
      await ingestor.start();
      await waitFor(
        () => ingestor.counters().processed === events.length,
        10_000,
        "not every event was processed",
      );
      await expectStateMatches(store, published);
      const counters = ingestor.counters();
      expect(reapplied).toBe(true);
      expect(watermarksWhileLost).toEqual([]);
      expect(failures).toHaveLength(1);
      expect(counters.failures).toBe(1);
      // The failed batch and the one written after it were both delivered again.
      expect(counters.retried).toBeGreaterThanOrEqual(20);
      expect(counters.invalid).toBe(1);
      expect(await admin.xlen(`${stream}:dead`)).toBe(1);
      const { pending } = await ingestor.refreshLag();
      expect(pending).toBe(0);
    } finally {
      await ingestor.stop();
      await producer.close();
      await context.close();
    }
  });

  it("keeps the watermark moving while healthy (idle included) and stops it when the worker stops", async () => {
    const { stream, store, context, producer } = setup("heartbeat");
    const ingestor = createStreamIngestor({ context, url: server.url, stream, blockMs: 50 });
    const watermark = async () =>
      (await store.read({ records: [], watermarks: ["recent_activity@1"] })).watermarks["recent_activity@1"];
    try {
      await ingestor.start();
      await waitFor(async () => (await watermark()) !== undefined, 2_000, "no watermark while idle");
      const first = (await watermark()) as number;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = (await watermark()) as number;
      expect(second).toBeGreaterThan(first);
      expect(Date.now() - second).toBeLessThan(500);
      await ingestor.stop();
      const stopped = (await watermark()) as number;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await watermark()).toBe(stopped);
    } finally {
      await ingestor.stop();
      await producer.close();
      await context.close();
    }
  });
});

describe.skipIf(!available)("stream ingest worker when Redis fails", () => {
  it("stops raising the watermark while Redis hangs, retries, and applies everything once Redis answers again", async () => {
    const server = await startRedisServer();
    const prefix = "fault:";
    const stream = `${prefix}events`;
    const store = redisStore({ url: server.url, prefix, commandTimeoutMs: 200 });
    const context = createContextStore({ sources, online: store });
    const producer = createStreamProducer({ url: server.url, stream });
    const ingestor = createStreamIngestor({
      context,
      url: server.url,
      stream,
      blockMs: 50,
      commandTimeoutMs: 200,
      retryDelayMs: { min: 20, max: 200 },
    });
    try {
      await ingestor.start();
      await waitFor(() => ingestor.counters().watermark !== undefined, 3_000, "no heartbeat");
      server.pause();
      const pausedAt = Date.now();
      await waitFor(
        () => ingestor.counters().failures > 0,
        3_000,
        "the worker never noticed the hung server",
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      // No heartbeat while Redis cannot be read: freshness must not be claimed.
      expect(ingestor.counters().watermark as number).toBeLessThanOrEqual(pausedAt);
      expect(ingestor.counters().lastError).toBeDefined();
      server.resume();
      const { events, published } = makeEvents(5, 3, 5, 8);
      await producer.publish(events);
      await waitFor(
        () => ingestor.counters().processed === events.length,
        10_000,
        "the worker never recovered",
      );
      await expectStateMatches(store, published);
      await waitFor(
        () => (ingestor.counters().watermark ?? 0) > pausedAt,
        3_000,
        "the watermark never moved again",
      );
    } finally {
      server.resume();
      await ingestor.stop();
      await producer.close();
      await context.close();
      await server.stop();
    }
  });
});

describe.skipIf(!available)("stream ingest worker when Redis restarts empty", () => {
  it("recreates its consumer group and keeps ingesting after Redis comes back without data", async () => {
    const server = await startRedisServer();
    const stream = "restart:events";
    const store = redisStore({
      url: server.url,
      prefix: "restart:",
      commandTimeoutMs: 300,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    });
    const context = createContextStore({ sources, online: store });
    const ingestor = createStreamIngestor({
      context,
      url: server.url,
      stream,
      blockMs: 50,
      commandTimeoutMs: 300,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
      retryDelayMs: { min: 20, max: 200 },
    });
    const producer = createStreamProducer({
      url: server.url,
      stream,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    });
    const event = (id: string) => ({
      source: recent,
      key: { sessionId: "s" },
      value: { action: id, n: 1 },
      eventTime: Date.now(),
      eventId: id,
    });
    try {
      await ingestor.start();
      await producer.publish(event("before"));
      await waitFor(() => ingestor.counters().processed === 1, 5_000, "first event not applied");
      await server.kill();
      await waitFor(() => ingestor.counters().failures > 0, 5_000, "the worker never noticed Redis was gone");
      await server.restart();
      await waitFor(
        async () =>
          await producer.publish(event("after")).then(
            () => true,
            () => false,
          ),
        5_000,
        "could not publish after restart",
      );
      await waitFor(
        () => ingestor.counters().processed >= 2,
        10_000,
        `the worker never resumed: ${ingestor.counters().lastError}`,
      );
      const result = await store.read({
        records: [{ entity: "session", key: "sessionId=s", field: "recent_activity@1", kind: "window" }],
      });
      expect(
        result.records[0]?.kind === "window" ? result.records[0].events.map((e) => e.eventId) : [],
      ).toEqual(["after"]);
    } finally {
      await ingestor.stop();
      await producer.close();
      await context.close();
      await server.stop();
    }
  });
});

describe.skipIf(!available)("stream ingest worker crash (kill -9)", () => {
  let server: RedisServer;
  let admin: Redis;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    admin?.disconnect();
    await server?.stop();
  });

  function spawnWorker(environment: Record<string, string>) {
    const script = fileURLToPath(new URL("./fixtures/ingest-worker.ts", import.meta.url));
    const child = spawn(process.execPath, ["--conditions=@ctxstore/source", "--import", "tsx", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, ...environment },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let latest: Record<string, number> = {};
    let errors = "";
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      const last = lines.filter(Boolean).pop();
      if (last) latest = JSON.parse(last);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, counters: () => latest, errors: () => errors, exited };
  }

  it("loses no event and duplicates none when a worker is killed mid-batch and another takes over", async () => {
    const prefix = "crash:";
    const stream = `${prefix}events`;
    const producer = createStreamProducer({ url: server.url, stream });
    const { events, published } = makeEvents(30, 6, 40, 25);
    // Retries from producers happen too: some events are published twice.
    await producer.publish([...events, ...events.slice(0, 100)]);
    const base = { REDIS_URL: server.url, STREAM: stream, PREFIX: prefix, BATCH_SIZE: "40" };

    const first = spawnWorker({ ...base, CONSUMER: "worker-a", DELAY_AFTER_WRITE_MS: "40" });
    await waitFor(
      () => (first.counters().processed ?? 0) >= 200,
      20_000,
      `worker-a never got going: ${first.errors()}`,
    );
    // Land the kill at a random point of a batch: most batches spend their time between write and ack.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40)));
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    // An XACK written just before the kill can still be in the socket buffer: let Redis drain it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [pendingAfterCrash] = (await admin.xpending(stream, "ctxstore")) as [number];
    expect(pendingAfterCrash).toBeGreaterThan(0);

    const second = spawnWorker({
      ...base,
      CONSUMER: "worker-b",
      DELAY_AFTER_WRITE_MS: "0",
      CLAIM_IDLE_MS: "300",
    });
    await waitFor(
      async () => {
        const [pending] = (await admin.xpending(stream, "ctxstore")) as [number];
        const groups = (await admin.xinfo("GROUPS", stream)) as unknown[][];
        const info = groups[0] ?? [];
        return pending === 0 && Number(info[info.indexOf("lag") + 1]) === 0;
      },
      30_000,
      `the stream was never fully consumed: ${second.errors()}`,
    );
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const counters = second.counters();
    // worker-b reclaimed what worker-a had read but not acknowledged.
    expect(counters.retried).toBeGreaterThanOrEqual(pendingAfterCrash);
    expect(counters.invalid).toBe(0);

    const store = redisStore({ url: server.url, prefix });
    await expectStateMatches(store, published);
    // No duplicate in any window, whatever was replayed.
    for (const sessionId of published.sessions.keys()) {
      const result = await store.read({
        records: [
          { entity: "session", key: `sessionId=${sessionId}`, field: "recent_activity@1", kind: "window" },
        ],
      });
      const ids =
        result.records[0]?.kind === "window" ? result.records[0].events.map((event) => event.eventId) : [];
      expect(new Set(ids).size).toBe(ids.length);
    }
    await store.close();
    await producer.close();
  }, 90_000);
});
