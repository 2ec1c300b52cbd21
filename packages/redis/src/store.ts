// `redisStore()`: core's OnlineStore on Redis (standalone, Cluster or Sentinel). Reads of a whole
// assembly are one pipelined round trip (one HMGET per entity, plus the watermarks); writes are Lua
// scripts so last-write-wins and window merges are atomic on the server. See layout.ts for the keys,
// codec.ts for the record blobs and scripts.ts for the Lua. Request checks, the closed state and
// rejected promises are core's `defineOnlineStore`; this file is the storage.
import {
  type AppendOutcome,
  CtxError,
  defineOnlineStore,
  type EntityAddress,
  type Envelope,
  isCtxError,
  type OnlineReadBatch,
  type OnlineReadResult,
  type OnlineStore,
  type ReadRequest,
  type ReadResult,
  type RecordAddress,
  type RecordSampling,
  type StoreCallOptions,
  type ValueWrite,
  type WindowAppend,
  type WriteOutcome,
} from "@ctxstore/core/store";
import { type BodyCodec, decodeValue, decodeWindow, encodeValue, encodeWindowEntry } from "./codec.js";
import {
  type CommandReply,
  closeClient,
  connectionErrorNote,
  isCluster,
  openClient,
  type PipelinedCommand,
  type RedisClient,
  type RedisConnectionOptions,
  runPipelined,
  unavailableReason,
  withDeadline,
} from "./connection.js";
import { DecodeCache, deepFreeze } from "./decode-cache.js";
import type { Durability } from "./durability.js";
import { runWrites } from "./durable.js";
import {
  checkExtraReads,
  type ExtraReadStore,
  extraReadCommands,
  extraReadReplies,
  type HashFieldRead,
  type HashFieldReply,
  type ReadWithExtrasResult,
} from "./extra-reads.js";
import { clusterSlot, type KeyLayout, keyLayout } from "./layout.js";
import { sampleRedisRecords } from "./sampling.js";
import {
  APPEND_WINDOWS,
  FORGET_ENTITY,
  fillValueArgument,
  type LuaScript,
  SET_WATERMARK,
  valueArgumentRoom,
  WRITE_VALUES,
  windowArgument,
} from "./scripts.js";

/**
 * Options of `redisStore`: the connection (URL, Cluster, Sentinel or your own client), key prefix and
 * tenant namespace, body codec, decoded-record cache, timeouts, durability and the failover watch.
 */
export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key. Default "ctx:". */
  prefix?: string;
  /** Tenant namespace inside the prefix: keys become `<prefix><tenant>:...`. */
  tenant?: string;
  /** Body encoding for new records. Default "json" (fastest for text-heavy envelopes; see docs/redis.md). Both always decode. */
  codec?: BodyCodec;
  /**
   * Bytes of recently read records whose decoded envelopes are kept, so an unchanged record read
   * again skips decoding (every read still goes to Redis and compares the exact bytes). Default
   * 8 MiB (the decoded envelopes take roughly 2-3x that in heap); 0 disables it.
   */
  decodeCacheBytes?: number;
  /** Largest encoded record (one value or one window event) accepted by write/append. Default 1 MiB. */
  maxRecordBytes?: number;
}

export interface RedisOnlineStore extends OnlineStore, RecordSampling, ExtraReadStore {
  /** The ioredis client in use (yours when you passed `client`). */
  readonly client: RedisClient;
  readonly layout: KeyLayout;
  /** The durable write mode in use (`durability` option), or undefined for asynchronous replication. */
  readonly durability: Durability | undefined;
}

/** Keys per script call: big enough to amortise the call, small enough to keep the server responsive. */
const SCRIPT_BATCH = 64;

const APPLIED: WriteOutcome & AppendOutcome = Object.freeze({ applied: true });
const OLDER: WriteOutcome = Object.freeze({ applied: false, reason: "older" });
const DUPLICATE: AppendOutcome = Object.freeze({ applied: false, reason: "duplicate" });
const OUTSIDE_WINDOW: AppendOutcome = Object.freeze({ applied: false, reason: "outside-window" });

/**
 * The production online store on Redis (standalone, Cluster or Sentinel): every batch and stream value
 * of one `assemble` is read in one pipelined round trip (all of an entity's sources share one hash and
 * one Cluster slot), writes and appends are atomic Lua scripts (last-write-wins, dedupe by event id).
 * Passes `testOnlineStore`. Throws `CTX_CONFIG` for bad connection settings, prefix, tenant or codec;
 * an unreachable server rejects with `CTX_STORE_UNAVAILABLE` or `CTX_TIMEOUT`, never reads "absent".
 *
 * ```ts
 * const online = redisStore({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", tenant: "acme" });
 * const ctx = createContextStore({ sources: [profile, recent], online });
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisOnlineStore {
  const layout = keyLayout(options.prefix, options.tenant);
  const codec = options.codec ?? "json";
  if (codec !== "msgpack" && codec !== "json") {
    throw new CtxError(
      "CTX_CONFIG",
      `redis store: codec must be "msgpack" or "json"; got ${JSON.stringify(codec)}.`,
      { codec },
    );
  }
  const maxRecordBytes = options.maxRecordBytes ?? 1_048_576;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 64) {
    throw new CtxError(
      "CTX_CONFIG",
      `redis store: maxRecordBytes must be an integer >= 64; got ${String(maxRecordBytes)}.`,
      {},
    );
  }
  const decodeCacheBytes = options.decodeCacheBytes ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(decodeCacheBytes) || decodeCacheBytes < 0) {
    throw new CtxError(
      "CTX_CONFIG",
      `redis store: decodeCacheBytes must be a non-negative integer (0 disables the cache); got ${String(decodeCacheBytes)}.`,
      {},
    );
  }
  const decoded = new DecodeCache<ReadResult>(decodeCacheBytes);
  const connection = openClient(options, "redis store");
  const { client } = connection;

  function ensureUsable(operation: string): void {
    const reason = unavailableReason(client) ?? connection.blockedReason();
    if (reason !== undefined) throw unavailable(operation, reason);
  }

  /** While the client is not connected, its last connection error says why (a TLS CA, a password...). */
  function lastErrorNote(why: string): string {
    if (client.status === "ready") return "";
    const note = connectionErrorNote(connection.lastError());
    return why.includes(note) ? "" : note;
  }

  function unavailable(operation: string, why: string, cause?: unknown): CtxError {
    return new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `redis store (${connection.description}): ${operation} failed: ${why}${lastErrorNote(why)}. Values it holds are unknown, not empty; the client reconnects by itself once Redis answers again.`,
      { store: "redis", operation },
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * Runs a pipelined batch under the command timeout (and the caller's signal); `writes` go through
   * the durable mode when it is configured (durable.ts).
   */
  async function pipelined(
    operation: string,
    commands: readonly PipelinedCommand[],
    signal?: AbortSignal,
    timeoutMs = connection.commandTimeoutMs,
    writes = false,
  ): Promise<CommandReply[]> {
    ensureUsable(operation);
    const what = `redis store (${connection.description}): ${operation}`;
    try {
      return await withDeadline(
        writes ? runWrites(connection, commands, what) : runPipelined(client, commands),
        timeoutMs,
        signal,
        what,
      );
    } catch (error) {
      if (isCtxError(error)) throw error;
      if (error instanceof Error && /timed out/i.test(error.message)) {
        throw new CtxError(
          "CTX_TIMEOUT",
          `redis store (${connection.description}): ${operation} got no answer in time (${error.message}).`,
          { store: "redis", operation },
          { cause: error },
        );
      }
      throw unavailable(operation, error instanceof Error ? error.message : String(error), error);
    }
  }

  /**
   * EVALSHA each call; the ones the server does not know yet (NOSCRIPT) are re-sent once as EVAL.
   * `alongside` commands (tenant markers) travel in the same pipeline: no extra round trip.
   */
  async function runScripts(
    operation: string,
    calls: ReadonlyArray<{
      script: LuaScript;
      keys: readonly string[];
      args: ReadonlyArray<string | Buffer>;
    }>,
    signal?: AbortSignal,
    alongside: readonly PipelinedCommand[] = NO_COMMANDS,
  ): Promise<unknown[]> {
    const timeoutMs = connection.writeTimeoutMs;
    const sent = await pipelined(
      operation,
      [
        ...calls.map(
          ({ script, keys, args }): PipelinedCommand => ({
            key: keys[0] as string,
            add: (pipeline) => pipeline.evalsha(script.sha, keys.length, ...keys, ...args),
          }),
        ),
        ...alongside,
      ],
      signal,
      timeoutMs,
      true,
    );
    const first = sent.slice(0, calls.length);
    const failedAlongside = sent.slice(calls.length).find((reply) => reply.error);
    if (failedAlongside?.error)
      throw unavailable(operation, failedAlongside.error.message, failedAlongside.error);
    const missing = first.flatMap((reply, index) =>
      reply.error?.message.includes("NOSCRIPT") ? [index] : [],
    );
    if (missing.length > 0) {
      const retried = await pipelined(
        operation,
        missing.map((index) => {
          const { script, keys, args } = calls[index] as (typeof calls)[number];
          return {
            key: keys[0] as string,
            add: (pipeline) => pipeline.eval(script.lua, keys.length, ...keys, ...args),
          };
        }),
        signal,
        timeoutMs,
        true,
      );
      missing.forEach((callIndex, position) => {
        first[callIndex] = retried[position] as CommandReply;
      });
    }
    return first.map((reply, index) => {
      if (reply.error)
        throw unavailable(
          operation,
          `command ${index + 1} of ${first.length} failed: ${reply.error.message}`,
          reply.error,
        );
      return reply.value;
    });
  }

  /**
   * Splits items into script calls: one slot per call in Cluster (a script may only touch one slot),
   * and at most SCRIPT_BATCH keys per call so one call never blocks the server for long.
   */
  function scriptBatches<Item>(items: readonly Item[], keyOf: (item: Item) => string): Item[][] {
    const buckets = new Map<number, Item[]>();
    const cluster = isCluster(client);
    for (const item of items) {
      const bucket = cluster ? clusterSlot(keyOf(item)) : 0;
      let list = buckets.get(bucket);
      if (list === undefined) {
        list = [];
        buckets.set(bucket, list);
      }
      list.push(item);
    }
    const batches: Item[][] = [];
    for (const list of buckets.values()) {
      for (let start = 0; start < list.length; start += SCRIPT_BATCH)
        batches.push(list.slice(start, start + SCRIPT_BATCH));
    }
    return batches;
  }

  /** The encoded record behind `room` bytes (see encodeValue), refused when over maxRecordBytes. */
  function encodeChecked(
    envelope: Envelope,
    label: string,
    encode: (envelope: Envelope, codec: BodyCodec, room: number) => Buffer,
    room = 0,
  ): Buffer {
    const out = encode(envelope, codec, room);
    const bytes = out.length - room;
    if (bytes > maxRecordBytes) {
      throw new CtxError(
        "CTX_VALUE_TOO_LARGE",
        `redis store: ${label} encodes to ${bytes} bytes, over maxRecordBytes (${maxRecordBytes}); nothing was written. Shrink the value (summarise it) or raise maxRecordBytes.`,
        { store: "redis", label, bytes, maxRecordBytes },
      );
    }
    return out;
  }

  // Sent after encoding, holding only the encoded items: the callers' envelopes are garbage as soon
  // as they are encoded, instead of living (and being promoted) until Redis answers.
  async function sendValues(
    items: readonly ValueItem[],
    markers: readonly PipelinedCommand[],
    signal?: AbortSignal,
  ): Promise<WriteOutcome[]> {
    if (items.length === 0) return [];
    const batches = scriptBatches(items, (item) => item.key);
    const replies = await runScripts(
      "write",
      batches.map((batch) => ({
        script: WRITE_VALUES,
        keys: batch.map((item) => item.key),
        args: batch.map((item) => item.argument),
      })),
      signal,
      markers,
    );
    const codes: number[] = new Array(items.length);
    batches.forEach((batch, batchIndex) => {
      const batchCodes = replies[batchIndex] as unknown[];
      batch.forEach((item, position) => {
        codes[item.index] = Number(batchCodes[position]);
      });
    });
    const mismatched = codes.flatMap((code, index) => (Number(code) === -1 ? [index] : []));
    if (mismatched.length > 0) {
      const first = items[mismatched[0] as number] as ValueItem;
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `redis store: write #${mismatched[0]} targets ${first.entity} ${first.recordKey} ${first.field}, which holds a window (stream source); use append() for it, or delete it first. ${mismatched.length} write(s) were refused; the other ${items.length - mismatched.length} were applied.`,
        { store: "redis", refused: mismatched },
      );
    }
    return codes.map((code) => (Number(code) === 1 ? APPLIED : OLDER));
  }

  /**
   * Checks and encodes appends into script calls. Events are grouped per (entity, field, window,
   * ttl): a batch of many events for one session merges into its window in one server-side step;
   * groups share script calls (see scriptBatches).
   */
  function encodeAppends(appends: readonly WindowAppend[]): AppendRequest {
    const groups = new Map<string, AppendGroup>();
    appends.forEach((append, index) => {
      const label = `append #${index}`;
      // The record format stores the id's byte length in 16 bits.
      if (Buffer.byteLength(append.event.eventId as string) > 65_535) {
        throw new CtxError(
          "CTX_INVALID_EVENT",
          `redis store: ${label} to ${append.entity} ${append.key} ${append.field} has an eventId over 64 KiB; use a shorter id (a hash of the event, for instance).`,
          { store: "redis", index },
        );
      }
      const entry = encodeChecked(append.event, label, encodeWindowEntry);
      const key = layout.entityKey(append.entity, append.key, append.tenant);
      const groupKey = `${key}\u0000${append.field}\u0000${append.window}\u0000${append.ttlMs}`;
      let group = groups.get(groupKey);
      if (group === undefined) {
        group = {
          key,
          entity: append.entity,
          recordKey: append.key,
          field: append.field,
          window: append.window,
          ttlMs: append.ttlMs,
          entries: [],
          indexes: [],
        };
        groups.set(groupKey, group);
      }
      group.entries.push(entry);
      group.indexes.push(index);
    });
    const batches = scriptBatches([...groups.values()], (group) => group.key);
    const calls = batches.map((batch) => ({
      script: APPEND_WINDOWS,
      keys: batch.map((group) => group.key),
      args: batch.map((group) => windowArgument(group.field, group.window, group.ttlMs, group.entries)),
    }));
    // Only the positions and addresses are kept for the answer, not the events or their entries.
    const answers = batches.map((batch) =>
      batch.map(({ entity, recordKey, field, indexes }) => ({ entity, recordKey, field, indexes })),
    );
    return { total: appends.length, calls, answers, markers: tenantMarkers(appends) };
  }

  async function sendAppends(
    { total, calls, answers, markers }: AppendRequest,
    signal?: AbortSignal,
  ): Promise<AppendOutcome[]> {
    if (total === 0) return [];
    const replies = await runScripts("append", calls, signal, markers);
    const outcomes: AppendOutcome[] = new Array(total);
    const refused: number[] = [];
    let firstRefused: AppendAnswer | undefined;
    let firstIndex = Number.POSITIVE_INFINITY;
    answers.forEach((batch, batchIndex) => {
      const codes = replies[batchIndex] as unknown[];
      let position = 0;
      for (const group of batch) {
        for (const appendIndex of group.indexes) {
          const code = Number(codes[position++]);
          if (code === -1) {
            refused.push(appendIndex);
            if (appendIndex < firstIndex) {
              firstIndex = appendIndex;
              firstRefused = group;
            }
          }
          outcomes[appendIndex] = code === 1 ? APPLIED : code === 2 ? DUPLICATE : OUTSIDE_WINDOW;
        }
      }
    });
    if (refused.length > 0 && firstRefused !== undefined) {
      refused.sort((a, b) => a - b);
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `redis store: append #${firstIndex} targets ${firstRefused.entity} ${firstRefused.recordKey} ${firstRefused.field}, which holds a value (batch source); use write() for it, or delete it first. ${refused.length} append(s) were refused; the others were applied.`,
        { store: "redis", refused },
      );
    }
    return outcomes;
  }

  /**
   * One HSET per tenant the writes carry, sent in the writes' pipeline: the marker a read checks to
   * tell a tenant that never had data from a quiet one. Set before the outcome is known, so a write
   * refused as a whole (wrong kind) still marks its tenant; forget and delete never clear it.
   */
  function tenantMarkers(addresses: readonly RecordAddress[]): PipelinedCommand[] {
    const tenants = new Set<string>();
    for (const address of addresses) if (address.tenant !== undefined) tenants.add(address.tenant);
    return [...tenants].map((tenant) => {
      const key = layout.tenantMarkerKey(tenant);
      return { key, add: (pipeline) => pipeline.hset(key, "data", "1") };
    });
  }

  // Extra reads travel beside the batch they belong to (readWithExtras below), keyed by the batch.
  const carried = new WeakMap<object, { extras: readonly HashFieldRead[]; replies: HashFieldReply[] }>();
  let wrapped: OnlineStore | undefined;

  const store = defineOnlineStore({
    name: "redis",
    tenancy: true,
    afterClose: "Create a new redisStore() (data in Redis is untouched).",
    client,
    layout,
    durability: connection.durability,
    // Freshness monitoring (sampling.ts): a bounded SCAN step per call, never the whole keyspace.
    sampleRecords: sampleRedisRecords(client, layout),

    // read() plus extra HMGETs in the same pipeline (extra-reads.ts). It goes through the wrapped
    // read(), so core's request checks and closed state apply to it as to any read.
    async readWithExtras(
      batch: OnlineReadBatch,
      extras: readonly HashFieldRead[],
      readOptions?: { signal?: AbortSignal },
    ): Promise<ReadWithExtrasResult> {
      checkExtraReads(extras);
      const carrier = { ...batch } as OnlineReadBatch;
      const entry = { extras, replies: [] as HashFieldReply[] };
      carried.set(carrier, entry);
      const online = await (wrapped as OnlineStore).read(carrier, readOptions);
      return { online, extras: entry.replies };
    },

    async read(batch: OnlineReadBatch, readOptions?: { signal?: AbortSignal }): Promise<OnlineReadResult> {
      const extra = carried.get(batch);
      const extras = extra?.extras ?? NO_EXTRAS;
      const hashes = new Map<string, string[]>();
      const locations = batch.records.map((request: ReadRequest) => {
        const key = layout.entityKey(request.entity, request.key, request.tenant);
        let fields = hashes.get(key);
        if (fields === undefined) {
          fields = [];
          hashes.set(key, fields);
        }
        let position = fields.indexOf(request.field);
        if (position < 0) position = fields.push(request.field) - 1;
        return { key, position };
      });
      const watermarkFields = [...new Set(batch.watermarks ?? [])];
      const hashKeys = [...hashes.keys()];
      const commands: PipelinedCommand[] = hashKeys.map((key) => ({
        key,
        add: (pipeline) => pipeline.hmgetBuffer(key, ...(hashes.get(key) as string[])),
      }));
      if (watermarkFields.length > 0) {
        commands.push({
          key: layout.watermarkKey,
          add: (pipeline) => pipeline.hmget(layout.watermarkKey, ...watermarkFields),
        });
      }
      const tenants = [...new Set(batch.tenants ?? [])];
      const tenantsAt = commands.length;
      for (const tenant of tenants) {
        const key = layout.tenantMarkerKey(tenant);
        commands.push({ key, add: (pipeline) => pipeline.hget(key, "data") });
      }
      const extrasAt = commands.length;
      if (extras.length > 0) commands.push(...extraReadCommands(extras));
      readOptions?.signal?.throwIfAborted();
      const replies = commands.length === 0 ? [] : await pipelined("read", commands, readOptions?.signal);
      const byKey = new Map<string, Array<Buffer | null>>();
      hashKeys.forEach((key, index) => {
        const reply = replies[index] as CommandReply;
        if (reply.error) throw unavailable("read", reply.error.message, reply.error);
        byKey.set(key, reply.value as Array<Buffer | null>);
      });
      const records: ReadResult[] = batch.records.map((request, index) => {
        const { key, position } = locations[index] as { key: string; position: number };
        const blob = (byKey.get(key) as Array<Buffer | null>)[position] ?? null;
        if (blob === null || decodeCacheBytes === 0) return toReadResult(request.kind, blob);
        const cacheKey = `${request.kind}\u0000${key}\u0000${request.field}`;
        const cached = decoded.get(cacheKey, blob);
        if (cached !== undefined) return cached;
        const result = deepFreeze(toReadResult(request.kind, blob));
        decoded.set(cacheKey, blob, result);
        return result;
      });
      const watermarks: Record<string, number | undefined> = {};
      if (watermarkFields.length > 0) {
        const reply = replies[hashKeys.length] as CommandReply;
        if (reply.error) throw unavailable("read", reply.error.message, reply.error);
        const values = reply.value as Array<string | null>;
        watermarkFields.forEach((field, index) => {
          const raw = values[index];
          const time = raw === null || raw === undefined ? undefined : Number(raw);
          Object.defineProperty(watermarks, field, {
            value: time !== undefined && Number.isFinite(time) ? time : undefined,
            enumerable: true,
            writable: true,
          });
        });
      }
      if (extra !== undefined) extra.replies = extraReadReplies(replies, extrasAt, extras.length);
      if (batch.tenants === undefined) return { records, watermarks };
      const seen: Record<string, boolean> = {};
      tenants.forEach((tenant, index) => {
        const reply = replies[tenantsAt + index] as CommandReply;
        if (reply.error) throw unavailable("read", reply.error.message, reply.error);
        Object.defineProperty(seen, tenant, {
          value: reply.value !== null,
          enumerable: true,
          writable: true,
        });
      });
      return { records, watermarks, tenants: seen };
    },

    // A caller's signal (a request's deadline) bounds writes like reads: at its abort the write
    // rejects CTX_TIMEOUT (may or may not have been applied) instead of waiting writeTimeoutMs.
    write(writes: readonly ValueWrite[], writeOptions?: StoreCallOptions): Promise<WriteOutcome[]> {
      // Everything is encoded before anything is sent: a value over maxRecordBytes writes nothing.
      const items: ValueItem[] = writes.map((write, index) => {
        const room = valueArgumentRoom(write.field);
        const argument = encodeChecked(write.envelope, `write #${index}`, encodeValue, room);
        return {
          index,
          entity: write.entity,
          recordKey: write.key,
          field: write.field,
          key: layout.entityKey(write.entity, write.key, write.tenant),
          argument: fillValueArgument(argument, write.field, write.ttlMs),
        };
      });
      return sendValues(items, tenantMarkers(writes), writeOptions?.signal);
    },

    append(appends: readonly WindowAppend[], appendOptions?: StoreCallOptions): Promise<AppendOutcome[]> {
      return sendAppends(encodeAppends(appends), appendOptions?.signal);
    },

    async setWatermark(field: string, time: number, callOptions?: StoreCallOptions): Promise<void> {
      await runScripts(
        "setWatermark",
        [{ script: SET_WATERMARK, keys: [layout.watermarkKey], args: [field, String(time)] }],
        callOptions?.signal,
      );
    },

    async delete(addresses: readonly RecordAddress[]): Promise<void> {
      const byKey = new Map<string, string[]>();
      addresses.forEach((address) => {
        const key = layout.entityKey(address.entity, address.key, address.tenant);
        const fields = byKey.get(key) ?? [];
        fields.push(address.field);
        byKey.set(key, fields);
      });
      if (byKey.size === 0) return;
      const replies = await pipelined(
        "delete",
        [...byKey].map(([key, fields]) => ({ key, add: (pipeline) => pipeline.hdel(key, ...fields) })),
        undefined,
        connection.commandTimeoutMs,
        true,
      );
      const failed = replies.find((reply) => reply.error);
      if (failed?.error) throw unavailable("delete", failed.error.message, failed.error);
    },

    async forget(addresses: readonly EntityAddress[]): Promise<number[]> {
      const replies = await runScripts(
        "forget",
        addresses.map((address) => ({
          script: FORGET_ENTITY,
          keys: [layout.entityKey(address.entity, address.key, address.tenant)],
          args: [],
        })),
      );
      return replies.map((reply) => Number(reply));
    },

    async close(): Promise<void> {
      connection.closeWatch();
      if (!connection.owned) return;
      await closeClient(client, connection.commandTimeoutMs, "redis store: close");
    },
  });
  wrapped = store;
  return store;
}

const NO_EXTRAS: readonly HashFieldRead[] = Object.freeze([]);
const NO_COMMANDS: readonly PipelinedCommand[] = Object.freeze([]);

function toReadResult(kind: "value" | "window", blob: Buffer | null): ReadResult {
  if (blob === null) return kind === "value" ? { kind, envelope: undefined } : { kind, events: [] };
  if (kind === "value") {
    const decoded = decodeValue(blob);
    return decoded.ok
      ? { kind, envelope: decoded.value }
      : { kind: "invalid", reason: `redis record: ${decoded.reason}` };
  }
  const decoded = decodeWindow(blob);
  return decoded.ok
    ? { kind, events: decoded.value }
    : { kind: "invalid", reason: `redis record: ${decoded.reason}` };
}

/** The appends of one call, grouped per window (see encodeAppends). */
interface AppendGroup {
  readonly key: string;
  readonly entity: string;
  readonly recordKey: string;
  readonly field: string;
  readonly window: number;
  readonly ttlMs: number | undefined;
  readonly entries: Buffer[];
  readonly indexes: number[];
}

/** What an append call keeps while Redis answers: a group's address (for errors) and positions. */
type AppendAnswer = Pick<AppendGroup, "entity" | "recordKey" | "field" | "indexes">;

interface AppendRequest {
  readonly total: number;
  readonly calls: Array<{ script: LuaScript; keys: string[]; args: Buffer[] }>;
  readonly answers: AppendAnswer[][];
  /** The tenant markers sent with the appends (see tenantMarkers). */
  readonly markers: readonly PipelinedCommand[];
}

/** One encoded value write: its position in the call, its address (for errors) and its script argument. */
interface ValueItem {
  readonly index: number;
  readonly entity: string;
  readonly recordKey: string;
  readonly field: string;
  readonly key: string;
  readonly argument: Buffer;
}
