// The one error type ctxstore throws. Every error has a stable string `code` that callers can branch
// on, and a message that says what went wrong and what to do about it.

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

export class CtxError extends Error {
  override readonly name = "CtxError";
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

export function isCtxError(error: unknown, code?: CtxErrorCode): error is CtxError {
  return error instanceof CtxError && (code === undefined || error.code === code);
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
