// `withFeast(redisStore(...), { sources })`: an online store that answers Feast sources from the
// hashes Feast materialized, and everything else from the Redis store it wraps, in ONE pipelined
// round trip: the Feast hashes are extra HMGETs in the store's read pipeline (one per Feast hash,
// whatever the number of views and features it serves). Each Feast record is classified here,
// strictly (see the status table in docs/feast.md); what reaches core is a plain value envelope,
// `missing`, or `invalid` with the reason.
import { fromBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { ContextStore } from "@ctxstore/core";
import {
  BoundedCache,
  CtxError,
  describeIssues,
  type Envelope,
  type OnlineReadBatch,
  type OnlineReadResult,
  type OnlineStore,
  type ReadRequest,
  type ReadResult,
  type RecordAddress,
  sourceField,
  type ValueWrite,
  type WindowAppend,
} from "@ctxstore/core/store";
import { type ExtraReadStore, type HashFieldReply, supportsExtraReads } from "@ctxstore/redis";
import { feastRedisKey, serializeEntityKey, serializeEntityKeyV2 } from "./layout.js";
import { type AnyFeastSource, type FeastBinding, isFeastSource, joinKeyValues } from "./source.js";
import { decodeValue, valueFieldName } from "./values.js";

/**
 * Options of `withFeast`: the Feast sources served, key-version-2 detection, the decode cache (bytes)
 * and the context store that renders decoded rows.
 */
export interface WithFeastOptions {
  /** Every Feast source the context store serves (the others are read from the wrapped store). */
  sources: readonly AnyFeastSource[];
  /**
   * Also look, in the same round trip, for each entity's hash under Feast's removed entity-key
   * serialization version 2, so a deployment that still holds v2 keys reads as `invalid` with the
   * reason instead of `missing`. Costs one more HMGET per Feast hash; off by default.
   */
  detectKeyVersion2?: boolean;
  /**
   * Bytes of recently read Feast rows whose decoded, validated and rendered values are kept: when
   * Redis returns the same bytes again (a hot entity), decoding, validation and rendering are
   * skipped. Every read still goes to Redis. Default 4 MiB; 0 disables it.
   */
  decodeCacheBytes?: number;
  /**
   * The context store these sources are served by, as a function (it is created after this store):
   * `context: () => ctx`. Decoded rows are then rendered and counted once, by the context's own
   * write-path rules and tokenizer (`ctx.toEnvelope`), as ctxstore's own writes are, so packing
   * does no rendering or tokenizing for them. Without it (or before `ctx.ready()`), core renders
   * them at request time: the same prompt, a little slower.
   */
  context?: () => Pick<ContextStore, "toEnvelope"> | undefined;
}

/**
 * What `withFeast` returns: an online store that reads Feast sources from Feast's rows and everything
 * else from the wrapped store, in the same round trip.
 */
export type FeastOnlineStore = OnlineStore & {
  /** The store reading everything that is not a Feast source. */
  readonly inner: OnlineStore & ExtraReadStore;
};

interface FeastRead {
  readonly source: AnyFeastSource;
  /** Decode-cache key: source field + the hash's key bytes. */
  readonly cacheKey?: string;
  /** Index of the HMGET (extra read) holding this record's fields, or a reason it was never sent. */
  readonly hash: number | string;
  /** Where `_ts:` and then each feature field start in that HMGET's reply. */
  readonly offset: number;
  /** The version-2 key's HMGET and the position of this view's `_ts:` field in it. */
  readonly v2Hash?: number;
  readonly v2Offset?: number;
}

/**
 * Wraps a `redisStore()` connected to the Redis Feast materializes into, so Feast feature views are
 * served as batch sources: their rows are read in the same pipelined read as every other value,
 * decoded from Feast's protobuf format and validated. Writes to Feast sources are refused (Feast owns
 * its rows). Throws `CTX_CONFIG` for a store that cannot carry the extra reads, or a source that is
 * not a `feastSource`.
 *
 * ```ts
 * const online = withFeast(redisStore({ url }), { sources: [driverStats], context: () => ctx });
 * const ctx = createContextStore({ sources: [driverStats], online });
 * ```
 */
export function withFeast(online: OnlineStore, options: WithFeastOptions): FeastOnlineStore {
  if (!supportsExtraReads(online)) {
    throw new CtxError(
      "CTX_CONFIG",
      `withFeast(): the ${online?.name ?? "given"} store cannot carry Feast reads in its read pipeline; wrap a redisStore() from @ctxstore/redis (version with readWithExtras), connected to the Redis Feast materializes into.`,
      { store: online?.name },
    );
  }
  const inner = online as OnlineStore & ExtraReadStore;
  const byField = new Map<string, AnyFeastSource>();
  for (const source of options?.sources ?? []) {
    if (!isFeastSource(source)) {
      throw new CtxError(
        "CTX_CONFIG",
        `withFeast(): sources must come from feastSource(); got ${JSON.stringify((source as { name?: string })?.name ?? source)}.`,
        {},
      );
    }
    const field = sourceField(source);
    if (byField.has(field)) {
      throw new CtxError("CTX_CONFIG", `withFeast(): source "${source.name}" is listed twice.`, {
        source: source.name,
      });
    }
    byField.set(field, source);
  }
  const detectV2 = options?.detectKeyVersion2 === true;
  const cacheBytes = options?.decodeCacheBytes ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0) {
    throw new CtxError(
      "CTX_CONFIG",
      `withFeast(): decodeCacheBytes must be a non-negative integer (0 disables the cache); got ${String(cacheBytes)}.`,
      {},
    );
  }
  const decoded = new BoundedCache<CachedRow>(cacheBytes, (row) => row.bytes + 64);
  const locations = new WeakMap<AnyFeastSource, BoundedCache<RowLocation | string>>();
  const context = options?.context;
  if (context !== undefined && typeof context !== "function") {
    throw new CtxError(
      "CTX_CONFIG",
      "withFeast(): `context` must be a function returning the context store: context: () => ctx.",
      {},
    );
  }

  /**
   * The value envelope as the context's write path builds it (rendered lines and token counts), or
   * the plain one when there is no context, it is not ready, or it refuses the value.
   */
  function withRendering(source: AnyFeastSource, result: ReadResult): ReadResult {
    if (context === undefined || !isValue(result)) return result;
    const envelope = result.envelope as Envelope;
    try {
      const rendered = context()?.toEnvelope(source, envelope.value, {
        eventTime: envelope.eventTime,
        writeTime: envelope.writeTime,
      });
      return rendered?.rendered
        ? { kind: "value", envelope: { ...envelope, rendered: rendered.rendered } }
        : result;
    } catch {
      return result;
    }
  }

  /** Where a source's row for an entity key lives (keys, cache key), memoised per source. */
  function locate(source: AnyFeastSource, field: string, canonical: string): RowLocation | string {
    let cache = locations.get(source);
    if (cache === undefined) {
      cache = new BoundedCache<RowLocation | string>(4096);
      locations.set(source, cache);
    }
    const known = cache.get(canonical);
    if (known !== undefined) return known;
    const binding = source.feast;
    const values = joinKeyValues(binding.entity, canonical);
    if (!values.ok) {
      cache.set(canonical, values.reason);
      return values.reason;
    }
    const key = feastRedisKey(serializeEntityKey(values.values), binding.project);
    const v2 = feastRedisKey(serializeEntityKeyV2(values.values), binding.project);
    const id = key.toString("latin1");
    const location: RowLocation = {
      key,
      id,
      cacheKey: `${field}\u0000${id}`,
      v2,
      v2Id: v2.toString("latin1"),
    };
    cache.set(canonical, location);
    return location;
  }

  function resolve(read: FeastRead, replies: readonly HashFieldReply[]): ReadResult {
    const binding = read.source.feast;
    if (typeof read.hash === "string") return INVALID(binding, read.hash);
    const reply = replies[read.hash];
    if (reply === undefined) return INVALID(binding, "the store returned no reply for this hash");
    if (reply.error !== undefined) return INVALID(binding, `Redis refused the read: ${reply.error}`);
    const count = read.source.feast.fields.length;
    const blobs: Array<Buffer | null> = new Array(count);
    for (let index = 0; index < count; index++) blobs[index] = reply.values[read.offset + index] ?? null;
    if (blobs[0] === null || read.cacheKey === undefined || cacheBytes === 0) {
      return withRendering(read.source, classify(read, blobs, replies));
    }
    const hit = decoded.get(read.cacheKey);
    if (hit !== undefined && sameBlobs(hit.blobs, blobs)) return hit.result;
    const plain = classify(read, blobs, replies);
    const result = deepFreeze(withRendering(read.source, plain));
    // A row the context could not render yet (not ready) is served, not kept: the next read renders it.
    if (context !== undefined && result === plain && isValue(plain)) return result;
    let bytes = 0;
    const copies = blobs.map((blob) => {
      if (blob === null) return null;
      bytes += blob.length;
      // Reply buffers can be slices of a larger socket chunk that must not stay pinned.
      return Buffer.from(blob);
    });
    if (bytes <= cacheBytes / 4) decoded.set(read.cacheKey, { blobs: copies, bytes, result });
    return result;
  }

  function feastSourceOf(address: RecordAddress): AnyFeastSource | undefined {
    const source = byField.get(address.field);
    return source !== undefined && source.entity.name === address.entity ? source : undefined;
  }

  function refuseFeast(operation: string, addresses: readonly RecordAddress[]): void {
    if (!Array.isArray(addresses)) return;
    addresses.forEach((address, index) => {
      if (feastSourceOf(address)) refuse(operation, address, index);
    });
  }

  function refuse(operation: string, address: RecordAddress, index: number): never {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `withFeast: ${operation} #${index} targets ${address.field}, a Feast source: Feast owns those values (materialize them with Feast); nothing was written.`,
      { store: "feast", index, field: address.field },
    );
  }

  return {
    name: `feast+${inner.name}`,
    inner,

    async read(batch: OnlineReadBatch, readOptions?: { signal?: AbortSignal }): Promise<OnlineReadResult> {
      const records = batch?.records;
      if (!Array.isArray(records)) return inner.read(batch, readOptions);
      const own: ReadRequest[] = [];
      const ownIndex: number[] = [];
      const feast = new Map<number, FeastRead>();
      // Per Feast hash: the records it serves, in request order.
      const groups = new Map<
        string,
        Array<{ index: number; source: AnyFeastSource; location: RowLocation }>
      >();
      for (let index = 0; index < records.length; index++) {
        const request = records[index] as ReadRequest;
        const source = request?.kind === "value" ? feastSourceOf(request) : undefined;
        if (source === undefined) {
          own.push(request);
          ownIndex.push(index);
          continue;
        }
        const location = locate(source, request.field, request.key);
        if (typeof location === "string") {
          feast.set(index, { source, hash: location, offset: 0 });
          continue;
        }
        // Views sharing join keys and project share the hash: one HMGET carries all their fields.
        let group = groups.get(location.id);
        if (group === undefined) {
          group = [];
          groups.set(location.id, group);
        }
        group.push({ index, source, location });
      }
      const extras: Array<{ key: Buffer; fields: readonly Buffer[] }> = [];
      const v2Hashes = new Map<string, { key: Buffer; fields: Buffer[]; hash: number }>();
      for (const group of groups.values()) {
        const hash = extras.length;
        const plan = readPlan(group);
        extras.push({ key: (group[0] as (typeof group)[number]).location.key, fields: plan.fields });
        group.forEach(({ index, source, location }, position) => {
          const offset = plan.offsets[position] as number;
          if (!detectV2) {
            feast.set(index, { source, cacheKey: location.cacheKey, hash, offset });
            return;
          }
          let old = v2Hashes.get(location.v2Id);
          if (old === undefined) {
            old = { key: location.v2, fields: [], hash: groups.size + v2Hashes.size };
            v2Hashes.set(location.v2Id, old);
          }
          const v2Offset = old.fields.push(source.feast.fields[0] as Buffer) - 1;
          feast.set(index, { source, cacheKey: location.cacheKey, hash, offset, v2Hash: old.hash, v2Offset });
        });
      }
      for (const old of v2Hashes.values()) extras.push(old);
      if (feast.size === 0) return inner.read(batch, readOptions);
      const { online: result, extras: replies } = await inner.readWithExtras(
        batch.watermarks === undefined ? { records: own } : { records: own, watermarks: batch.watermarks },
        extras,
        readOptions,
      );
      const out: ReadResult[] = new Array(records.length);
      ownIndex.forEach((recordIndex, position) => {
        out[recordIndex] = result.records[position] as ReadResult;
      });
      for (const [recordIndex, read] of feast) {
        out[recordIndex] = resolve(read, replies);
      }
      return { records: out, watermarks: result.watermarks };
    },

    write(writes: readonly ValueWrite[]) {
      try {
        refuseFeast("write", writes);
      } catch (error) {
        return Promise.reject(error);
      }
      return inner.write(writes);
    },

    append(appends: readonly WindowAppend[]) {
      try {
        refuseFeast("append", appends);
      } catch (error) {
        return Promise.reject(error);
      }
      return inner.append(appends);
    },

    setWatermark: (field, time) => inner.setWatermark(field, time),

    // Feast's hashes are Feast's: deletes (a GDPR forget, say) pass on for ctxstore's own records
    // only; erase Feast's rows with Feast. docs/feast.md says so.
    delete(addresses: readonly RecordAddress[]) {
      return inner.delete(
        Array.isArray(addresses) ? addresses.filter((address) => !feastSourceOf(address)) : addresses,
      );
    },

    close: () => inner.close(),
  };
}

const INVALID = (binding: FeastBinding, reason: string): ReadResult => ({
  kind: "invalid",
  reason: `feast ${binding.project}/${binding.storedViewName}: ${reason}`,
});

const MISSING: ReadResult = Object.freeze({ kind: "value" as const, envelope: undefined });

/** Classifies one view's fields (`_ts:` first, then the features in declaration order). */
function classify(
  read: FeastRead,
  blobs: ReadonlyArray<Buffer | null>,
  replies: readonly HashFieldReply[],
): ReadResult {
  const binding = read.source.feast;
  const at = (position: number): Buffer | null => blobs[position] ?? null;
  const timestamp = at(0);
  if (timestamp === null) {
    if (read.v2Hash !== undefined) {
      const old = replies[read.v2Hash];
      if (old?.values?.[read.v2Offset ?? 0] != null) {
        return INVALID(
          binding,
          "this entity's hash was written with entity_key_serialization_version 2, which Feast has removed; ctxstore reads version 3. Re-serialize the online store (Feast's guide: entity-reserialization-of-from-v2-to-v3) or materialize again with version 3.",
        );
      }
    }
    // No row of this view for this entity (no hash, or a hash holding other views only): never
    // materialized. Feature fields without a timestamp are not a row either (Feast writes both).
    return MISSING;
  }
  let eventTime: number;
  try {
    const parsed = fromBinary(TimestampSchema, timestamp);
    eventTime = Number(parsed.seconds) * 1000 + Math.floor(parsed.nanos / 1_000_000);
    if (!Number.isFinite(eventTime) || parsed.nanos < 0 || parsed.nanos > 999_999_999) {
      return INVALID(binding, `_ts:${binding.storedViewName} holds an impossible timestamp`);
    }
  } catch (error) {
    return INVALID(
      binding,
      `_ts:${binding.storedViewName} does not decode as a google.protobuf.Timestamp (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const value: Record<string, unknown> = {};
  let nullFeature: string | undefined;
  for (let index = 0; index < binding.featureNames.length; index++) {
    const name = binding.featureNames[index] as string;
    const feature = binding.features[name];
    if (feature === undefined) continue;
    const blob = at(index + 1);
    if (blob === null) {
      return INVALID(
        binding,
        `feature "${name}" has no field in the hash although the view's row exists (written ${new Date(eventTime).toISOString()}); it was added to the view after that materialization, or the name is wrong. Materialize again, or check the feature name.`,
      );
    }
    const decoded = decodeValue(blob);
    if (!decoded.ok) return INVALID(binding, `feature "${name}" ${decoded.reason}`);
    const val = decoded.value.val;
    if (val.case === undefined || val.case === "nullVal") {
      if (feature.nullable) {
        Object.defineProperty(value, name, { value: null, enumerable: true, writable: true });
        continue;
      }
      nullFeature ??= `${name} (${valueFieldName(val) === "no value" ? "no value set" : "null_val"})`;
      continue;
    }
    const converted = feature.convert(val);
    if (!converted.ok) return INVALID(binding, `feature "${name}" ${converted.reason}`);
    Object.defineProperty(value, name, { value: converted.value, enumerable: true, writable: true });
  }
  if (nullFeature !== undefined) {
    if (binding.onNull === "missing") return MISSING;
    const envelope: Envelope = {
      value: null,
      empty: true,
      emptyReason: `Feast holds NULL for ${nullFeature}`,
      eventTime,
      writeTime: eventTime,
      schemaVersion: read.source.version,
    };
    return { kind: "value", envelope };
  }
  const checked = read.source.schema.safeParse(value);
  if (!checked.success)
    return INVALID(binding, `value fails the schema: ${describeIssues(checked.error.issues)}`);
  const envelope: Envelope = {
    value: checked.data,
    eventTime,
    writeTime: eventTime,
    schemaVersion: read.source.version,
  };
  return { kind: "value", envelope };
}

interface RowLocation {
  /** The HMGETs' field lists already built for this hash, by the sources read from it (readPlan). */
  plans?: Map<string, ReadPlan>;
  readonly key: Buffer;
  /** The key as latin1 text: groups views per hash. */
  readonly id: string;
  readonly cacheKey: string;
  readonly v2: Buffer;
  readonly v2Id: string;
}

/** One HMGET's fields for some sources of a hash, and where each source's fields start. */
interface ReadPlan {
  readonly fields: readonly Buffer[];
  readonly offsets: readonly number[];
}

/** The most field lists kept per hash (distinct source combinations that requests read from it). */
const PLANS_PER_HASH = 16;

/**
 * The fields of one HMGET reading `group`'s sources from their shared hash. The same combination of
 * sources gives back the same arrays, so the Redis store reuses the command's encoded bytes
 * (@ctxstore/redis extra reads) instead of building them for every assembly.
 */
function readPlan(group: ReadonlyArray<{ source: AnyFeastSource; location: RowLocation }>): ReadPlan {
  const first = group[0] as (typeof group)[number];
  const signature =
    group.length === 1 ? first.source.name : group.map(({ source }) => source.name).join("\n");
  first.location.plans ??= new Map();
  const plans = first.location.plans;
  const known = plans.get(signature);
  if (known !== undefined) return known;
  const fields: Buffer[] = [];
  const offsets: number[] = [];
  for (const { source } of group) {
    offsets.push(fields.length);
    fields.push(...source.feast.fields);
  }
  if (plans.size >= PLANS_PER_HASH) plans.clear();
  const plan = { fields: Object.freeze(fields), offsets: Object.freeze(offsets) };
  plans.set(signature, plan);
  return plan;
}

interface CachedRow {
  readonly blobs: ReadonlyArray<Buffer | null>;
  readonly bytes: number;
  readonly result: ReadResult;
}

function sameBlobs(cached: ReadonlyArray<Buffer | null>, blobs: ReadonlyArray<Buffer | null>): boolean {
  if (cached.length !== blobs.length) return false;
  for (let index = 0; index < blobs.length; index++) {
    const a = cached[index] ?? null;
    const b = blobs[index] ?? null;
    if (a === null || b === null ? a !== b : !a.equals(b)) return false;
  }
  return true;
}

/** A value record holding a non-empty envelope (what rendering applies to). */
function isValue(result: ReadResult): result is { readonly kind: "value"; readonly envelope: Envelope } {
  return result.kind === "value" && result.envelope !== undefined && result.envelope.empty !== true;
}

/** Freezes a decoded result all the way down: it is shared by later reads of the same bytes. */
function deepFreeze<T>(value: T): T {
  if (
    value !== null &&
    typeof value === "object" &&
    !Object.isFrozen(value) &&
    !(value instanceof Uint8Array)
  ) {
    Object.freeze(value);
    for (const field of Object.values(value as Record<string, unknown>)) deepFreeze(field);
  }
  return value;
}
