// JSON error responses shared by every route helper: one body shape (`{ error, message, ... }`) so
// browsers and API clients can branch on a stable `error` string, and one mapping from ctxstore's
// typed errors to HTTP statuses.
import { type CtxErrorCode, isCtxError } from "@ctxstore/core";

/** The body of every error response these helpers produce. */
export interface ErrorBody {
  /** Stable, machine-readable: `invalid_json`, `invalid_event`, `payload_too_large`, `context_unavailable`... */
  readonly error: string;
  /** What went wrong and what to do about it. */
  readonly message: string;
  readonly [detail: string]: unknown;
}

const NO_STORE = { "cache-control": "no-store" } as const;

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...headers } });
}

export function errorResponse(
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(body, status, headers);
}

/**
 * HTTP status for a ctxstore error. Bad keys or requests are the caller's fault (400); an
 * unavailable required source or store is temporary (503, retry); anything else is a server-side
 * configuration problem (500), such as a budget too small for the required context.
 */
export function statusForCtxError(code: CtxErrorCode): number {
  switch (code) {
    case "CTX_INVALID_KEY":
    case "CTX_INVALID_REQUEST":
    case "CTX_INVALID_VALUE":
    case "CTX_INVALID_EVENT":
    case "CTX_UNKNOWN_ENTITY":
    case "CTX_TENANT_REQUIRED":
      return 400;
    case "CTX_VALUE_TOO_LARGE":
      return 413;
    case "CTX_REQUIRED_UNAVAILABLE":
    case "CTX_STORE_UNAVAILABLE":
    case "CTX_TIMEOUT":
      return 503;
    default:
      return 500;
  }
}

const ERROR_NAMES: Partial<Record<number, string>> = {
  400: "invalid_request",
  413: "payload_too_large",
  503: "context_unavailable",
  500: "context_error",
};

/**
 * Converts a ctxstore error into its JSON response; returns undefined for any other error so the
 * caller rethrows it (Next.js then logs it and answers 500 without leaking its message).
 */
export function ctxErrorResponse(error: unknown): Response | undefined {
  if (!isCtxError(error)) return undefined;
  const status = statusForCtxError(error.code);
  const headers: Record<string, string> = status === 503 ? { "retry-after": "1" } : {};
  return errorResponse(
    status,
    { error: ERROR_NAMES[status] ?? "context_error", code: error.code, message: error.message },
    headers,
  );
}
