// The context store: the object applications hold. It validates a set of definitions once, then
// writes values (rendering and counting tokens at write time) and assembles packed prompt context.
import type { z } from "zod";
import type { Duration } from "../definitions/duration.js";
import type { Empty } from "../definitions/empty.js";
import type { Entity } from "../definitions/entity.js";
import type { AuditRecord, GovernanceOptions, Principal } from "../definitions/governance.js";
import type { AnySource, BatchSource, SectionDefinition, StreamSource, Tier } from "../definitions/source.js";
import type { Encoding, Envelope, Status } from "../envelope.js";
import type { PackedSection } from "../pack/types.js";
import type { AssembleRequest } from "../request/types.js";
import type { RealtimeOverride } from "../resolve/realtime-lookups.js";
import type { AppendOutcome, OnlineStore, ValueWrite, WindowAppend, WriteOutcome } from "../stores/types.js";
import type { TelemetryOptions } from "../telemetry/options.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { AssemblyTrace } from "../trace/types.js";
import type { CallDeadlineOptions } from "./call-deadline.js";

/**
 * Options of `createContextStore`: the sources (required) and, all optional, the online store, the
 * token encoding, the packed text's format, section overrides, the default deadline, limits on value
 * size and clock skew, telemetry, tenancy and governance.
 */
export interface ContextStoreOptions<Sources extends readonly AnySource[] = readonly AnySource[]> {
  sources: Sources;
  /** Optional allow-list: every source's entity must be one of these, and request keys may name them. */
  entities?: readonly Entity[];
  /** Online store for batch and stream values. Default: `memoryStore()`. */
  online?: OnlineStore;
  /** Default `o200k_base`. Rendered token counts are computed for this encoding at write time. */
  encoding?: Encoding;
  /** How sections are marked in the packed text: "markdown" (default) or "xml"; a request may override it. */
  format?: "markdown" | "xml";
  /** Section options (priority, minTokens, maxTokens) by title; overrides what sources declare. */
  sections?: readonly SectionDefinition[];
  /** Default request deadline. Default "250ms". */
  deadline?: Duration;
  /** Clock (epoch ms); tests and point-in-time renders fix it. */
  now?: () => number;
  /** Validate values against their schema when read (catches foreign writers). Default true. */
  validateOnRead?: boolean;
  /**
   * Largest JSON size (UTF-8 bytes) of one value accepted by `write`/`append` (over it: a typed
   * CTX_INVALID_VALUE, nothing written) and of one realtime answer (over it: `invalid`, with the
   * reason). Default 256 KiB. A source's own `maxValueBytes` replaces it for that source.
   */
  maxValueBytes?: number;
  /**
   * How far an event time may be ahead of when it is written: this writer's clock, or the
   * `writeTime` given with it (clocks differ a little). A later one is refused with
   * CTX_INVALID_VALUE, nothing written: a future time would keep a value or window "fresh" whatever
   * happens next. Also bounds `heartbeat` times against the clock. Default "1m".
   */
  maxClockSkew?: Duration;
  /** Called once per assembly with the trace (logging, metrics, OpenTelemetry). */
  onTrace?: (trace: AssemblyTrace) => void;
  /**
   * OpenTelemetry spans and metrics (docs/observability.md). On by default whenever
   * `@opentelemetry/api` is installed and a provider is registered; nothing is recorded otherwise.
   */
  telemetry?: TelemetryOptions;
  /**
   * `multi`: every write, append, assembly and forget carries a `tenant`, and every store keeps
   * tenants apart (docs/governance.md). Default `single`.
   */
  tenancy?: "single" | "multi";
  /** Purposes and their redaction policies, the pseudonym key, the audit sink. */
  governance?: GovernanceOptions;
  /**
   * Stores beyond the online and vector ones that hold entity data (an offline store's history):
   * `forget` erases from each, in the same call, and lists it in the receipt.
   */
  erasure?: readonly ErasureTarget[];
}

/** A store `forget` erases an entity from (e.g. `@ctxstore/duckdb`'s offline store). */
export interface ErasureTarget {
  readonly name: string;
  /** Removes every row of the entity key; resolves to how many were removed. */
  forget(request: {
    readonly entity: string;
    readonly key: string;
    readonly tenant?: string;
  }): Promise<number>;
}

// The request (its fields, layers and checks live in request/); re-exported for the store's users.
export type { AssembleRequest, Budget, EntityKeys, RequestLayer } from "../request/types.js";

/** The entities the sources use (`Entity` types carry their name and key schema). */
type EntityOf<Source> = Source extends { readonly entity: infer E } ? (E extends Entity ? E : never) : never;

/**
 * The request keys a context store over `Sources` takes: one optional key per entity its sources
 * use, typed by that entity's zod key schema. An unknown entity name or a wrong key shape is a
 * compile error; a missing one makes the sources that need it `skipped`.
 */
export type KeysOf<Sources extends readonly AnySource[]> = {
  readonly [E in EntityOf<Sources[number]> as E["name"]]?: z.input<E["key"]>;
};

// A realtime value given instead of calling the resolver: defined beside the phase that reads it.
export type { RealtimeOverride } from "../resolve/realtime-lookups.js";

/**
 * Second argument of `ctx.assemble`, for replays and training-data builds: assemble as if at another
 * time, from another online store, with realtime answers given instead of called.
 */
export interface AssembleOverrides {
  /** Assemble as if the clock read this (epoch ms or Date): ages, staleness and traces use it. */
  now?: number | Date;
  /** Read batch/stream values from this store instead (e.g. a point-in-time snapshot). */
  online?: OnlineStore;
  /** Realtime values by source name; sources listed here are not called. */
  realtime?: Readonly<Record<string, RealtimeOverride>>;
  /**
   * Render the prompt as this purpose would, while the request's own purpose stays the floor: per
   * PII category the stricter of the two policies' actions applies, unless the principal is in the
   * request purpose's `unredactedFor` (then this purpose's policy alone). The inspector previews
   * `serving` this way without unmasking anything `inspection` masks (docs/governance.md). The audit
   * record keeps the request's purpose. Undeclared: `CTX_UNKNOWN_PURPOSE`, nothing read.
   */
  previewPurpose?: string;
}

/**
 * One source's resolved value in an assembly: its status (only `ok` and `empty` are facts), the value
 * when there is one, its event time and age (ms), and why it is not a fact.
 */
export interface ResolvedValue {
  readonly source: string;
  readonly tier: Tier;
  readonly status: Status;
  /** Present for `ok` (and for `stale` values read from a store). */
  readonly value?: unknown;
  readonly eventTime?: number;
  readonly ageMs?: number;
  readonly reason?: string;
  /** For `empty`: the source's statement of the fact (`empty("no tracked items")`), as rendered. */
  readonly emptyReason?: string;
  /** For a realtime value that was not a fact: the last known good value available to the `fallback` policy. */
  readonly fallback?: { readonly value: unknown; readonly eventTime: number };
}

/** What `assemble` returns: the packed `text`, its `tokens`, the sections, the resolved values and the trace. */
export interface AssembleResult {
  /** The packed context. Its exact token count is `tokens` <= `budget.maxTokens`. */
  readonly text: string;
  readonly tokens: number;
  readonly sections: readonly PackedSection[];
  /** Every requested source's resolved value and status, by source name. */
  readonly values: Readonly<Record<string, ResolvedValue>>;
  readonly trace: AssemblyTrace;
  /** Warnings the caller should act on (the same list as `trace.warnings`), e.g. the budget left every source out. */
  readonly warnings: readonly string[];
}

/** Options of `ctx.write`: tenant, event time and write time (epoch ms, Date or ISO string). */
export interface WriteOptions {
  /** Required on a multi-tenant store: whose record this is. */
  tenant?: string;
  /** When the fact became true. Default: now. */
  eventTime?: Date | number | string;
  /** Default: now. */
  writeTime?: Date | number | string;
}

/** Options of `ctx.append`: those of `write`, plus the event's dedupe id. */
export interface AppendOptions extends WriteOptions {
  /** Dedupe id; default from the source's `eventId`, else a hash of event time and content. */
  eventId?: string;
}

/** `ctx.write`'s options: the record's times and tenant, and a per-call `deadline` / `signal`. */
export interface WriteCallOptions extends WriteOptions, CallDeadlineOptions {}

/** `ctx.append`'s options: the event's times, id and tenant, and a per-call `deadline` / `signal`. */
export interface AppendCallOptions extends AppendOptions, CallDeadlineOptions {}

/** A source's counts since the context store was created, from `ctx.counters()`. */
export interface SourceCounters {
  /** Resolved statuses seen by `assemble`, per status. */
  readonly statuses: Readonly<Record<Status, number>>;
}

/** A context store, from `createContextStore`: assemble context for a request, write and append values. */
export interface ContextStore<Sources extends readonly AnySource[] = readonly AnySource[]> {
  readonly sources: ReadonlyMap<string, AnySource>;
  readonly online: OnlineStore;
  readonly encoding: Encoding;
  /** `multi`: every write, append, assembly and forget carries a tenant (docs/governance.md). */
  readonly tenancy: "single" | "multi";
  readonly tokenizer: Tokenizer;
  /**
   * Resolves once the tokenizer ranks are loaded (started by createContextStore; ~1 s once per
   * process). Servers await it before taking requests: an assembly that comes earlier waits within
   * its deadline, and fails with CTX_TIMEOUT if they are still loading when it runs out.
   */
  ready(): Promise<void>;
  /**
   * Validates and writes one batch value (or `empty()`). Throws `CTX_INVALID_VALUE`, nothing written.
   * With `deadline` / `signal` (a request path), rejects `CTX_TIMEOUT` when it passes: the write may
   * or may not have been applied.
   */
  write<E extends Entity, V>(
    source: BatchSource<E, V>,
    key: z.input<E["key"]>,
    value: NoInfer<V> | Empty,
    options?: WriteCallOptions,
  ): Promise<WriteOutcome>;
  /** Validates and appends one stream event to its entity's window (`deadline` / `signal` as for `write`). */
  append<E extends Entity, V>(
    source: StreamSource<E, V>,
    key: z.input<E["key"]>,
    event: NoInfer<V>,
    options?: AppendCallOptions,
  ): Promise<AppendOutcome>;
  /**
   * Appends prepared events (from `toWindowAppend`) to the online store in one call. When the call
   * fails, each window it was for is marked, so it reads `stale` ("events may be missing") rather
   * than a confirmed empty window, until an append to it succeeds; then the error is rethrown.
   * Ingest pipelines (the events route, the Redis worker) append through this, not `online.append`.
   */
  appendEvents(appends: readonly WindowAppend[], options?: CallDeadlineOptions): Promise<AppendOutcome[]>;
  /** Marks a stream's ingest as complete up to `time` (default now): empty windows then read as facts. */
  heartbeat<V>(
    source: StreamSource<Entity, V>,
    time?: Date | number,
    options?: CallDeadlineOptions,
  ): Promise<void>;
  /** Builds the store write for a batch value (validates, renders, counts) without writing it. */
  toValueWrite(source: AnySource, key: unknown, value: unknown, options?: WriteOptions): ValueWrite;
  /** Builds the store append for a stream event without writing it (ingest workers batch these). */
  toWindowAppend(source: AnySource, key: unknown, event: unknown, options?: AppendOptions): WindowAppend;
  /** Renders and counts a value as the envelope would carry it (used by offline/point-in-time paths). */
  toEnvelope(source: AnySource, value: unknown, options?: AppendOptions): Envelope;
  /** Keys are typed from the sources' entities (`KeysOf`); the request is also checked at run time. */
  assemble(request: AssembleRequest<KeysOf<Sources>>, overrides?: AssembleOverrides): Promise<AssembleResult>;
  /**
   * Right to erasure: deletes every record of the entity key from the online store (all sources and
   * versions), its chunks from each vector source's store, and its rows from each `erasure` target.
   * Unknown entity: `CTX_UNKNOWN_ENTITY`; a key failing its schema: `CTX_INVALID_KEY`; nothing deleted.
   */
  forget(request: ForgetRequest): Promise<ForgetReceipt>;
  /** Status counters per source since start: a rising non-fact rate is an alert. */
  counters(): Readonly<Record<string, SourceCounters>>;
  /**
   * Closes the online store (the context store's own or the one passed in): later calls reject with
   * `CTX_STORE_UNAVAILABLE`. Close once, at shutdown.
   */
  close(): Promise<void>;
}

/** What `ctx.forget` erases: one entity's data in every tier (docs/governance.md). */
export interface ForgetRequest {
  /** The entity (or its name). */
  entity: Entity | string;
  key: unknown;
  /** Required on a multi-tenant store. */
  tenant?: string;
  principal?: Principal;
}

/** What `forget` removed, where. `complete` is false when a tier could not erase (see `notes`). */
export interface ForgetReceipt {
  readonly entity: string;
  readonly key: string;
  readonly tenant: string | undefined;
  readonly tiers: ReadonlyArray<{
    readonly tier: "online" | "vector" | "offline";
    readonly store: string;
    /** Records (online), chunks (vector) or rows (offline) removed; undefined when unknown. */
    readonly removed: number | undefined;
    readonly note?: string;
  }>;
  readonly complete: boolean;
}

export type { AuditRecord, Principal };
