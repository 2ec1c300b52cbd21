// The one error type ctxstore throws. Every error has a stable string `code` that callers can branch
// on, and a message that says what went wrong and what to do about it.

/** The stable codes of {@link CtxError}; docs/concepts.md says when each is thrown. */
export type CtxErrorCode =
  | "CTX_INVALID_DEFINITION"
  | "CTX_DUPLICATE_SOURCE"
  | "CTX_UNKNOWN_ENTITY"
  | "CTX_UNKNOWN_SOURCE"
  | "CTX_INVALID_DURATION"
  | "CTX_INVALID_KEY"
  | "CTX_INVALID_VALUE"
  | "CTX_INVALID_REQUEST"
  | "CTX_INVALID_BUDGET"
  | "CTX_BUDGET_TOO_SMALL"
  | "CTX_REQUIRED_UNAVAILABLE"
  | "CTX_TIMEOUT"
  | "CTX_STORE_UNAVAILABLE"
  | "CTX_VALUE_TOO_LARGE"
  | "CTX_DIMENSION_MISMATCH"
  | "CTX_TENANT_REQUIRED"
  | "CTX_INVALID_TENANT"
  | "CTX_UNKNOWN_PURPOSE"
  | "CTX_PRINCIPAL_REQUIRED"
  | "CTX_INVALID_DOCUMENT"
  | "CTX_INVALID_EVENT"
  | "CTX_CONFIG";

/**
 * The brand every `CtxError` carries. `Symbol.for` returns the same symbol in every copy of
 * `@ctxstore/core` loaded into one process (npm often installs two, e.g. one under an adapter), so
 * the brand, unlike `instanceof`, recognises an error thrown by another copy.
 */
const CTX_ERROR_BRAND: unique symbol = Symbol.for("@ctxstore/core.CtxError");

/**
 * The error ctxstore throws for bad input, bad definitions and unavailable context. Branch on
 * `code` (see {@link CtxErrorCode}) through {@link isCtxError}, never on `instanceof` or the message.
 */
export class CtxError extends Error {
  override readonly name = "CtxError";
  /** Marks this object as a ctxstore error for {@link isCtxError}, across copies of the package. */
  readonly [CTX_ERROR_BRAND] = true;
  readonly code: CtxErrorCode;
  /** Structured facts about the failure (offending source, statuses, sizes...), safe to log. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: CtxErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.details = details;
  }
}

/**
 * True when `error` is a ctxstore error (from this or any other copy of `@ctxstore/core`), and, when
 * `code` is given, has that code.
 */
export function isCtxError(error: unknown, code?: CtxErrorCode): error is CtxError {
  if (typeof error !== "object" || error === null) return false;
  if ((error as { [CTX_ERROR_BRAND]?: unknown })[CTX_ERROR_BRAND] !== true) return false;
  return code === undefined || (error as { code?: unknown }).code === code;
}

/** Formats zod issues as `path: message; path: message` for error messages. */
export function describeIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string {
  return issues
    .slice(0, 5)
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : "(value)"}: ${issue.message}`,
    )
    .join("; ");
}
