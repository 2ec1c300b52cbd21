// A numbered-writer load for failover tests, the way an operator would try a Redis topology: readers
// keep `readers` assemblies in flight and capture every prompt's statuses, while a writer, every
// `periodMs`, puts numbered data through all three write paths: `ctx.write` of a batch value (one
// entity per number, so each can be checked), `ctx.append` of a stream event, and a producer publish
// that an ingest worker applies. `report()` stops it, waits for the ingest worker to catch up, reads
// everything back and says what was acknowledged and lost, whether any prompt showed a phantom zero
// (a known value read as `missing` or `empty`), every error that was not a `CtxError`, the latency
// against the deadline, and how long prompts took to become whole again after `markFault()`.

import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  type AssembleResult,
  batch,
  type ContextStore,
  createContextStore,
  defineEntity,
  isCtxError,
  stream,
} from "@ctxstore/core";
import { canonicalize, sourceField } from "@ctxstore/core/store";
import { z } from "zod";
import type { RedisConnectionOptions } from "../connection.js";
import { createStreamIngestor, type StreamIngestor } from "../ingest/ingestor.js";
import { createStreamProducer, type StreamProducer } from "../ingest/producer.js";
import { type RedisOnlineStore, type RedisStoreOptions, redisStore } from "../store.js";

/**
 * Options of `startNumberedLoad`: where Redis is, key prefix, extra store options, readers in flight,
 * writer period and assembly deadline (ms), and the stream window.
 */
export interface NumberedLoadOptions {
  /** Where Redis is (`url`, `cluster` or `sentinel`); used by the store, the producer and the ingest worker. */
  connection: RedisConnectionOptions;
  /** Key prefix (also names the stream). Default a random one. */
  prefix?: string;
  /** Extra store/connection options for all three (timeouts, `durability`, `failover`). */
  options?: Omit<RedisStoreOptions, "url" | "cluster" | "sentinel" | "client" | "prefix">;
  /** Assemblies kept in flight. Default 25. */
  readers?: number;
  /** Writer period. Default 20 ms. */
  periodMs?: number;
  /** Deadline of each assembly in ms. Default 250. */
  deadlineMs?: number;
  /** Window of the two stream sources; must exceed the number of writer ticks. Default 5000. */
  window?: number;
}

/**
 * One write path's figures in a numbered load: acknowledged and failed calls, acknowledged numbers
 * lost after recovery, duplicates, and the slowest call (ms).
 */
export interface WritePathReport {
  /** Calls that resolved (acknowledged). */
  readonly acknowledged: number;
  /** Calls that rejected (not acknowledged; they may or may not have been applied). */
  readonly failed: number;
  /** Acknowledged numbers that are not there after recovery. */
  readonly lost: readonly number[];
  /** Time from the first to the last acknowledgement of a lost write (0 when none or one was lost). */
  readonly lossWindowMs: number;
  /** Entries present more than once (windows dedupe by event id, so this must stay 0). */
  readonly duplicated: number;
  /** Slowest call, acknowledged or not, in ms. */
  readonly maxLatencyMs: number;
}

/**
 * What a numbered load's `report()` found: per write path what was acknowledged and lost, prompts
 * that were whole or showed a phantom zero, statuses, latency against the deadline, recovery time
 * after `markFault()`, untyped errors and the ingest worker's counters.
 */
export interface NumberedLoadReport {
  readonly ticks: number;
  readonly writes: WritePathReport;
  readonly appends: WritePathReport;
  readonly published: WritePathReport;
  readonly prompts: number;
  /** Prompts where all three sources were `ok`. */
  readonly wholePrompts: number;
  /** Prompts where a source known to hold data read as `missing` or `empty`. */
  readonly phantomZeros: number;
  /** Count of each status per source over all prompts. */
  readonly statuses: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly deadlineMs: number;
  readonly maxPromptLatencyMs: number;
  /** Prompts slower than the deadline + 5%. */
  readonly overDeadline: number;
  /**
   * This process' event-loop delay while the load ran (max and p99, ms): a prompt cannot finish
   * sooner than the loop gets to it, so on a busy machine this, not Redis, bounds the overshoot.
   */
  readonly eventLoopDelayMs: { readonly max: number; readonly p99: number };
  /** From `markFault()` until the end of the last prompt that was not whole; undefined without a mark. */
  readonly recoveryMs: number | undefined;
  /** Prompts per 500 ms since `markFault()` (negative: before it): whole ones and the others' statuses. */
  readonly timeline: ReadonlyArray<{
    readonly fromMs: number;
    readonly whole: number;
    readonly other: Readonly<Record<string, number>>;
  }>;
  /** Rejections that were not `CtxError`s, per path (assemble, write, append, publish, ingest), with samples. */
  readonly untypedErrors: Readonly<Record<string, number>>;
  readonly untypedSamples: readonly string[];
  /** Error codes seen, per path. */
  readonly errorCodes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Ingest worker counters at the end. */
  readonly ingest: ReturnType<StreamIngestor["counters"]>;
}

/** A running numbered load, from `startNumberedLoad`: mark the fault, then `report()` (or `close()`). */
export interface NumberedLoad {
  readonly context: ContextStore;
  readonly store: RedisOnlineStore;
  /** Records "now" as the moment of the fault (for `recoveryMs`). */
  markFault(): void;
  /** Stops the load, waits for ingest (up to `settleMs`, default 15 s), verifies, closes everything. */
  report(options?: { settleMs?: number }): Promise<NumberedLoadReport>;
  /** Stops and closes without verifying (cleanup after a failed test). */
  close(): Promise<void>;
}

const SOURCES = ["numbered_profile", "numbered_events", "ingested_events"] as const;

/**
 * Starts a numbered-writer load for failover tests: readers keep assemblies in flight while a writer
 * puts numbered data through `ctx.write`, `ctx.append` and a producer/ingest worker, so `report()` can
 * say exactly what was acknowledged and lost, and whether any prompt showed a phantom zero.
 *
 * ```ts
 * const load = await startNumberedLoad({ connection: { url: server.url } });
 * load.markFault();
 * await server.kill();
 * const report = await load.report(); // report.writes.lost, report.phantomZeros, report.recoveryMs
 * ```
 */
export async function startNumberedLoad(options: NumberedLoadOptions): Promise<NumberedLoad> {
  const prefix = options.prefix ?? `load${Math.random().toString(36).slice(2, 8)}:`;
  const readers = options.readers ?? 25;
  const periodMs = options.periodMs ?? 20;
  const deadlineMs = options.deadlineMs ?? 250;
  const window = options.window ?? 5_000;
  const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
  const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
  const feed = defineEntity("feed", { key: z.object({ feedId: z.string() }) });
  const profile = batch("numbered_profile", {
    entity: user,
    schema: z.object({ n: z.number().int() }),
    maxAge: "1d",
    section: "Profile",
    render: (value) => `profile number ${value.n}`,
    onUnavailable: "note",
  });
  const events = stream("numbered_events", {
    entity: session,
    schema: z.object({ n: z.number().int() }),
    window,
    maxAge: "1h",
    section: "Events",
    render: (event) => `event ${event.n}`,
    eventId: (event) => `e${event.n}`,
    onUnavailable: "note",
  });
  const ingested = stream("ingested_events", {
    entity: feed,
    schema: z.object({ n: z.number().int() }),
    window,
    maxAge: "1h",
    section: "Feed",
    render: (event) => `fed ${event.n}`,
    eventId: (event) => `f${event.n}`,
    onUnavailable: "note",
  });
  const connection = { ...options.connection, ...options.options };
  const store = redisStore({ ...connection, prefix });
  const context = createContextStore({ sources: [profile, events, ingested], online: store });
  const streamKey = `${prefix}events`;
  let producer: StreamProducer | undefined;
  let ingestor: StreamIngestor | undefined;
  const untyped: Record<string, number> = {};
  const untypedSamples: string[] = [];
  const codes: Record<string, Record<string, number>> = {};
  const noteError = (path: string, error: unknown) => {
    if (isCtxError(error)) {
      bump(codes, path, error.code);
      return;
    }
    untyped[path] = (untyped[path] ?? 0) + 1;
    if (untypedSamples.length < 10)
      untypedSamples.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  };
  const closeAll = async () => {
    await ingestor?.stop().catch(() => undefined);
    await producer?.close().catch(() => undefined);
    await context.close().catch(() => undefined);
  };
  const readerKeys = {
    user: { userId: "reader" },
    session: { sessionId: "live" },
    feed: { feedId: "ingested" },
  };

  try {
    await context.ready();
    producer = createStreamProducer({ ...connection, stream: streamKey });
    // A freshly started topology on a busy machine can miss the first command's timeout: retry.
    for (let attempt = 1; ; attempt++) {
      ingestor = createStreamIngestor({
        ...connection,
        contextStore: context,
        stream: streamKey,
        consumer: "load-worker",
        blockMs: 200,
        claimIdleMs: 2_000,
        retryDelayMs: { min: 20, max: 200 },
        onError: (error) => noteError("ingest", error),
      });
      try {
        await ingestor.start();
        break;
      } catch (error) {
        await ingestor.stop().catch(() => undefined);
        if (attempt === 3) throw error;
      }
    }
    // Known data the readers must always see (or see as unknown, never as absent). Number 0.
    await context.write(profile, readerKeys.user, { n: 0 });
    await context.append(events, readerKeys.session, { n: 0 });
    await producer.publish({
      source: ingested.name,
      key: readerKeys.feed,
      value: { n: 0 },
      eventId: "f0",
      eventTime: Date.now(),
    });
    await waitUntil(
      async () => {
        const result = await context.assemble({ keys: readerKeys, budget: { maxTokens: 4_000 } });
        return SOURCES.every((name) => result.values[name]?.status === "ok");
      },
      15_000,
      "the seeded values never all read ok",
    );
  } catch (error) {
    await closeAll();
    throw error;
  }

  type Ack = { n: number; ackAt: number };
  const acks = { writes: [] as Ack[], appends: [] as Ack[], published: [] as Ack[] };
  const failures = { writes: 0, appends: 0, published: 0 };
  const maxLatency = { writes: 0, appends: 0, published: 0 };
  const inFlight = new Set<Promise<unknown>>();
  const track = (path: keyof typeof acks, label: string, n: number, call: () => Promise<unknown>) => {
    const started = performance.now();
    const done = call().then(
      () => {
        acks[path].push({ n, ackAt: Date.now() });
      },
      (error: unknown) => {
        failures[path]++;
        noteError(label, error);
      },
    );
    const settled = done.finally(() => {
      maxLatency[path] = Math.max(maxLatency[path], performance.now() - started);
      inFlight.delete(settled);
    });
    inFlight.add(settled);
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  let running = true;
  let ticks = 0;
  const writer = setInterval(() => {
    if (!running) return;
    const n = ++ticks;
    track("writes", "write", n, () => context.write(profile, { userId: `n${n}` }, { n }));
    track("appends", "append", n, () => context.append(events, readerKeys.session, { n }));
    track("published", "publish", n, () =>
      (producer as StreamProducer).publish({
        source: ingested.name,
        key: readerKeys.feed,
        value: { n },
        eventId: `f${n}`,
        eventTime: Date.now(),
      }),
    );
  }, periodMs);

  type Prompt = { startedAt: number; endedAt: number; whole: boolean; statuses: string };
  const prompts: Prompt[] = [];
  const statuses: Record<string, Record<string, number>> = {};
  let phantomZeros = 0;
  let maxPromptLatencyMs = 0;
  let overDeadline = 0;
  const capture = (result: AssembleResult) => {
    let whole = true;
    for (const name of SOURCES) {
      const status = result.values[name]?.status ?? "absent";
      bump(statuses, name, status);
      if (status !== "ok") whole = false;
      if (status === "missing" || status === "empty" || status === "absent") phantomZeros++;
    }
    return { whole, statuses: SOURCES.map((name) => result.values[name]?.status ?? "absent").join("/") };
  };
  const readerLoops = Array.from({ length: readers }, async () => {
    while (running) {
      const startedAt = Date.now();
      const started = performance.now();
      let outcome = { whole: false, statuses: "threw" };
      try {
        outcome = capture(
          await context.assemble({ keys: readerKeys, budget: { maxTokens: 4_000 }, deadline: deadlineMs }),
        );
      } catch (error) {
        noteError("assemble", error);
      }
      const latency = performance.now() - started;
      maxPromptLatencyMs = Math.max(maxPromptLatencyMs, latency);
      if (latency > deadlineMs * 1.05) overDeadline++;
      prompts.push({ startedAt, endedAt: Date.now(), ...outcome });
      // Yield, so a store that answers synchronously cannot starve the writer's timer.
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
  let faultAt: number | undefined;

  const stopLoad = async () => {
    loopDelay.disable();
    running = false;
    clearInterval(writer);
    await Promise.all(readerLoops);
    await Promise.all([...inFlight]);
  };

  return {
    context,
    store,
    markFault() {
      faultAt = Date.now();
    },
    async close() {
      await stopLoad();
      await closeAll();
    },
    async report({ settleMs = 15_000 } = {}) {
      await stopLoad();
      try {
        const published = new Set(acks.published.map((ack) => ack.n));
        const readWindow = async (source: typeof events | typeof ingested, key: unknown) => {
          const result = await store.read({
            records: [
              {
                entity: source.entity.name,
                key: canonicalize(key),
                field: sourceField(source),
                kind: "window",
              },
            ],
          });
          const record = result.records[0];
          if (record?.kind !== "window") throw new Error(`the ${source.name} window did not read back`);
          return record.events.map((event) => (event.value as { n: number }).n);
        };
        // The ingest worker applies what was published; wait until everything acknowledged is in.
        let fed: number[] = [];
        const settleBy = Date.now() + settleMs;
        for (;;) {
          try {
            fed = await readWindow(ingested, readerKeys.feed);
            const seen = new Set(fed);
            if ([...published].every((n) => seen.has(n))) break;
          } catch {
            // not reachable yet
          }
          if (Date.now() > settleBy) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // Read back with retries: the topology may still be settling (a client reconnecting).
        const appended = await retried(() => readWindow(events, readerKeys.session));
        const profileReads = await retried(() =>
          store.read({
            records: acks.writes.map((ack) => ({
              entity: "user",
              key: canonicalize({ userId: `n${ack.n}` }),
              field: sourceField(profile),
              kind: "value" as const,
            })),
          }),
        );
        const writtenPresent = new Set<number>();
        profileReads.records.forEach((record) => {
          if (record.kind === "value" && record.envelope)
            writtenPresent.add((record.envelope.value as { n: number }).n);
        });
        const pathReport = (
          path: keyof typeof acks,
          present: readonly number[] | Set<number>,
        ): WritePathReport => {
          const list = [...present];
          const seen = new Set(list);
          const lost = acks[path].filter((ack) => !seen.has(ack.n));
          const times = lost.map((ack) => ack.ackAt);
          return {
            acknowledged: acks[path].length,
            failed: failures[path],
            lost: lost.map((ack) => ack.n).sort((a, b) => a - b),
            lossWindowMs: times.length > 1 ? Math.max(...times) - Math.min(...times) : 0,
            duplicated: list.length - seen.size,
            maxLatencyMs: Math.round(maxLatency[path] * 10) / 10,
          };
        };
        let recoveryMs: number | undefined;
        if (faultAt !== undefined) {
          const broken = prompts.filter((prompt) => !prompt.whole && prompt.endedAt >= (faultAt as number));
          recoveryMs =
            broken.length === 0 ? 0 : Math.max(...broken.map((prompt) => prompt.endedAt)) - faultAt;
        }
        const buckets = new Map<number, { fromMs: number; whole: number; other: Record<string, number> }>();
        for (const prompt of prompts) {
          const fromMs = Math.floor((prompt.startedAt - (faultAt ?? prompts[0]?.startedAt ?? 0)) / 500) * 500;
          const bucket = buckets.get(fromMs) ?? { fromMs, whole: 0, other: {} };
          if (prompt.whole) bucket.whole++;
          else bucket.other[prompt.statuses] = (bucket.other[prompt.statuses] ?? 0) + 1;
          buckets.set(fromMs, bucket);
        }
        return {
          timeline: [...buckets.values()],
          ticks,
          writes: pathReport("writes", writtenPresent),
          appends: pathReport("appends", appended),
          published: pathReport("published", fed),
          prompts: prompts.length,
          wholePrompts: prompts.filter((prompt) => prompt.whole).length,
          phantomZeros,
          statuses,
          deadlineMs,
          maxPromptLatencyMs: Math.round(maxPromptLatencyMs * 10) / 10,
          overDeadline,
          eventLoopDelayMs: {
            max: Math.round(loopDelay.max / 1e5) / 10,
            p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
          },
          recoveryMs,
          untypedErrors: untyped,
          untypedSamples,
          errorCodes: codes,
          ingest: (ingestor as StreamIngestor).counters(),
        };
      } finally {
        await closeAll();
      }
    },
  };
}

function bump(table: Record<string, Record<string, number>>, row: string, column: string): void {
  const counts = table[row] ?? {};
  counts[column] = (counts[column] ?? 0) + 1;
  table[row] = counts;
}

async function retried<T>(read: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // keep trying
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
