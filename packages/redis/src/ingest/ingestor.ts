// The Redis Streams ingest worker: reads events with a consumer group, validates each one through the
// context store (schema, key, size; rendered and token-counted once), applies the valid ones to the
// online store in pipelined batches, and XACKs an entry only after its write succeeded. Invalid events
// go to a dead-letter stream with the reason. Entries left pending by a dead consumer are reclaimed
// (XAUTOCLAIM); replays are idempotent (window dedupe by event id, last-write-wins for values).
//
// It also keeps each stream source's ingest watermark moving while it is healthy: after a batch, to
// the publish time of the newest entry applied (or to "now" when it is caught up), and to "now" on
// every idle poll. When the worker stops or cannot apply events, the watermark stops moving, so after
// `maxAge` an assembly reads those windows as `stale` instead of claiming "no recent activity".
import { hostname } from "node:os";
import {
  type AnySource,
  type ContextStore,
  CtxError,
  isCtxError,
  type ValueWrite,
  type WindowAppend,
} from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import {
  closeClient,
  downNote,
  isCluster,
  openClient,
  type RedisClient,
  type RedisConnectionOptions,
  unavailableReason,
  withDeadline,
} from "../connection.js";
import { runWrites } from "../durable.js";
import { guardSockets } from "../socket-guard.js";
import { decodeStreamEvent, entryTime } from "./wire.js";

/**
 * Options of `createStreamIngestor`: the connection, the context store events are validated by and
 * appended through, the stream, consumer group and consumer, batch sizes, retries, dead letters and
 * error reporting.
 */
export interface StreamIngestorOptions extends RedisConnectionOptions {
  /** Validates, renders and counts events, and owns the online store they are written to. */
  contextStore?: ContextStore;
  /** @deprecated The former name of `contextStore` (the rest of the API says `contextStore`); still accepted. */
  context?: ContextStore;
  /** Stream key to consume. */
  stream: string;
  /** Consumer group (created with MKSTREAM when missing). Default "ctxstore". */
  group?: string;
  /** This worker's consumer name; reuse it across restarts to resume its own pending entries first. */
  consumer?: string;
  /** Where invalid events go, with the reason. Default `<stream>:dead`. */
  deadLetterStream?: string;
  /** Entries per read. Default 500. */
  batchSize?: number;
  /** How long one read blocks waiting for new entries; also the idle heartbeat period. Default 1000 ms. */
  blockMs?: number;
  /** Pending entries idle this long (their consumer died) are claimed. Default 30 s. */
  claimIdleMs?: number;
  /** Group start when it has to be created: "0" = the whole stream (default), "$" = only new entries. */
  startFrom?: "0" | "$";
  /** Stream sources whose watermark this worker maintains. Default: every stream source of `context`. */
  sources?: readonly AnySource[];
  /** Largest event (sum of its field lengths) accepted; larger ones are dead-lettered. Default 256 KiB. */
  maxEventBytes?: number;
  /** Backoff after a failed batch or read: doubles from min to max. Default 100 / 5000 ms. */
  retryDelayMs?: { min?: number; max?: number };
  /**
   * Called with every error the loop recovers from (logging, metrics): always a CtxError with a code
   * (CTX_STORE_UNAVAILABLE, CTX_TIMEOUT, ...), a raw client error wrapped as its `cause`.
   */
  onError?: (error: CtxError) => void;
}

/**
 * What an ingest worker has done since it started: events processed, dead-lettered and retried,
 * batches and failures, the group's lag and pending entries, the watermark and the last error.
 */
export interface StreamIngestorCounters {
  /** Events applied to the online store (including idempotent no-ops: duplicates, older values). */
  readonly processed: number;
  /** Events dead-lettered (schema, key, unknown source, missing time/id, oversized, malformed). */
  readonly invalid: number;
  /** Events delivered again: after a failed batch, or reclaimed from a dead consumer. */
  readonly retried: number;
  /** Entries in the stream not yet delivered to the group (XINFO GROUPS `lag`); undefined until known. */
  readonly lag: number | undefined;
  /** Entries delivered to the group but not acknowledged yet. */
  readonly pending: number | undefined;
  /** Of `processed`: events that changed nothing (duplicate id, older value, outside the window). */
  readonly unchanged: number;
  readonly batches: number;
  readonly failures: number;
  /** Last watermark written (epoch ms). */
  readonly watermark: number | undefined;
  readonly lastError: string | undefined;
}

/** A running Redis Streams ingest worker, from `createStreamIngestor`. */
export interface StreamIngestor {
  /** Creates the group if needed and starts the loop; resolves once it is running. */
  start(): Promise<void>;
  /** Graceful: stops reading, finishes and acknowledges the batch in flight, then closes its connections. */
  stop(): Promise<void>;
  /** A snapshot of the worker's counters (a copy; `lag`/`pending` as of the last `refreshLag`). */
  counters(): StreamIngestorCounters;
  /** Reads `lag` and `pending` from XINFO GROUPS now. */
  refreshLag(): Promise<{ lag: number | undefined; pending: number | undefined }>;
  readonly running: boolean;
}

type Entry = { id: string; fields: string[] | null };

/** How a batch in flight ended: undefined when committed, else the first failure (its own or an earlier batch's). */
type BatchOutcome = { failed: unknown } | undefined;

type Operation =
  | { kind: "append"; id: string; append: WindowAppend }
  | { kind: "write"; id: string; write: ValueWrite }
  /** `code`: the CtxError code of the reason (CTX_INVALID_EVENT when the entry itself is malformed). */
  | { kind: "invalid"; id: string; fields: string[]; reason: string; code: string };

const PERMANENT_STORE_ERRORS = new Set([
  "CTX_INVALID_REQUEST",
  "CTX_INVALID_VALUE",
  "CTX_INVALID_EVENT",
  "CTX_VALUE_TOO_LARGE",
]);

/**
 * A worker that consumes a Redis stream in a consumer group and appends its events to stream sources
 * (and writes batch values) through the context store: validated, deduplicated by event id, and
 * acknowledged only once applied; bad events go to a dead-letter stream, never silently dropped.
 * Throws `CTX_CONFIG` for a missing context store or bad settings.
 *
 * ```ts
 * const worker = createStreamIngestor({ context: ctx, url, stream: "ctx:events" });
 * await worker.start();
 * process.on("SIGTERM", () => worker.stop()); // finishes and acknowledges the batch in flight
 * ```
 */
export function createStreamIngestor(options: StreamIngestorOptions): StreamIngestor {
  if (
    options.contextStore !== undefined &&
    options.context !== undefined &&
    options.contextStore !== options.context
  ) {
    throw new CtxError(
      "CTX_CONFIG",
      "stream ingestor: `contextStore` and `context` (its deprecated name) name two different context stores; pass only `contextStore`.",
      {},
    );
  }
  const given = options.contextStore ?? options.context;
  if (!given || typeof given.toWindowAppend !== "function") {
    throw new CtxError(
      "CTX_CONFIG",
      "stream ingestor: `contextStore` must be a context store from createContextStore().",
      {},
    );
  }
  const context: ContextStore = given;
  if (typeof options.stream !== "string" || options.stream.length === 0) {
    throw new CtxError(
      "CTX_CONFIG",
      'stream ingestor: `stream` must be the stream key to consume, e.g. "ctx:events".',
      {},
    );
  }
  const stream = options.stream;
  const group = options.group ?? "ctxstore";
  const consumer =
    options.consumer ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const deadLetterStream = options.deadLetterStream ?? `${stream}:dead`;
  const batchSize = integer(options.batchSize, 500, "batchSize");
  const blockMs = integer(options.blockMs, 1_000, "blockMs");
  const claimIdleMs = integer(options.claimIdleMs, 30_000, "claimIdleMs");
  const maxEventBytes = integer(options.maxEventBytes, 256 * 1024, "maxEventBytes");
  const retryMin = integer(options.retryDelayMs?.min, 100, "retryDelayMs.min");
  const retryMax = integer(options.retryDelayMs?.max, 5_000, "retryDelayMs.max");
  const heartbeatFields = [
    ...new Set(
      (options.sources ?? [...context.sources.values()])
        .filter((source) => source.tier === "stream")
        .map((source) => sourceField(source)),
    ),
  ];

  const connection = openClient(options, "stream ingestor");
  const client = connection.client;
  if (connection.durability !== undefined) {
    // An entry is acknowledged once its effects are in the online store: they are durable only if
    // the store's own writes are.
    const storeDurability = (context.online as { durability?: { replicas: number } }).durability;
    if (storeDurability === undefined || storeDurability.replicas < connection.durability.replicas) {
      connection.closeWatch();
      if (connection.owned) client.disconnect();
      throw new CtxError(
        "CTX_CONFIG",
        `stream ingestor: durability asks for ${connection.durability.replicas} replica(s), but the context store's online store ${storeDurability === undefined ? "does not wait for replicas" : `waits for ${storeDurability.replicas}`}; entries would be acknowledged before their effects are durable. Pass the same \`durability\` to redisStore().`,
        {},
      );
    }
  }
  let blocking: RedisClient | undefined;
  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  const counts = { processed: 0, invalid: 0, retried: 0, unchanged: 0, batches: 0, failures: 0 };
  let lag: number | undefined;
  let pending: number | undefined;
  let watermark: number | undefined;
  let lastError: string | undefined;
  let lagCheckedAt = 0;

  function integer(value: number | undefined, fallback: number, name: string): number {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new CtxError(
        "CTX_CONFIG",
        `stream ingestor: ${name} must be a positive integer; got ${String(value)}.`,
        { [name]: value },
      );
    }
    return value;
  }

  /** Fails fast when the connection is down or a failover is in progress. */
  /** What `onError` gets: a CtxError with a code, whatever was thrown (ioredis' own errors included). */
  function asCtxError(error: unknown): CtxError {
    if (isCtxError(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `stream ingestor on ${connection.description}: ${message}. Unacknowledged entries stay pending and are applied once Redis answers again.`,
      { store: "redis", component: "stream ingestor" },
      { cause: error },
    );
  }

  function ensureUsable(target: RedisClient, name: string | number | undefined): void {
    const reason = unavailableReason(target) ?? connection.blockedReason();
    if (reason !== undefined)
      throw new CtxError(
        "CTX_STORE_UNAVAILABLE",
        `stream ingestor: ${name} on ${connection.description}: ${reason}.`,
        {},
      );
  }

  /** One stream command under the command timeout (blocking reads get their block time on top). */
  async function command(target: RedisClient, args: Array<string | number>, extraMs = 0): Promise<unknown> {
    ensureUsable(target, args[0]);
    const [name, ...rest] = args;
    return withDeadline(
      target.call(String(name), ...rest),
      connection.commandTimeoutMs + extraMs,
      undefined,
      `stream ingestor: ${name}`,
    ).catch((error: unknown) => {
      // A command caught by a lost (or never made) connection: typed, with the connection's last error.
      if (isCtxError(error) || target.status === "ready") throw error;
      throw new CtxError(
        "CTX_STORE_UNAVAILABLE",
        `stream ingestor: ${name} on ${connection.description} failed: ${error instanceof Error ? error.message : String(error)}${downNote(target)}.`,
        {},
        { cause: error },
      );
    });
  }

  async function ensureGroup(): Promise<void> {
    try {
      await command(client, ["XGROUP", "CREATE", stream, group, options.startFrom ?? "0", "MKSTREAM"]);
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("BUSYGROUP"))) throw error;
    }
  }

  function toOperation(entry: Entry): Operation {
    const fields = entry.fields;
    if (fields === null)
      return {
        kind: "invalid",
        id: entry.id,
        fields: [],
        reason: "the entry was deleted from the stream before it was applied",
        code: "CTX_INVALID_EVENT",
      };
    const invalid = (reason: string, code = "CTX_INVALID_EVENT"): Operation => ({
      kind: "invalid",
      id: entry.id,
      fields,
      reason,
      code,
    });
    const size = fields.reduce((total, field) => total + field.length, 0);
    if (size > maxEventBytes) return invalid(`event is ${size} bytes, over maxEventBytes (${maxEventBytes})`);
    const event = decodeStreamEvent(fields);
    if (typeof event === "string") return invalid(event);
    const source = context.sources.get(event.source);
    if (source === undefined)
      return invalid(`unknown source "${event.source}" (not one of this context store's sources)`);
    if (event.eventTime === undefined && !(source.tier === "stream" && source.eventTime)) {
      return invalid(`no \`eventTime\` (source "${source.name}" does not derive one)`);
    }
    // A multi-tenant store's event names its tenant; one that does not is never applied to some
    // default tenant. (A tenant on a single-tenant store, or a malformed one, core refuses below.)
    if (event.tenant === undefined && context.tenancy === "multi") {
      return invalid(
        `no \`tenant\`: the context store is multi-tenant, so the event was applied to no tenant; publish it with the tenant it belongs to`,
        "CTX_TENANT_REQUIRED",
      );
    }
    const scope = event.tenant === undefined ? {} : { tenant: event.tenant };
    // Publish time: deterministic per entry, so a replayed value write is byte-identical.
    const writeTime = entryTime(entry.id);
    try {
      if (source.tier === "stream") {
        if (event.eventId === undefined && !source.eventId)
          return invalid(`no \`eventId\` (source "${source.name}" does not derive one)`);
        const append = context.toWindowAppend(source, event.key, event.value, {
          ...scope,
          ...(event.eventTime === undefined ? {} : { eventTime: event.eventTime }),
          ...(event.eventId === undefined ? {} : { eventId: event.eventId }),
          writeTime,
        });
        return { kind: "append", id: entry.id, append };
      }
      if (source.tier === "batch") {
        const write = context.toValueWrite(source, event.key, event.value, {
          ...scope,
          eventTime: event.eventTime as number,
          writeTime,
        });
        return { kind: "write", id: entry.id, write };
      }
      return invalid(
        `source "${source.name}" is a ${source.tier} source; only batch and stream sources can be ingested`,
      );
    } catch (error) {
      // Schema, key, size, or the source's own render/eventId function throwing: this event's
      // problem, never a reason to stop the stream.
      if (isCtxError(error)) return invalid(error.message, error.code);
      return invalid(
        `building the store write failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Applies writes and appends; rejects on transient store failures (nothing is acknowledged then). */
  async function apply(
    operations: ReadonlyArray<Extract<Operation, { kind: "append" | "write" }>>,
  ): Promise<{ unchanged: number; rejected: Map<string, { reason: string; code: string }> }> {
    const appends = operations.flatMap((operation) =>
      operation.kind === "append" ? [operation.append] : [],
    );
    const writes = operations.flatMap((operation) => (operation.kind === "write" ? [operation.write] : []));
    try {
      const [appended, written] = await Promise.all([
        appends.length > 0 ? context.appendEvents(appends) : [],
        writes.length > 0 ? context.online.write(writes) : [],
      ]);
      const unchanged = [...appended, ...written].filter((outcome) => !outcome.applied).length;
      return { unchanged, rejected: new Map<string, { reason: string; code: string }>() };
    } catch (error) {
      const permanent = isCtxError(error) && PERMANENT_STORE_ERRORS.has(error.code);
      // Transient (Redis down, timeout): nothing is acknowledged; the batch is retried.
      if (!permanent) throw error;
      if (operations.length === 1) {
        return {
          unchanged: 0,
          rejected: new Map([
            [
              (operations[0] as Operation).id,
              { reason: (error as CtxError).message, code: (error as CtxError).code },
            ],
          ]),
        };
      }
      // A permanent refusal (e.g. a field holding the other record kind): isolate the event(s) that
      // cause it by applying one by one, so one poison event cannot block the stream.
      let unchanged = 0;
      const rejected = new Map<string, { reason: string; code: string }>();
      for (const operation of operations) {
        const single = await apply([operation]);
        unchanged += single.unchanged;
        for (const [id, reason] of single.rejected) rejected.set(id, reason);
      }
      return { unchanged, rejected };
    }
  }

  async function processEntries(
    entries: readonly Entry[],
    watermarkTime: number | undefined,
    redelivered: boolean,
    operations: readonly Operation[] = entries.map(toOperation),
    previous?: Promise<BatchOutcome>,
  ): Promise<void> {
    const valid = operations.filter(
      (operation): operation is Extract<Operation, { kind: "append" | "write" }> =>
        operation.kind !== "invalid",
    );
    const { unchanged, rejected } =
      valid.length > 0
        ? await apply(valid)
        : { unchanged: 0, rejected: new Map<string, { reason: string; code: string }>() };
    // The batch before this one must have committed first: otherwise nothing here is acknowledged
    // (the entries are re-read and re-applied, idempotently) and the watermark does not move.
    const before = await previous;
    if (before !== undefined) throw before.failed;
    const deadLetters = [
      ...operations.filter(
        (operation): operation is Extract<Operation, { kind: "invalid" }> => operation.kind === "invalid",
      ),
      ...valid
        .filter((operation) => rejected.has(operation.id))
        .map((operation) => ({
          id: operation.id,
          fields: entries.find((entry) => entry.id === operation.id)?.fields ?? [],
          reason: `the online store refused it: ${rejected.get(operation.id)?.reason}`,
          code: rejected.get(operation.id)?.code ?? "CTX_INVALID_REQUEST",
        })),
    ];
    if (deadLetters.length > 0) {
      const results = await withDeadline(
        runWrites(
          connection,
          deadLetters.map((letter) => ({
            key: deadLetterStream,
            add: (pipeline) =>
              pipeline.xadd(
                deadLetterStream,
                "*",
                "reason",
                letter.reason,
                "code",
                letter.code,
                "originalId",
                letter.id,
                "originalStream",
                stream,
                ...letter.fields,
              ),
          })),
          "stream ingestor: dead-letter XADD",
        ),
        connection.durability === undefined ? connection.commandTimeoutMs : connection.writeTimeoutMs,
        undefined,
        "stream ingestor: dead-letter XADD",
      );
      const failed = results.find((reply) => reply.error);
      if (failed?.error) throw failed.error;
    }
    // Acknowledge only now: every entry is either in the online store or in the dead-letter stream.
    // In the durable mode the XACK is replicated too, so a failover does not deliver it again.
    const ids = entries.map((entry) => entry.id);
    const acknowledge =
      entries.length === 0
        ? Promise.resolve()
        : connection.durability === undefined
          ? command(client, ["XACK", stream, group, ...ids])
          : (async () => {
              ensureUsable(client, "XACK");
              await withDeadline(
                runWrites(
                  connection,
                  [{ key: stream, add: (pipeline) => pipeline.xack(stream, group, ...ids) }],
                  "stream ingestor: XACK",
                ),
                connection.writeTimeoutMs,
                undefined,
                "stream ingestor: XACK",
              );
            })();
    const heartbeat = watermarkTime === undefined ? Promise.resolve() : raiseWatermarks(watermarkTime);
    await Promise.all([acknowledge, heartbeat]);
    counts.processed += valid.length - rejected.size;
    counts.unchanged += unchanged;
    counts.invalid += deadLetters.length;
    if (redelivered) counts.retried += entries.length;
    counts.batches++;
  }

  async function raiseWatermarks(time: number): Promise<void> {
    await Promise.all(heartbeatFields.map((field) => context.online.setWatermark(field, time)));
    watermark = Math.max(watermark ?? time, time);
  }

  async function refreshLag(): Promise<{ lag: number | undefined; pending: number | undefined }> {
    const groups = (await command(client, ["XINFO", "GROUPS", stream])) as unknown[][];
    for (const info of groups ?? []) {
      const fields = new Map<string, unknown>();
      for (let index = 0; index + 1 < info.length; index += 2)
        fields.set(String(info[index]), info[index + 1]);
      if (String(fields.get("name")) !== group) continue;
      const rawLag = fields.get("lag");
      lag = rawLag === null || rawLag === undefined ? undefined : Number(rawLag);
      pending = Number(fields.get("pending"));
    }
    lagCheckedAt = Date.now();
    return { lag, pending };
  }

  function parseEntries(raw: unknown): Entry[] {
    if (!Array.isArray(raw)) return [];
    return raw.map((item) => {
      const [id, fields] = item as [string, string[] | null];
      return { id: String(id), fields: Array.isArray(fields) ? fields.map(String) : null };
    });
  }

  function parseReadReply(reply: unknown): Entry[] {
    if (!Array.isArray(reply) || reply.length === 0) return [];
    // RESP2: [[stream, entries]]; RESP3 (ioredis' legacy mapping of a map): [stream, entries].
    const entries = Array.isArray(reply[0]) ? (reply[0] as unknown[])[1] : reply[1];
    return parseEntries(entries);
  }

  async function sleep(milliseconds: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, milliseconds);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }

  async function run(): Promise<void> {
    // First our own pending entries (a previous life of this consumer crashed mid-batch), then new ones.
    let recovering = true;
    let nextClaimAt = 0;
    let consecutiveFailures = 0;
    // Up to two batches in flight. A batch's writes go out as soon as it is validated, so this
    // process validates the next batch while Redis applies the previous one; its dead letters,
    // acknowledgement and watermark wait for the batch before it, so batches still commit in order.
    // `latest` settles only after every earlier batch (with the first failure, if any).
    let older: Promise<BatchOutcome> | undefined;
    let latest: Promise<BatchOutcome> | undefined;
    // A read issued ahead of the current batch's writes (only while there is a backlog).
    let prefetched: Promise<{ entries: Entry[]; startedAt: number }> | undefined;
    const settle = async () => {
      const outcome = await latest;
      older = latest = undefined;
      if (outcome !== undefined) throw outcome.failed;
    };
    /** Waits for the older of two batches in flight, so that a third can start. */
    const makeRoom = async () => {
      const outcome = await older;
      older = undefined;
      if (outcome !== undefined) throw outcome.failed;
    };
    const readNew = () => {
      const startedAt = Date.now();
      const read = command(
        blocking as RedisClient,
        [
          "XREADGROUP",
          "GROUP",
          group,
          consumer,
          "COUNT",
          batchSize,
          "BLOCK",
          blockMs,
          "STREAMS",
          stream,
          ">",
        ],
        blockMs,
      ).then((reply) => ({ entries: parseReadReply(reply), startedAt }));
      read.catch(() => undefined); // awaited later; a failure surfaces there
      return read;
    };
    const startBatch = (
      entries: readonly Entry[],
      operations: readonly Operation[],
      caughtUp: boolean,
      startedAt: number,
    ) => {
      let newest = 0;
      for (const entry of entries) newest = Math.max(newest, entryTime(entry.id));
      const previous = latest;
      const batch = processEntries(
        entries,
        caughtUp ? Math.max(startedAt, newest) : newest,
        false,
        operations,
        previous,
      ).then(
        () => undefined,
        (failed: unknown) => ({ failed }),
      );
      older = previous;
      latest = batch;
    };
    /** Waits for a read issued ahead; its entries stay pending for this consumer (re-read on recovery). */
    const dropPrefetched = async () => {
      const read = prefetched;
      prefetched = undefined;
      return read?.catch(() => undefined);
    };
    while (!stopping) {
      try {
        if (recovering) {
          await settle();
          const own = parseReadReply(
            await command(client, [
              "XREADGROUP",
              "GROUP",
              group,
              consumer,
              "COUNT",
              batchSize,
              "STREAMS",
              stream,
              "0",
            ]),
          );
          if (own.length === 0) recovering = false;
          else await processEntries(own, undefined, true);
          consecutiveFailures = 0;
          continue;
        }
        if (Date.now() >= nextClaimAt) {
          await settle();
          const reply = (await command(client, [
            "XAUTOCLAIM",
            stream,
            group,
            consumer,
            claimIdleMs,
            "0-0",
            "COUNT",
            batchSize,
          ])) as unknown[];
          const claimed = parseEntries(reply?.[1]);
          // Entries deleted from the stream while pending come back as ids only: acknowledge them.
          const deleted = Array.isArray(reply?.[2]) ? (reply[2] as unknown[]).map(String) : [];
          if (deleted.length > 0) await command(client, ["XACK", stream, group, ...deleted]);
          if (claimed.length > 0) {
            await processEntries(claimed, undefined, true);
            continue; // there may be more to claim
          }
          nextClaimAt = Date.now() + Math.max(250, Math.floor(claimIdleMs / 2));
        }
        const read = prefetched ?? readNew();
        prefetched = undefined;
        const { entries, startedAt } = await read;
        if (entries.length === 0) {
          // Idle and caught up: everything published before the read started has been applied.
          await settle();
          await raiseWatermarks(startedAt);
        } else {
          const caughtUp = entries.length < batchSize;
          const operations = entries.map(toOperation);
          // Backlog: the next read goes out before this batch's writes, so Redis answers it at once
          // and this process validates the next batch while Redis applies this one.
          if (!caughtUp) prefetched = readNew();
          await makeRoom();
          startBatch(entries, operations, caughtUp, startedAt);
        }
        if (Date.now() - lagCheckedAt > 1_000) await refreshLag();
        consecutiveFailures = 0;
      } catch (error) {
        consecutiveFailures++;
        counts.failures++;
        const reported = asCtxError(error);
        lastError = reported.message;
        options.onError?.(reported);
        // Whatever was read but not acknowledged is re-read from our pending list first (after the
        // batches in flight and any read issued ahead have finished either way).
        await latest;
        older = latest = undefined;
        await dropPrefetched();
        recovering = true;
        // The stream or group was deleted under us (FLUSHALL, a restarted Redis without data): recreate it.
        if (error instanceof Error && error.message.includes("NOGROUP"))
          await ensureGroup().catch(() => undefined);
        if (!stopping) await sleep(Math.min(retryMax, retryMin * 2 ** Math.min(consecutiveFailures - 1, 16)));
      }
    }
    // Draining: entries already read ahead are applied, and the batches in flight finish and are
    // acknowledged (or stay pending if one failed, to be re-read on the next start).
    let failure: BatchOutcome;
    const ahead = await dropPrefetched();
    failure = await older;
    older = undefined;
    if (failure === undefined && ahead !== undefined && ahead.entries.length > 0)
      startBatch(ahead.entries, ahead.entries.map(toOperation), false, ahead.startedAt);
    failure ??= await latest;
    older = latest = undefined;
    if (failure !== undefined) options.onError?.(asCtxError(failure.failed));
  }

  return {
    get running() {
      return loop !== undefined && !stopping;
    },
    async start() {
      if (loop !== undefined)
        throw new CtxError(
          "CTX_CONFIG",
          "stream ingestor: start() was already called; create another ingestor for a second loop.",
          {},
        );
      await context.ready();
      await ensureGroup();
      // Blocking reads get a connection of their own so they never delay acks and heartbeats.
      const blockingTimeout = connection.commandTimeoutMs + blockMs + 100;
      blocking = (
        isCluster(client)
          ? client.duplicate(undefined, {
              redisOptions: {
                ...client.options.redisOptions,
                commandTimeout: blockingTimeout,
                replyMapping: "legacy",
              },
            })
          : client.duplicate({ commandTimeout: blockingTimeout })
      ) as RedisClient;
      // Its errors surface on the commands that fail; a socket's late second one must not escape.
      blocking.on("error", () => {});
      guardSockets(blocking);
      loop = run();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      blocking?.disconnect();
      connection.closeWatch();
      if (connection.owned) await closeClient(client, connection.commandTimeoutMs, "stream ingestor: close");
    },
    counters() {
      return { ...counts, lag, pending, watermark, lastError };
    },
    refreshLag,
  };
}
