// The request types: what `ctx.assemble` takes, and the partial layers adapters merge into one
// (defaults, per-call overrides, framework-provided parts). Optional fields accept `undefined`
// ("not given here"), so a caller passes what it has without conditional spreads.
import type { Duration } from "../definitions/duration.js";
import type { Principal } from "../definitions/governance.js";

/** Entity keys by entity name: `{ user: { userId: "u1" }, session: { sessionId: "s9" } }`. */
export type EntityKeys = Readonly<Record<string, unknown>>;

/** The token budget of one assembly, in tokens of the context store's encoding. */
export interface Budget {
  /** Positive integer: the exact token count of `text` never exceeds it. */
  maxTokens: number;
}

/**
 * One layer of a request. `mergeRequestLayers` merges layers in order: later layers win field by
 * field, and `keys` entity by entity; a field (or an entity key) that is `undefined` is not given.
 */
export interface RequestLayer<Keys extends object = EntityKeys> {
  /** Entity keys by entity name. A source whose entity has no key is `skipped` (docs/concepts.md). */
  keys?: Partial<Keys> | undefined;
  /** The user's question: used by vector sources and passed to realtime resolvers. */
  query?: string | undefined;
  budget?: Budget | undefined;
  /** Whole-request deadline. Default from the store options ("250ms"). */
  deadline?: Duration | undefined;
  /** Restrict to these source names. */
  sources?: readonly string[] | undefined;
  /**
   * The caller's tenant, from its identity (never from user input): required on a multi-tenant
   * store, where it scopes every read and search; else read only by vector sources whose `tenant`
   * reads it from the request.
   */
  tenant?: string | undefined;
  /** What the context is for (`serving`, `training`, `inspection`, or declared): its redaction policy applies. Default `serving`. */
  purpose?: string | undefined;
  /** Who is asking: checked against sources' `readers`; required when a selected source has readers. */
  principal?: Principal | undefined;
  /** Aborts the whole assembly. */
  signal?: AbortSignal | undefined;
  /** How sections are marked: "markdown" or "xml". Default from the store options ("markdown"). */
  format?: "markdown" | "xml" | undefined;
}

/** A complete request: `ctx.assemble(request)`. */
export interface AssembleRequest<Keys extends object = EntityKeys> extends RequestLayer<Keys> {
  /** Entity keys by entity name. A selected source whose entity has no key here is `skipped`. */
  keys: Keys;
  budget: Budget;
}
