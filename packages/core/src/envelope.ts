// The envelope is what stores keep per (entity key, source): the value and the facts needed to judge
// it at read time (event time, write time, schema version), plus the rendered text with its token
// counts, computed once at write time so request-time packing does no tokenizing.

/** Tokenizer encodings with exact counts. */
export type Encoding = "o200k_base" | "cl100k_base";

/**
 * A value's prompt text as computed at write time: its lines and each line's exact token count per
 * encoding, so request-time packing does no tokenizing.
 */
export interface RenderedText {
  /** `text` truncates at sentence boundaries; `list` truncates by whole items. */
  readonly kind: "text" | "list";
  /** Normalised, escaped prompt lines, without their trailing newline. Never blank. */
  readonly lines: readonly string[];
  /** Per encoding: each line's token count including its trailing "\n". */
  readonly tokens: Readonly<Partial<Record<Encoding, readonly number[]>>>;
}

/**
 * What an online store keeps per (entity key, source): the validated value (or a positive empty), its
 * event and write times (epoch ms, UTC), schema version, and optionally the rendered text with its
 * token counts.
 */
export interface Envelope {
  /** The value as validated at write time (JSON-serialisable); null when `empty`. */
  readonly value: unknown;
  /** The source positively said "nothing" (see `empty()`). */
  readonly empty?: true;
  readonly emptyReason?: string;
  /** When the fact became true (epoch ms, UTC). Last-write-wins compares this. */
  readonly eventTime: number;
  /** When it was written (epoch ms, UTC). Breaks event-time ties. */
  readonly writeTime: number;
  readonly schemaVersion: number;
  /** Stream events: dedupe id within a window. */
  readonly eventId?: string;
  readonly rendered?: RenderedText;
}

/**
 * Exactly one per resolved value. Only `ok` and `empty` are facts; everything else must never be
 * rendered as if it were `empty` (the phantom zero).
 */
export type Status = "ok" | "empty" | "missing" | "stale" | "timeout" | "error" | "invalid" | "skipped";

/** Every `Status`, in the order traces and reports list them. */
export const STATUSES = [
  "ok",
  "empty",
  "missing",
  "stale",
  "timeout",
  "error",
  "invalid",
  "skipped",
] as const satisfies readonly Status[];

/** `ok` and `empty`: the statuses that are facts (see `Status`). */
export function isFact(status: Status): boolean {
  return status === "ok" || status === "empty";
}
