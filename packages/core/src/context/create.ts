// createContextStore: compiles a set of definitions once (compile.ts), then owns the write path
// (validate -> render -> count tokens -> envelope -> online store) and hands each request to the
// assembly pipeline (assemble.ts).

import { formatDuration, parseDuration, toEpochMs } from "../definitions/duration.js";
import { isEmpty } from "../definitions/empty.js";
import { type Entity, stableJson } from "../definitions/entity.js";
import {
  checkPrincipal,
  compileGovernance,
  requestTenant,
  tagCategories,
} from "../definitions/governance.js";
import { type AnySource, sourceField } from "../definitions/source.js";
import { type Envelope, STATUSES, type Status } from "../envelope.js";
import { CtxError, describeIssues } from "../errors.js";
import { renderValue, WRITE_PATH_CACHED_LINE } from "../render/value.js";
import { RealtimeCaller } from "../resolve/realtime-caller.js";
import { frozenJsonCopy, jsonBytesBound } from "../stores/json-data.js";
import { memoryStore } from "../stores/memory.js";
import type { ValueWrite, WindowAppend } from "../stores/types.js";
import { unconfirmedWindows } from "../stores/unconfirmed-windows.js";
import { assemblyTelemetry } from "../telemetry/assembly-telemetry.js";
import { loadOpenTelemetry } from "../telemetry/otel-api.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import { assemble } from "./assemble.js";
import { withCallDeadline } from "./call-deadline.js";
import { compile } from "./compile.js";
import type {
  AppendOptions,
  ContextStore,
  ContextStoreOptions,
  ForgetReceipt,
  SourceCounters,
  WriteOptions,
} from "./types.js";

const WATERMARK_INTERVAL_MS = 1_000;
const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;

/**
 * Creates the context store for a set of sources: validates the definitions, then serves `assemble`,
 * `write` and `append`. Without `online` / vector stores it uses the embedded memory stores.
 * Throws a `CtxError` naming the offender for a bad set of definitions: `CTX_DUPLICATE_SOURCE` (two
 * sources with one name), `CTX_INVALID_DEFINITION` (conflicting sections, entities outside
 * `entities`, a realtime source without a timeout...), `CTX_INVALID_DURATION`.
 *
 * ```ts
 * const ctx = createContextStore({ sources: [profile, recent] });
 * await ctx.write(profile, { userId: "u1" }, { summary: "Runs trails every weekend." });
 * const packed = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 1500 } });
 * packed.text; // the sections, most stable first; packed.trace says what each source did
 * ```
 */
export function createContextStore<const Sources extends readonly AnySource[]>(
  options: ContextStoreOptions<Sources>,
): ContextStore<Sources> {
  const compiled = compile(options);
  const online = options.online ?? memoryStore();
  const governance = compileGovernance({
    tenancy: options.tenancy,
    governance: options.governance,
    categoriesInUse: new Set([...compiled.sources.values()].flatMap((source) => tagCategories(source.pii))),
  });
  const multiTenant = governance.multiTenant;
  if (multiTenant && online.tenancy !== true) {
    throw new CtxError(
      "CTX_CONFIG",
      `createContextStore: tenancy "multi" needs an online store that keeps tenants apart; the "${online.name}" store does not (memoryStore() and @ctxstore/redis do).`,
      { store: online.name },
    );
  }
  const encoding = options.encoding ?? "o200k_base";
  const format = options.format ?? "markdown";
  if (format !== "markdown" && format !== "xml") {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `createContextStore: format must be "markdown" or "xml" (got ${JSON.stringify(format)}).`,
      { format },
    );
  }
  const tokenizer = tiktokenTokenizer(encoding);
  const clock = options.now ?? Date.now;
  const maxValueBytes = options.maxValueBytes ?? 256 * 1024;
  const maxClockSkewMs =
    options.maxClockSkew === undefined
      ? DEFAULT_MAX_CLOCK_SKEW_MS
      : parseDuration(options.maxClockSkew, "createContextStore maxClockSkew");
  const ttlByEntity = entityTtls(compiled.sources);
  const counts = new Map<string, Record<Status, number>>();
  const realtime = new RealtimeCaller(maxValueBytes);
  const telemetry = options.telemetry?.enabled === false ? undefined : assemblyTelemetry(options.telemetry);
  const watermarksRaised = new Map<string, number>();
  const windows = unconfirmedWindows(clock);
  let loading: Promise<void> | undefined;
  let encodingLoaded = false;

  const ready = async (): Promise<void> => {
    if (encodingLoaded) return;
    // The optional OpenTelemetry API loads alongside the ranks, so the first assembly is traced too.
    loading ??= Promise.all([loadEncoding(encoding), telemetry ? loadOpenTelemetry() : undefined]).then(
      () => {
        encodingLoaded = true;
      },
      (error: unknown) => {
        loading = undefined; // the next ready() tries again
        throw error;
      },
    );
    await loading;
  };
  // Loading starts now, so the first request finds the ranks loaded or partly so (it waits for the
  // rest within its deadline). A failure here is reported by the ready() or assemble() that awaits it.
  ready().catch(() => {});

  /** A source's name for messages, whatever was passed. */
  const nameOf = (source: unknown): string => String((source as { name?: unknown } | null)?.name ?? "?");

  const requireSource = (source: AnySource, operation: string): AnySource => {
    const registered = source && compiled.sources.get(source.name);
    if (!registered || registered !== source) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `${operation}: source ${JSON.stringify(source?.name)} is not one of this context store's sources; pass it to createContextStore({ sources }).`,
        { source: source?.name },
      );
    }
    return registered;
  };

  const toEnvelope = (source: AnySource, value: unknown, envelopeOptions: AppendOptions = {}): Envelope => {
    if (!encodingLoaded) {
      throw new CtxError(
        "CTX_CONFIG",
        "The tokenizer is not loaded yet: `await ctx.ready()` once before synchronous writes.",
        {},
      );
    }
    const now = clock();
    const eventTime =
      envelopeOptions.eventTime === undefined ? undefined : toEpochMs(envelopeOptions.eventTime, "eventTime");
    const writeTime =
      envelopeOptions.writeTime === undefined ? now : toEpochMs(envelopeOptions.writeTime, "writeTime");
    if (isEmpty(value)) {
      if (source.tier === "stream") {
        throw new CtxError(
          "CTX_INVALID_VALUE",
          `Source "${source.name}" is a stream: append events; an empty window is known from the ingest watermark (ctx.heartbeat).`,
          {
            source: source.name,
          },
        );
      }
      const reason = value.reason;
      if (reason !== undefined && typeof reason !== "string") {
        throw new CtxError(
          "CTX_INVALID_VALUE",
          `empty() for source "${source.name}" has a ${typeof reason} reason; pass a string or nothing.`,
          { source: source.name },
        );
      }
      return {
        value: null,
        empty: true,
        ...(reason === undefined ? {} : { emptyReason: reason }),
        eventTime: eventTime ?? now,
        writeTime,
        schemaVersion: source.version,
      };
    }
    const parsed = source.schema.safeParse(value);
    if (!parsed.success) {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `Value for source "${source.name}" fails its schema (${describeIssues(parsed.error.issues)}); nothing was written. Fix the value or bump the source's version with a new schema.`,
        { source: source.name, issues: parsed.error.issues },
      );
    }
    // Frozen JSON copy: rejects what a store could not keep unchanged, and stops later mutation of
    // the caller's object from changing what was rendered and counted.
    const data = frozenJsonCopy(parsed.data, "value", `write to source "${source.name}"`);
    const limit = source.maxValueBytes ?? maxValueBytes;
    const size = jsonBytesOver(data, limit);
    if (size !== undefined) {
      const raise =
        source.maxValueBytes === undefined
          ? `maxValueBytes on source "${source.name}" (or createContextStore's, for every source)`
          : `maxValueBytes on source "${source.name}"`;
      throw new CtxError(
        "CTX_VALUE_TOO_LARGE",
        `Value for source "${source.name}" is ${size} bytes, over the ${limit}-byte limit; nothing was written. Summarise it, or raise ${raise}.`,
        { source: source.name, size, limit },
      );
    }
    let streamEventTime = eventTime;
    if (source.tier === "stream" && streamEventTime === undefined && source.eventTime) {
      streamEventTime = toEpochMs(source.eventTime(data), `eventTime of a "${source.name}" event`);
    }
    const finalEventTime = streamEventTime ?? now;
    const eventId =
      source.tier === "stream"
        ? (envelopeOptions.eventId ?? source.eventId?.(data) ?? defaultEventId(finalEventTime, data))
        : envelopeOptions.eventId;
    const rendered = renderValue(source, data, tokenizer, WRITE_PATH_CACHED_LINE);
    // Built as literals (not a spread of an optional part): this runs for every value written.
    return eventId === undefined
      ? { value: data, eventTime: finalEventTime, writeTime, schemaVersion: source.version, rendered }
      : {
          value: data,
          eventTime: finalEventTime,
          writeTime,
          schemaVersion: source.version,
          eventId,
          rendered,
        };
  };

  /**
   * Refuses a time more than maxClockSkew ahead of `reference` (default: this writer's clock; see
   * ContextStoreOptions.maxClockSkew).
   */
  const refuseFutureTime = (
    source: AnySource,
    time: number,
    what: string,
    reference: { time: number; is: string } = { time: clock(), is: "this writer's clock" },
  ): void => {
    if (time <= reference.time + maxClockSkewMs) return;
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `The ${what} for source "${source.name}" (${new Date(time).toISOString()}) is ${formatDuration(time - reference.time)} ahead of ${reference.is} (${new Date(reference.time).toISOString()}), more than maxClockSkew ${formatDuration(maxClockSkewMs)}; nothing was written. A time in the future would keep it fresh whatever happens next: fix the producer's clock or its event times, or raise maxClockSkew in createContextStore.`,
      { source: source.name, what, time, reference: reference.time, maxClockSkewMs },
    );
  };
  /**
   * An event time is checked against when it is written: this writer's clock, or the write time the
   * caller gives (a replay of recorded history, or the ingest worker's publish time, both taken
   * from the clock that recorded them). A given write time is the caller's claim and is not checked
   * against this process's clock, which can be frozen (tests, point-in-time renders).
   */
  const refuseFutureTimes = (source: AnySource, envelope: Envelope, writeTimeGiven: boolean): void => {
    refuseFutureTime(
      source,
      envelope.eventTime,
      "event time",
      writeTimeGiven ? { time: envelope.writeTime, is: "its write time" } : undefined,
    );
  };

  /** The record a write or append goes to, after checking the source may take it. */
  const recordFor = (
    source: AnySource,
    key: unknown,
    operation: "write" | "append",
    tenantOption: string | undefined,
  ) => {
    requireSource(source, operation);
    const tenant = requestTenant(multiTenant, tenantOption, operation);
    const expected = operation === "write" ? "batch" : "stream";
    if (source.tier !== expected) {
      const hint =
        operation === "write"
          ? "only batch sources are written as values (use append for stream events)"
          : "only stream sources take events (use write for batch values)";
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `${operation}: source "${source.name}" is a ${source.tier} source; ${hint}.`,
        {
          source: source.name,
        },
      );
    }
    const entity = source.entity as Entity;
    const address = { entity: entity.name, key: entity.canonicalKey(key), field: sourceField(source) };
    return tenant === undefined ? address : { ...address, tenant };
  };

  const toValueWrite = (
    source: AnySource,
    key: unknown,
    value: unknown,
    writeOptions: WriteOptions = {},
  ): ValueWrite => {
    const record = recordFor(source, key, "write", writeOptions.tenant);
    const envelope = toEnvelope(source, value, writeOptions);
    refuseFutureTimes(source, envelope, writeOptions.writeTime !== undefined);
    const ttlMs = ttlByEntity.get(record.entity);
    return ttlMs === undefined ? { ...record, envelope } : { ...record, ttlMs, envelope };
  };

  const toWindowAppend = (
    source: AnySource,
    key: unknown,
    event: unknown,
    appendOptions: AppendOptions = {},
  ): WindowAppend => {
    const record = recordFor(source, key, "append", appendOptions.tenant);
    const envelope = toEnvelope(source, event, appendOptions);
    refuseFutureTimes(source, envelope, appendOptions.writeTime !== undefined);
    const window = (source as { window: number }).window;
    const ttlMs = ttlByEntity.get(record.entity);
    return ttlMs === undefined
      ? { ...record, event: envelope, window }
      : { ...record, ttlMs, event: envelope, window };
  };

  const store: ContextStore<Sources> = {
    sources: compiled.sources,
    online,
    encoding,
    tenancy: multiTenant ? "multi" : "single",
    tokenizer,
    ready,
    async write(source, key, value, writeOptions) {
      // The deadline counts from the call: waiting for the tokenizer is part of it.
      return withCallDeadline(`ctx.write(${nameOf(source)})`, writeOptions, async (signal) => {
        await ready();
        const write = toValueWrite(source as AnySource, key, value, writeOptions);
        const [outcome] = await online.write([write], { signal });
        return outcome ?? { applied: false };
      });
    },
    async append(source, key, event, appendOptions) {
      return withCallDeadline(`ctx.append(${nameOf(source)})`, appendOptions, async (signal) => {
        await ready();
        const request = toWindowAppend(source as AnySource, key, event, appendOptions);
        const [outcome] = await windows.append(online, [request], signal);
        // The application appending directly is its own ingest pipeline: it is complete up to now.
        // Raised at most once a second per stream: freshness limits are minutes, round trips are not free.
        const now = clock();
        if (
          now - (watermarksRaised.get(request.field) ?? Number.NEGATIVE_INFINITY) >=
          WATERMARK_INTERVAL_MS
        ) {
          watermarksRaised.set(request.field, now);
          await online.setWatermark(request.field, now, { signal });
        }
        return outcome ?? { applied: false };
      });
    },
    appendEvents(appends, callOptions) {
      return withCallDeadline("ctx.appendEvents", callOptions, (signal) =>
        windows.append(online, appends, signal),
      );
    },
    async heartbeat(source, time, callOptions) {
      const registered = requireSource(source as AnySource, "heartbeat");
      if (registered.tier !== "stream") {
        throw new CtxError(
          "CTX_INVALID_REQUEST",
          `heartbeat: source "${registered.name}" is not a stream source.`,
          { source: registered.name },
        );
      }
      const confirmed = time === undefined ? clock() : toEpochMs(time, "heartbeat time");
      refuseFutureTime(registered, confirmed, "heartbeat time");
      await withCallDeadline(`ctx.heartbeat(${registered.name})`, callOptions, (signal) =>
        online.setWatermark(sourceField(registered), confirmed, { signal }),
      );
    },
    toValueWrite,
    toWindowAppend,
    toEnvelope: (source, value, envelopeOptions) =>
      toEnvelope(requireSource(source, "toEnvelope"), value, envelopeOptions),
    async assemble(request, overrides = {}) {
      const startedAt = performance.now();
      const result = await assemble(
        {
          compiled,
          governance,
          online,
          tokenizer,
          realtime,
          clock,
          format,
          startedAt,
          ...(telemetry ? { telemetry } : {}),
          ...(encodingLoaded ? {} : { untilReady: ready }),
        },
        request,
        overrides,
      );
      for (const sourceTrace of result.trace.sources) {
        let perStatus = counts.get(sourceTrace.source);
        if (!perStatus) {
          perStatus = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<Status, number>;
          counts.set(sourceTrace.source, perStatus);
        }
        perStatus[sourceTrace.status] += 1;
      }
      options.onTrace?.(result.trace);
      if (governance.audit) {
        await governance.audit({
          operation: "assemble",
          time: result.trace.at,
          principal: request.principal,
          purpose: request.purpose ?? "serving",
          tenant: multiTenant ? request.tenant : undefined,
          sources: result.trace.sources.map((trace) => ({
            source: trace.source,
            status: trace.status,
            ...(trace.reason === undefined ? {} : { reason: trace.reason }),
          })),
        });
      }
      return result;
    },
    async forget(request) {
      const entityName = typeof request?.entity === "string" ? request.entity : request?.entity?.name;
      const entity = entityName === undefined ? undefined : compiled.entities.get(entityName);
      if (!entity || (typeof request.entity === "object" && request.entity !== entity)) {
        throw new CtxError(
          "CTX_UNKNOWN_ENTITY",
          `forget: ${JSON.stringify(entityName)} is not an entity of this context store (${[...compiled.entities.keys()].join(", ")}); nothing was deleted.`,
          { entity: entityName },
        );
      }
      const key = entity.canonicalKey(request.key);
      const tenant = requestTenant(multiTenant, request.tenant, "forget");
      const principal = checkPrincipal(request.principal, "forget");
      const address =
        tenant === undefined ? { entity: entity.name, key } : { entity: entity.name, key, tenant };
      const tiers: Array<ForgetReceipt["tiers"][number]> = [];
      if (online.forget) {
        const [removed] = await online.forget([address]);
        tiers.push({ tier: "online", store: online.name, removed: removed ?? 0 });
      } else {
        const fields = [...compiled.sources.values()]
          .filter(
            (source) => source.entity === entity && (source.tier === "batch" || source.tier === "stream"),
          )
          .map((source) => ({ ...address, field: sourceField(source) }));
        await online.delete(fields);
        tiers.push({
          tier: "online",
          store: online.name,
          removed: undefined,
          note: "this store has no forget(): the current source versions' records were deleted; older versions may remain",
        });
      }
      const vectorStores = new Set(
        [...compiled.sources.values()].flatMap((source) =>
          source.tier === "vector" && source.entity === entity ? [source.store] : [],
        ),
      );
      for (const vectorStore of vectorStores) {
        if (!vectorStore.forgetEntity) {
          tiers.push({
            tier: "vector",
            store: vectorStore.name,
            removed: undefined,
            note: "this vector store has no forgetEntity(): nothing was erased from it",
          });
          continue;
        }
        const removed = await vectorStore.forgetEntity(
          tenant === undefined ? { entityKey: key } : { entityKey: key, tenant },
        );
        tiers.push({ tier: "vector", store: vectorStore.name, removed });
      }
      for (const target of options.erasure ?? []) {
        tiers.push({ tier: "offline", store: target.name, removed: await target.forget(address) });
      }
      const receipt: ForgetReceipt = {
        entity: entity.name,
        key,
        tenant,
        tiers,
        complete: tiers.every((tier) => tier.note === undefined),
      };
      if (governance.audit) {
        await governance.audit({
          operation: "forget",
          time: clock(),
          principal,
          purpose: "erasure",
          tenant,
          sources: tiers.map((tier) => ({
            source: `${tier.tier}:${tier.store}`,
            status: tier.note ? "partial" : "ok",
          })),
        });
      }
      return receipt;
    },
    counters() {
      const result: Record<string, SourceCounters> = {};
      for (const [source, statuses] of counts) result[source] = { statuses: { ...statuses } };
      return result;
    },
    async close() {
      await online.close();
    },
  };
  return store;
}

/**
 * How long an entity's records live without writes, so abandoned entities are collected:
 * - batch values: twice their maxAge, long enough that a stale value is still there for `fallback`
 *   (an expired value then reads as `missing`, which is honest);
 * - stream windows: only an explicit `retention`. A stream's maxAge is the freshness of its
 *   pipeline, not the lifetime of its events: expiring a quiet user's window at maxAge would make
 *   it read as a confirmed-empty window (a phantom zero).
 * All of an entity's records share one expiry, so any source without a bound disables it.
 */
function entityTtls(sources: ReadonlyMap<string, AnySource>): Map<string, number> {
  const longest = new Map<string, number | null>();
  for (const source of sources.values()) {
    const entity = source.entity as Entity | undefined;
    if (!entity || (source.tier !== "batch" && source.tier !== "stream")) continue;
    const bound =
      source.tier === "batch"
        ? source.maxAgeMs === undefined
          ? undefined
          : source.maxAgeMs * 2
        : source.retentionMs;
    const previous = longest.get(entity.name);
    if (bound === undefined || previous === null) longest.set(entity.name, null);
    else longest.set(entity.name, Math.max(previous ?? 0, bound));
  }
  const ttls = new Map<string, number>();
  for (const [entity, ttl] of longest) if (ttl !== null) ttls.set(entity, ttl);
  return ttls;
}

const UTF8 = new TextEncoder();

/**
 * The value's UTF-8 size as JSON when it is over `limit`, else undefined. The text is only built
 * when a cheap upper bound (jsonBytesBound) does not already fit, which it does for the usual value
 * (this runs for every value written).
 */
function jsonBytesOver(value: unknown, limit: number): number | undefined {
  if (jsonBytesBound(value, limit) <= limit) return undefined;
  const json = JSON.stringify(value) ?? "";
  if (json.length * 3 <= limit) return undefined;
  const bytes = UTF8.encode(json).length;
  return bytes > limit ? bytes : undefined;
}

/** See the note on `charCode` in tokenize/pieces.ts (ioredis 6 and V8's string fast path). */
const charCode = String.prototype.charCodeAt;

/** Content hash (cyrb53) of event time + event: a replayed event gets the same id, so it is deduped. */
export function defaultEventId(eventTime: number, event: unknown): string {
  const text = `${eventTime}|${stableJson(event)}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < text.length; index++) {
    const code = charCode.call(text, index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${eventTime.toString(36)}-${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}
