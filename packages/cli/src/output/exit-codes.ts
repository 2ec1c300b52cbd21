// The exit codes every command uses (documented in docs/cli.md) and how an error maps to one.
import { isCtxError } from "@ctxstore/core";

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  held: 3,
  /** Stopped by Ctrl-C (128 + SIGINT), the shell convention. */
  interrupted: 130,
} as const;

/** Error codes that mean "the command line asked for something wrong", not "something broke". */
const USAGE_CODES = new Set<string>([
  "CTX_INVALID_KEY",
  "CTX_UNKNOWN_ENTITY",
  "CTX_UNKNOWN_SOURCE",
  "CTX_INVALID_REQUEST",
  "CTX_INVALID_BUDGET",
  "CTX_INVALID_DURATION",
  "CTX_UNKNOWN_PURPOSE",
  "CTX_TENANT_REQUIRED",
  "CTX_INVALID_TENANT",
]);

export function exitCodeOf(error: unknown): number {
  if (isCtxError(error) && (USAGE_CODES.has(error.code) || error.details.usage === true)) return EXIT.usage;
  return EXIT.failure;
}

/** The `--json` shape of a failure. */
export function errorJson(error: unknown): { error: { code: string; message: string; details?: unknown } } {
  if (isCtxError(error)) {
    const { usage: _usage, ...details } = error.details as Record<string, unknown>;
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(Object.keys(details).length > 0 ? { details } : {}),
      },
    };
  }
  return { error: { code: "CTX_INTERNAL", message: error instanceof Error ? error.message : String(error) } };
}
