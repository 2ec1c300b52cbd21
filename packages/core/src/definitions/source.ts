// Sources (feature views): one named, versioned piece of context of one tier. A definition is plain
// data plus functions; `createContextStore` validates a whole set of them together.
import type { z } from "zod";
import { CtxError } from "../errors.js";
import type { Embedder, VectorHit, VectorStore } from "../vector/types.js";
import { type Duration, parseDuration } from "./duration.js";
import type { Empty } from "./empty.js";
import type { Entity } from "./entity.js";
import type { PiiTags, Readers } from "./governance.js";

/** Where a source's values come from: precomputed (`batch`), recent events (`stream`), a per-request lookup (`realtime`) or a similarity search (`vector`). */
export type Tier = "batch" | "stream" | "realtime" | "vector";

/** Prompt order, most stable first, so provider prompt caches hit on the stable prefix. */
export const TIER_RANK: Readonly<Record<Tier, number>> = { batch: 0, stream: 1, vector: 2, realtime: 3 };

/**
 * What to do when a value is not a fact (`missing`, `stale`, `timeout`, `error`, `invalid`, `skipped`):
 * - `omit`: leave it out of the prompt (the trace still records it);
 * - `note`: render an explicit "unknown — do not assume absence" line;
 * - `fallback`: render the last known good value, labelled with its age (a note when there is none);
 * - `fail`: throw `CTX_REQUIRED_UNAVAILABLE` from `assemble`.
 */
export type UnavailablePolicy = "omit" | "note" | "fallback" | "fail";

/**
 * A titled block of the packed prompt ("User profile") with its priority and token limits; build one
 * with `section(title, options)` or give a source's `section` as a plain title.
 */
export interface SectionDefinition {
  readonly title: string;
  /** Higher goes in first when the budget is tight. Defaults to the highest priority of its sources. */
  readonly priority?: number;
  /**
   * Tokens reserved for this section before lower-priority sections are packed: a whole number >= 0
   * (0 reserves nothing, like leaving it out). See `sectionLimitProblem`.
   */
  readonly minTokens?: number;
  /**
   * Hard cap for this section's tokens, heading included: a whole number >= 0 (0 keeps the section
   * out of the prompt; the trace shows each of its sources dropped for "section maxTokens 0").
   */
  readonly maxTokens?: number;
}

/**
 * The one rule for a section's `minTokens` and `maxTokens`, applied by `createContextStore` (to the
 * definitions) and by the packer (to what it is handed): absent, or a whole number of tokens >= 0.
 * Returns what is wrong, or undefined.
 */
export function sectionLimitProblem(limit: "minTokens" | "maxTokens", value: unknown): string | undefined {
  if (value === undefined || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0))
    return undefined;
  return `${limit} ${String(value)} is not a whole number of tokens >= 0: use one (e.g. 300) or leave it out.`;
}

/** A section of the packed prompt: its title plus token limits and order, for a source's `section` option. */
export function section(title: string, options: Omit<SectionDefinition, "title"> = {}): SectionDefinition {
  return { title, ...options };
}

/** What a render function returns: a text block (truncated at sentence boundaries) or list items. */
export type Rendered = string | readonly string[];

interface CommonOptions<E extends Entity, S extends z.ZodType> {
  entity: E;
  schema: S;
  /** Bump when the schema changes: values of another version read as `invalid`. Default 1. */
  version?: number;
  /** Freshness SLA: values older than this read as `stale`. */
  maxAge?: Duration;
  section: string | SectionDefinition;
  /** 0..100; higher survives a tight budget. Default 50. */
  priority?: number;
  /** A required source that is unavailable makes `assemble` throw `CTX_REQUIRED_UNAVAILABLE`. */
  required?: boolean;
  onUnavailable?: UnavailablePolicy;
  /** Human name used in notes ("loyalty status"). Defaults to the source name with spaces. */
  label?: string;
  /** Personal data this source holds, by category (docs/governance.md). */
  pii?: PiiTags;
  /** Who may read it: roles, or a predicate over the request's principal. Unset: everyone. */
  readers?: Readers;
  /**
   * Largest JSON size (UTF-8 bytes) of one value of this source: a written value or stream event
   * over it is refused (CTX_VALUE_TOO_LARGE, nothing written), a realtime answer over it is
   * `invalid` with the reason. Default: the context store's `maxValueBytes` (256 KiB).
   */
  maxValueBytes?: number;
}

interface BaseSource<T extends Tier, E extends Entity | undefined, V> {
  readonly kind: "source";
  readonly tier: T;
  readonly name: string;
  readonly version: number;
  readonly entity: E;
  readonly schema: z.ZodType<V>;
  readonly maxAgeMs: number | undefined;
  readonly section: SectionDefinition;
  readonly priority: number;
  readonly required: boolean;
  readonly onUnavailable: UnavailablePolicy;
  readonly label: string;
  readonly pii: PiiTags | undefined;
  readonly readers: Readers | undefined;
  /** This source's own size limit; undefined: the context store's `maxValueBytes`. */
  readonly maxValueBytes: number | undefined;
}

/**
 * A batch-tier source, as `batch()` returns it: a value computed offline (daily to weekly), read from
 * the online store with every other batch and stream value in one round trip.
 */
export interface BatchSource<E extends Entity = Entity, V = unknown> extends BaseSource<"batch", E, V> {
  /** Turns a value into prompt text: a string (truncated at sentence boundaries) or list items. */
  readonly render: (value: V) => Rendered;
  /** How a positively empty value reads in the prompt. */
  readonly renderEmpty: (reason: string | undefined) => string;
}

/**
 * A stream-tier source, as `stream()` returns it: the newest `window` events per entity, appended by
 * `ctx.append` or an ingest worker and rendered one line per event, oldest first.
 */
export interface StreamSource<E extends Entity = Entity, V = unknown> extends BaseSource<"stream", E, V> {
  /** Keep the newest N events by event time. */
  readonly window: number;
  /** One line per event. */
  readonly render: (event: V) => string;
  /** How a positively empty window (a live stream with no events) reads in the prompt. */
  readonly renderEmpty: (reason: string | undefined) => string;
  /** Dedupe id of an event; defaults to a hash of its event time and content. */
  readonly eventId: ((event: V) => string) | undefined;
  /** Event time read from the event itself when `append` is not given one. */
  readonly eventTime: ((event: V) => Date | number | string) | undefined;
  /** How long an entity's window is kept after its last write; unset = kept until deleted. */
  readonly retentionMs: number | undefined;
}

/** What a realtime source's `resolve(key, context)` is given besides the key. */
export interface RealtimeResolveContext {
  /** Fires when the source's timeout or the request deadline is spent: stop work and return. */
  readonly signal: AbortSignal;
  readonly query: string | undefined;
  readonly now: number;
  /** The request's tenant on a multi-tenant store: read only that tenant's data. */
  readonly tenant?: string;
}

/**
 * A realtime-tier source, as `realtime()` returns it: `resolve` is called once per request, under
 * `timeoutMs` (milliseconds) and the request's deadline; a throw reads as `error`, a late answer as
 * `timeout`, never as empty.
 */
export interface RealtimeSource<E extends Entity = Entity, V = unknown> extends BaseSource<"realtime", E, V> {
  readonly timeoutMs: number;
  /** Must return a value or `empty()`; `undefined`/`null` is `invalid`, a throw is `error`. */
  readonly resolve: (
    key: z.output<E["key"]>,
    context: RealtimeResolveContext,
  ) => Promise<V | Empty> | V | Empty;
  /** Turns the resolved value into prompt text: a string or list items. */
  readonly render: (value: V) => Rendered;
  /** How a positively empty answer (`empty(reason)` from `resolve`) reads in the prompt. */
  readonly renderEmpty: (reason: string | undefined) => string;
}

/**
 * A vector-tier source, as `vector()` returns it: per request, the query is embedded with `embedder`
 * and the `topK` most similar chunks are read from `store`, rendered as passages with their citation.
 */
export interface VectorSource<E extends Entity | undefined = Entity | undefined>
  extends BaseSource<"vector", E, VectorHit[]> {
  readonly store: VectorStore;
  readonly embedder: Embedder;
  readonly topK: number;
  readonly minScore: number | undefined;
  readonly timeoutMs: number | undefined;
  /** Tenant filter applied to every query; a function reads it from the request. */
  readonly tenant: string | ((request: { tenant?: string | undefined }) => string | undefined) | undefined;
  /** Payload equality filters applied to every query. */
  readonly filter: Readonly<Record<string, string | number | boolean>> | undefined;
  /** What the prompt says when the search positively found nothing above `minScore`. */
  readonly renderEmpty: (reason: string | undefined) => string;
}

// A heterogeneous list of sources needs an open value type; each source stays precisely typed.
// biome-ignore lint/suspicious/noExplicitAny: see above
type OpenValue = any;
/**
 * Any source of any tier, with an open value type: what lists of sources (`createContextStore`,
 * `sources` options) take.
 */
export type AnySource =
  | BatchSource<Entity, OpenValue>
  | StreamSource<Entity, OpenValue>
  | RealtimeSource<Entity, OpenValue>
  | VectorSource<OpenValue>;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

function common<T extends Tier, E extends Entity | undefined, S extends z.ZodType>(
  tier: T,
  name: string,
  options: Omit<CommonOptions<Entity, S>, "entity"> & { entity: E },
) {
  if (!NAME.test(name)) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source name ${JSON.stringify(name)} must be lower_snake_case (a-z, 0-9, _), starting with a letter.`,
      { source: name },
    );
  }
  const fail = (message: string): never => {
    throw new CtxError("CTX_INVALID_DEFINITION", `Source "${name}" (${tier}): ${message}`, {
      source: name,
      tier,
    });
  };
  if (tier !== "vector" && (!options.entity || (options.entity as Entity).kind !== "entity")) {
    fail("`entity` must be an entity from defineEntity().");
  }
  if (!options.schema || typeof options.schema.safeParse !== "function")
    fail("`schema` must be a zod schema.");
  const version = options.version ?? 1;
  if (!Number.isInteger(version) || version < 1)
    fail(`\`version\` must be a positive integer; got ${version}.`);
  const priority = options.priority ?? 50;
  if (!Number.isFinite(priority) || priority < 0 || priority > 100)
    fail(`\`priority\` must be 0..100; got ${priority}.`);
  const sectionDefinition =
    typeof options.section === "string" ? { title: options.section } : options.section;
  if (
    !sectionDefinition ||
    typeof sectionDefinition.title !== "string" ||
    !/^[^\r\n]{1,120}$/.test(sectionDefinition.title.trim())
  ) {
    fail("`section` must be a one-line title (1..120 characters) or section(title, options).");
  }
  const policy = options.onUnavailable ?? (options.required ? "fail" : "note");
  if (!["omit", "note", "fallback", "fail"].includes(policy)) {
    fail(`\`onUnavailable\` must be "omit", "note", "fallback" or "fail"; got ${JSON.stringify(policy)}.`);
  }
  const maxAgeMs =
    options.maxAge === undefined ? undefined : parseDuration(options.maxAge, `maxAge of source "${name}"`);
  const label = options.label ?? name.replaceAll("_", " ");
  const pii = options.pii;
  if (pii !== undefined) {
    const categories = [pii.category, ...Object.values(pii.fields ?? {})].filter((c) => c !== undefined);
    if (
      typeof pii !== "object" ||
      categories.length === 0 ||
      categories.some((category) => typeof category !== "string" || !/^[a-z][a-z0-9_-]{0,62}$/.test(category))
    )
      fail(
        '`pii` must be { category?, fields? } naming lower-case categories (e.g. { fields: { email: "contact" } }).',
      );
  }
  const readers = options.readers;
  if (
    readers !== undefined &&
    typeof readers !== "function" &&
    (!Array.isArray(readers) || readers.length === 0 || readers.some((role) => typeof role !== "string"))
  )
    fail("`readers` must be a non-empty list of roles or a predicate (principal) => boolean.");
  const maxValueBytes = options.maxValueBytes;
  if (maxValueBytes !== undefined && !(Number.isSafeInteger(maxValueBytes) && maxValueBytes > 0))
    fail(
      `\`maxValueBytes\` must be a whole number of bytes > 0 (e.g. 65536), or left out for the context store's limit; got ${String(maxValueBytes)}.`,
    );
  return {
    kind: "source" as const,
    tier,
    name,
    version,
    entity: options.entity,
    schema: options.schema as z.ZodType<z.output<S>>,
    maxAgeMs,
    section: { ...sectionDefinition, title: sectionDefinition.title.trim() },
    priority,
    required: options.required === true || policy === "fail",
    onUnavailable: policy,
    label,
    pii,
    readers,
    maxValueBytes,
  };
}

function defaultRender(value: unknown): Rendered {
  if (typeof value === "string") return value;
  if (Array.isArray(value))
    return value.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  if (value !== null && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return String(value);
}

const defaultEmpty = (label: string) => (reason: string | undefined) =>
  reason
    ? `${capitalize(label)}: none (${reason}).`
    : `${capitalize(label)}: none — confirmed, not missing data.`;

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Options of `batch(name, options)`: the common source options plus how its value renders. */
export interface BatchOptions<E extends Entity, S extends z.ZodType> extends CommonOptions<E, S> {
  /**
   * Value to prompt text: a string (truncated at sentence boundaries) or list items (the newest kept).
   * Default: the value's JSON, or the string itself.
   */
  render?: (value: z.output<S>) => Rendered;
  /**
   * How `empty(reason)` reads. Default: "<Label>: none (reason)." or "... none — confirmed, not missing data.".
   */
  renderEmpty?: (reason: string | undefined) => string;
}

/**
 * Batch tier: computed daily–weekly offline, served from the online store. Throws
 * `CTX_INVALID_DEFINITION` for a name that is not lower_snake_case, a missing schema or entity,
 * a bad `version`, `priority` (0..100) or section title.
 *
 * ```ts
 * const profile = batch("user_profile", {
 *   entity: user,
 *   schema: z.object({ summary: z.string() }),
 *   maxAge: "2d",
 *   section: "User profile",
 *   render: (value) => value.summary,
 * });
 * ```
 */
export function batch<E extends Entity, S extends z.ZodType>(
  name: string,
  options: BatchOptions<E, S>,
): BatchSource<E, z.output<S>> {
  const base = common("batch", name, options);
  return {
    ...base,
    entity: options.entity,
    render: options.render ?? defaultRender,
    renderEmpty: options.renderEmpty ?? defaultEmpty(base.label),
  };
}

/**
 * Options of `stream(name, options)`: the common source options, the `window` size (1..10,000 events
 * kept per entity), how an event renders, and how its id and event time are read.
 */
export interface StreamOptions<E extends Entity, S extends z.ZodType> extends CommonOptions<E, S> {
  window: number;
  /** One event to one prompt line. Default: the event's JSON (list values joined with "; "). */
  render?: (event: z.output<S>) => string;
  /** How an empty window reads. Default: "No <label> — confirmed, the stream is live ...". */
  renderEmpty?: (reason: string | undefined) => string;
  /** The id that deduplicates an event (retries, replays). Default: a hash of its event time and content. */
  eventId?: (event: z.output<S>) => string;
  /** Reads the event time from the event when `append` is given none (epoch ms, Date or ISO string). */
  eventTime?: (event: z.output<S>) => Date | number | string;
  /**
   * Forget an entity's window this long after its last event (e.g. "1d" for sessions). After that
   * the window is gone, and with a live pipeline it reads as `empty`: no events within the retention.
   * Default: kept until deleted. (`maxAge` is the pipeline's freshness, not the events' lifetime.)
   */
  retention?: Duration;
}

/**
 * Stream tier: the newest `window` events per entity, written continuously. Throws
 * `CTX_INVALID_DEFINITION` for a name that is not lower_snake_case, a missing schema or entity,
 * a bad `version`, `priority` (0..100) or section title, or a `window` outside 1..10,000.
 *
 * ```ts
 * const recent = stream("recent_activity", {
 *   entity: session,
 *   schema: z.object({ action: z.string(), item: z.string() }),
 *   window: 10,
 *   section: "Recent activity",
 *   render: (event) => `${event.action} ${event.item}`,
 * });
 * ```
 */
export function stream<E extends Entity, S extends z.ZodType>(
  name: string,
  options: StreamOptions<E, S>,
): StreamSource<E, z.output<S>> {
  const base = common("stream", name, options);
  if (!Number.isInteger(options.window) || options.window < 1 || options.window > 10_000) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source "${name}" (stream): \`window\` must be an integer 1..10000; got ${options.window}.`,
      {
        source: name,
      },
    );
  }
  return {
    ...base,
    entity: options.entity,
    window: options.window,
    render: options.render ?? ((event) => flatten(defaultRender(event))),
    renderEmpty:
      options.renderEmpty ??
      ((reason) =>
        reason
          ? `No ${base.label} (${reason}).`
          : `No ${base.label} — confirmed, the stream is live and has no events for this ${options.entity.name}.`),
    eventId: options.eventId,
    eventTime: options.eventTime,
    retentionMs:
      options.retention === undefined
        ? undefined
        : parseDuration(options.retention, `retention of source "${name}"`),
  };
}

function flatten(rendered: Rendered): string {
  return typeof rendered === "string" ? rendered : rendered.join("; ");
}

/**
 * Options of `realtime(name, options)`: the common source options, the `timeout` (required: a
 * duration such as "80ms") and the `resolve(key, { signal })` function called per request.
 */
export interface RealtimeOptions<E extends Entity, S extends z.ZodType> extends CommonOptions<E, S> {
  timeout: Duration;
  /**
   * Called once per request with the entity's parsed key. Return a value of `schema` or `empty(reason)`;
   * stop when `signal` aborts (timeout or deadline). A throw reads as `error`, `undefined`/`null` as `invalid`.
   */
  resolve: (
    key: z.output<E["key"]>,
    context: RealtimeResolveContext,
  ) => Promise<z.output<S> | Empty> | z.output<S> | Empty;
  /** Value to prompt text: a string or list items. Default: the value's JSON, or the string itself. */
  render?: (value: z.output<S>) => Rendered;
  /** How `empty(reason)` from `resolve` reads. Default as for batch sources. */
  renderEmpty?: (reason: string | undefined) => string;
}

/**
 * Realtime tier: a resolver called per request under its own timeout. Throws
 * `CTX_INVALID_DEFINITION` for a name that is not lower_snake_case, a missing schema or entity,
 * a bad `version`, `priority` (0..100) or section title, or no `timeout` or `resolve`.
 *
 * ```ts
 * const stock = realtime("inventory", {
 *   entity: user,
 *   schema: z.object({ inStock: z.number() }),
 *   timeout: "80ms",
 *   resolve: async (key, { signal }) => fetchStock(key.userId, signal), // or empty("no tracked items")
 *   section: "Live inventory",
 *   onUnavailable: "note",
 * });
 * ```
 */
export function realtime<E extends Entity, S extends z.ZodType>(
  name: string,
  options: RealtimeOptions<E, S>,
): RealtimeSource<E, z.output<S>> {
  const base = common("realtime", name, options);
  if (options.timeout === undefined) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source "${name}" (realtime) needs a \`timeout\` (e.g. "80ms"): a realtime lookup without one can stall every request.`,
      { source: name },
    );
  }
  if (typeof options.resolve !== "function") {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source "${name}" (realtime) needs a \`resolve(key, { signal })\` function.`,
      { source: name },
    );
  }
  return {
    ...base,
    entity: options.entity,
    timeoutMs: parseDuration(options.timeout, `timeout of source "${name}"`),
    resolve: options.resolve,
    render: options.render ?? defaultRender,
    renderEmpty: options.renderEmpty ?? defaultEmpty(base.label),
  };
}

/**
 * Options of `vector(name, options)`: the vector store and embedder, how many passages (`topK`,
 * default 5, at most 1,000), a `minScore` floor, a `timeout`, and tenant/entity/payload filters.
 */
export interface VectorOptions<E extends Entity | undefined>
  extends Omit<CommonOptions<Entity, z.ZodType>, "entity" | "schema" | "version" | "maxValueBytes"> {
  store: VectorStore;
  embedder: Embedder;
  topK?: number;
  minScore?: number;
  timeout?: Duration;
  /** Scope every search to the request's key of this entity (payload `entityKey`). */
  entity?: E;
  /**
   * Tenant filter on every search: a fixed tenant id, or a function reading it from the request
   * (`(request) => request.tenant`). Unset: searches are not tenant-filtered.
   */
  tenant?: string | ((request: { tenant?: string | undefined }) => string | undefined);
  filter?: Record<string, string | number | boolean>;
  /** What the prompt says when the search found nothing. Default: "No <label> matched this question ...". */
  renderEmpty?: (reason: string | undefined) => string;
}

/**
 * Vector tier: one embed + one similarity search per request, in parallel with everything else.
 * Throws `CTX_INVALID_DEFINITION` for a bad name, `topK` outside 1..1,000, or a missing `store` or
 * `embedder`.
 *
 * ```ts
 * const kb = vector("help_center", { store, embedder, topK: 5, section: "Relevant articles" });
 * ```
 */
export function vector<E extends Entity | undefined = undefined>(
  name: string,
  options: VectorOptions<E>,
): VectorSource<E> {
  const base = common("vector", name, {
    ...options,
    entity: options.entity as E,
    schema: VECTOR_HITS_SCHEMA,
  });
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1 || topK > 1_000) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source "${name}" (vector): \`topK\` must be an integer 1..1000; got ${topK}.`,
      { source: name },
    );
  }
  if (!options.store || typeof options.store.query !== "function") {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source "${name}" (vector) needs a \`store\` implementing VectorStore.`,
      { source: name },
    );
  }
  if (!options.embedder || typeof options.embedder.embed !== "function") {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Source "${name}" (vector) needs an \`embedder\` implementing Embedder.`,
      { source: name },
    );
  }
  return {
    ...base,
    store: options.store,
    embedder: options.embedder,
    topK,
    minScore: options.minScore,
    timeoutMs:
      options.timeout === undefined
        ? undefined
        : parseDuration(options.timeout, `timeout of source "${name}"`),
    tenant: options.tenant,
    filter: options.filter,
    renderEmpty:
      options.renderEmpty ??
      ((reason) =>
        reason
          ? `No ${base.label} (${reason}).`
          : `No ${base.label} matched this question (search ran; nothing above the relevance threshold).`),
  };
}

// Vector values are produced by the store, not written by users; the schema only documents the shape.
const VECTOR_HITS_SCHEMA = {
  safeParse: (value: unknown) => ({ success: true as const, data: value }),
  parse: (value: unknown) => value,
} as unknown as z.ZodType<VectorHit[]>;

const fields = new WeakMap<
  object,
  { readonly name: string; readonly version: number; readonly field: string }
>();

/**
 * The record field of a source: `name@version`. One string per source (kept while name and version
 * are unchanged): the write path and every assembly ask for it, and stores hash, compare and cache
 * by it, which is cheaper on the same string than on a new one each time.
 */
export function sourceField(source: { name: string; version: number }): string {
  const known = fields.get(source);
  if (known !== undefined && known.name === source.name && known.version === source.version)
    return known.field;
  const field = `${source.name}@${source.version}`;
  fields.set(source, { name: source.name, version: source.version, field });
  return field;
}
