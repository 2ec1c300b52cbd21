// Turns the three places a LangChain caller can put request details (the adapter's options, the
// per-call `config.configurable.ctxstore`, and the input itself) into one validated `AssembleRequest`.
// Every entity the selected sources need must end up with a key: a missing one is an error naming the
// entity and where to put it, because assembling without it would turn "unknown user" into a prompt
// that reads like "user with no history" (the phantom zero).
import {
  type AssembleRequest,
  type ContextStore,
  CtxError,
  type Duration,
  type Entity,
  parseDuration,
} from "@ctxstore/core";
import { describeIssues } from "@ctxstore/core/store";
import { z } from "zod";

/** Entity keys by entity name: `{ user: { userId: "u1" }, session: { sessionId: "s9" } }`. */
export type EntityKeys = Readonly<Record<string, unknown>>;

/** What every adapter in this package accepts when it is built. */
export interface ContextRequestOptions {
  /** Default entity keys; per-call keys (config, input) replace them entity by entity. */
  keys?: EntityKeys;
  /** Token budget of the packed context. */
  budget: { maxTokens: number };
  /** Assembly deadline. Default: the context store's. */
  deadline?: Duration;
  /** Assemble only these sources (by name). Default: all of the store's sources. */
  sources?: readonly string[];
  /** Tenant for vector sources that read it from the request. */
  tenant?: string;
}

const durationSchema = z.union([
  z.number().positive(),
  z.string().regex(/^\d+(?:\.\d+)?(?:ms|s|m|h|d|w)$/, 'a duration like "150ms" or "2s"'),
]);

const keysSchema = z.record(z.string(), z.unknown());

/** The shape of `config.configurable.ctxstore`: per-call overrides of the adapter's options. */
export const callOptionsSchema = z.strictObject({
  keys: keysSchema.optional(),
  query: z.string().optional(),
  maxTokens: z.number().int().positive().optional(),
  deadline: durationSchema.optional(),
  sources: z.array(z.string()).nonempty().optional(),
  tenant: z.string().min(1).optional(),
});

export type CallOptions = z.output<typeof callOptionsSchema>;

const CALL_OPTIONS_SHAPE =
  '{ keys?: { <entity>: <key> }, query?: string, maxTokens?: positive integer, deadline?: "150ms" | ms, sources?: string[], tenant?: string }';

// Strict: a misspelt option (`key` for `keys`) must fail, not silently assemble without it.
const adapterOptionsSchema = z.strictObject({
  keys: keysSchema.optional(),
  budget: z.object({ maxTokens: z.number().int().positive() }),
  deadline: durationSchema.optional(),
  sources: z.array(z.string()).nonempty().optional(),
  tenant: z.string().min(1).optional(),
});

/**
 * Validates an adapter's options when it is built, so a wrong shape fails at startup rather than on
 * the first request. `adapter` names the adapter in the message.
 */
export function checkAdapterOptions(store: unknown, options: unknown, adapter: string): void {
  if (store === null || typeof store !== "object" || typeof (store as ContextStore).assemble !== "function") {
    throw new CtxError(
      "CTX_CONFIG",
      `${adapter} needs \`store\`: the ContextStore returned by createContextStore({ sources }).`,
      { adapter },
    );
  }
  const parsed = adapterOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new CtxError(
      "CTX_CONFIG",
      `${adapter} options are invalid (${describeIssues(parsed.error.issues)}). Expected { store, budget: { maxTokens: positive integer }, keys?: { <entity>: <key> }, deadline?, sources?, tenant? }.`,
      { adapter, issues: plainIssues(parsed.error.issues) },
    );
  }
  const known = (store as ContextStore).sources;
  for (const name of parsed.data.sources ?? []) {
    if (!known.has(name)) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `${adapter} option \`sources\` names "${name}", which is not one of the store's sources (${[...known.keys()].join(", ")}).`,
        { adapter, source: name },
      );
    }
  }
  if (parsed.data.deadline !== undefined) parseDuration(parsed.data.deadline, `${adapter} deadline`);
  // Default keys are checked now against their entity's schema (throws CTX_INVALID_KEY naming it).
  const entities = new Map<string, Entity>();
  for (const source of known.values()) {
    const entity = source.entity as Entity | undefined;
    if (entity) entities.set(entity.name, entity);
  }
  for (const [name, key] of Object.entries(parsed.data.keys ?? {})) {
    if (key !== undefined) entities.get(name)?.canonicalKey(key);
  }
}

/**
 * Reads `configurable.ctxstore` from a RunnableConfig (or an agent's runtime context). Absent is fine;
 * present with the wrong shape is an error that spells out the expected one.
 */
export function readCallOptions(holder: unknown, origin: string): CallOptions | undefined {
  if (holder === null || typeof holder !== "object") return undefined;
  const value = (holder as Record<string, unknown>).ctxstore;
  if (value === undefined) return undefined;
  const parsed = callOptionsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new CtxError(
    "CTX_INVALID_REQUEST",
    `${origin}.ctxstore must be ${CALL_OPTIONS_SHAPE}; ${describeIssues(parsed.error.issues)}. Example: { configurable: { ctxstore: { keys: { user: { userId: "u1" } } } } }.`,
    { origin, issues: plainIssues(parsed.error.issues) },
  );
}

export interface RequestParts {
  /** The question; vector sources search with it and realtime resolvers receive it. Wins over `calls[].query`. */
  query: string | undefined;
  /** Per-call layers, later ones winning entity by entity (e.g. config, then input). */
  calls: ReadonlyArray<CallOptions | undefined>;
  signal?: AbortSignal | undefined;
  /** Where per-call keys go for this adapter, for the error message: "config.configurable.ctxstore.keys". */
  keysHint: string;
}

/** Merges options and per-call layers into the request for `ctx.assemble`, checking every needed key is there. */
export function buildRequest(
  store: ContextStore,
  options: ContextRequestOptions,
  parts: RequestParts,
): AssembleRequest {
  const keys: Record<string, unknown> = { ...options.keys };
  let maxTokens = options.budget.maxTokens;
  let deadline = options.deadline;
  let sources = options.sources;
  let tenant = options.tenant;
  let configuredQuery: string | undefined;
  for (const call of parts.calls) {
    if (!call) continue;
    Object.assign(keys, call.keys);
    maxTokens = call.maxTokens ?? maxTokens;
    deadline = call.deadline === undefined ? deadline : (call.deadline as Duration);
    sources = call.sources ?? sources;
    tenant = call.tenant ?? tenant;
    configuredQuery = call.query ?? configuredQuery;
  }
  // The question given directly (the retriever's input, the chain's input) wins over a configured one.
  const query = parts.query ?? configuredQuery;
  requireKeys(store, keys, sources, parts.keysHint);
  return {
    keys,
    budget: { maxTokens },
    ...(query === undefined ? {} : { query }),
    ...(deadline === undefined ? {} : { deadline }),
    ...(sources === undefined ? {} : { sources }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(parts.signal === undefined ? {} : { signal: parts.signal }),
  };
}

/** Entities the selected sources read by key, each with the sources that need it. */
function neededEntities(store: ContextStore, sources: readonly string[] | undefined): Map<string, string[]> {
  const needed = new Map<string, string[]>();
  const selected = sources ? sources.map((name) => store.sources.get(name)) : [...store.sources.values()];
  for (const source of selected) {
    const entity = source?.entity as Entity | undefined;
    if (!source || !entity) continue;
    needed.set(entity.name, [...(needed.get(entity.name) ?? []), source.name]);
  }
  return needed;
}

function requireKeys(
  store: ContextStore,
  keys: Record<string, unknown>,
  sources: readonly string[] | undefined,
  keysHint: string,
): void {
  for (const [entity, sourceNames] of neededEntities(store, sources)) {
    if (keys[entity] !== undefined && keys[entity] !== null) continue;
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `No key for entity "${entity}", which source${sourceNames.length > 1 ? "s" : ""} ${sourceNames.join(", ")} need${sourceNames.length > 1 ? "" : "s"}. ` +
        `Pass keys: { ${entity}: <key> } in the adapter's options, or per call in ${keysHint}; ` +
        `to assemble without it, restrict \`sources\` to ones that do not read "${entity}".`,
      { entity, sources: sourceNames, givenEntities: Object.keys(keys) },
    );
  }
}

function plainIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) {
  return issues.slice(0, 5).map((issue) => ({ path: issue.path.map(String), message: issue.message }));
}
