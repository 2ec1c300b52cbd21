// `empty()` is how a source says "there is positively nothing here" (a new customer with zero orders).
// It is a fact and renders as one; it is never inferred from a missing, failed or timed-out value.

const EMPTY = Symbol.for("ctxstore.empty");

/**
 * A confirmed-empty value, made by `empty(reason)`: what a source writes or resolves to say "there is
 * positively nothing" (status `empty`, a fact), as opposed to a missing or failed value.
 */
export interface Empty {
  readonly [EMPTY]: true;
  /** Optional human statement of the fact, rendered into the prompt: "new customer, no orders yet". */
  readonly reason: string | undefined;
}

/** A confirmed-empty value to write ("no orders yet"): a fact, rendered as such, never read as unknown. */
export function empty(reason?: string): Empty {
  return { [EMPTY]: true, reason };
}

/** True for a value made by {@link empty}. */
export function isEmpty(value: unknown): value is Empty {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[EMPTY] === true;
}
