// Durations in definitions and requests: a number of milliseconds, or a string like "80ms", "30s",
// "10m", "6h", "2d", "1w".
import { CtxError } from "../errors.js";

export type DurationUnit = "ms" | "s" | "m" | "h" | "d" | "w";
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

/** Parses a duration to milliseconds; `what` names the setting in the error message. */
export function parseDuration(input: unknown, what: string): number {
  if (typeof input === "number") {
    if (Number.isFinite(input) && input > 0) return input;
    throw new CtxError(
      "CTX_INVALID_DURATION",
      `${what} must be a positive number of milliseconds or a string like "80ms", "10m", "2d"; got ${input}.`,
      { what, input },
    );
  }
  if (typeof input === "string") {
    const match = PATTERN.exec(input.trim());
    if (match) {
      const milliseconds = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
      if (milliseconds > 0) return milliseconds;
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
