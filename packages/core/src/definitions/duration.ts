// Durations in definitions and requests: a number of milliseconds, or a string like "80ms", "30s",
// "10m", "6h", "2d", "1w".
import { CtxError } from "../errors.js";

/** The units a {@link Duration} text may use. */
export type DurationUnit = "ms" | "s" | "m" | "h" | "d" | "w";
/** A length of time: milliseconds, or text such as `"250ms"`, `"10m"`, `"2d"`. */
export type Duration = number | `${number}${DurationUnit}`;

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/**
 * Parses a duration to a whole number of milliseconds; `what` names the setting in the error
 * message. Fractions of a millisecond are refused rather than rounded: ages and timestamps are whole
 * milliseconds, and a store comparing in integers (DuckDB's BIGINT) would otherwise round `10.5` to
 * 11 and call a row of age 11 fresh.
 */
export function parseDuration(input: unknown, what: string): number {
  if (typeof input === "number") {
    if (Number.isFinite(input) && input > 0) {
      if (Number.isInteger(input)) return input;
      throw fractionalMilliseconds(what, input, input);
    }
    throw new CtxError(
      "CTX_INVALID_DURATION",
      `${what} must be a positive number of milliseconds or a string like "80ms", "10m", "2d"; got ${input}.`,
      { what, input },
    );
  }
  if (typeof input === "string") {
    const match = PATTERN.exec(input.trim());
    if (match) {
      // Decimal arithmetic, not `1.1 * 1000` (1100.0000000000002): "1.1s" is exactly 1100 ms.
      const [whole, fraction = ""] = (match[1] as string).split(".");
      const scaled = Number(`${whole}${fraction}`) * UNIT_MS[match[2] as DurationUnit];
      const divisor = 10 ** fraction.length;
      if (scaled > 0 && Number.isSafeInteger(scaled)) {
        if (scaled % divisor === 0) return scaled / divisor;
        throw fractionalMilliseconds(what, input, scaled / divisor);
      }
    }
  }
  throw new CtxError(
    "CTX_INVALID_DURATION",
    `${what} must be a positive duration like "80ms", "30s", "10m", "6h", "2d" or a number of milliseconds; got ${JSON.stringify(input)}.`,
    { what, input },
  );
}

/** Whether `input` is a duration `parseDuration` accepts (request schemas check with it, so the pattern lives here only). */
export function isDuration(input: unknown): input is Duration {
  try {
    parseDuration(input, "duration");
    return true;
  } catch {
    return false;
  }
}

function fractionalMilliseconds(what: string, input: number | string, milliseconds: number): CtxError {
  const below = Math.floor(milliseconds);
  return new CtxError(
    "CTX_INVALID_DURATION",
    `${what} must be a whole number of milliseconds; got ${JSON.stringify(input)} (${milliseconds}ms). Use ${below > 0 ? `${below} or ` : ""}${below + 1}.`,
    { what, input },
  );
}

/** "1500" -> "1.5s", "7200000" -> "2h": for traces and rendered age labels. */
export function formatDuration(milliseconds: number): string {
  const abs = Math.abs(milliseconds);
  if (abs < 1_000) return `${Math.round(milliseconds)}ms`;
  if (abs < 60_000) return `${trim(milliseconds / 1_000)}s`;
  if (abs < 3_600_000) return `${trim(milliseconds / 60_000)}m`;
  if (abs < 86_400_000) return `${trim(milliseconds / 3_600_000)}h`;
  return `${trim(milliseconds / 86_400_000)}d`;
}

function trim(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}

/** Accepts Date, epoch milliseconds or an ISO-8601 string; returns epoch milliseconds (UTC). */
export function toEpochMs(input: Date | number | string, what: string): number {
  const value =
    input instanceof Date ? input.getTime() : typeof input === "string" ? Date.parse(input) : input;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${what} must be a Date, epoch milliseconds or an ISO-8601 string; got ${JSON.stringify(input)}.`,
      { what },
    );
  }
  return value;
}
