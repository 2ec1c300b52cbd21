// Rendering: values into normalised prompt lines with exact per-line token counts (done once, at
// write time for batch/stream values), and the status lines the packer shows for facts that are
// empty and for values that are unknown.
import { formatDuration } from "../definitions/duration.js";
import type { AnySource, Rendered } from "../definitions/source.js";
import type { Encoding, RenderedText, Status } from "../envelope.js";
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";
import { normalizeItem, normalizeLines } from "./normalize.js";

/**
 * On the write path only lines shorter than this go through the count cache: short lines (stream
 * events like "viewed product 12", labels) recur and a hit is about twice as cheap as counting; long
 * lines are mostly one-off content (a customer summary), where the cache would only churn.
 */
export const WRITE_PATH_CACHED_LINE = 64;

/**
 * Token counts per line; lines shorter than `cacheBelow` come from the shared count cache
 * (serving: every line it takes; the write path: WRITE_PATH_CACHED_LINE).
 */
export function countLines(
  lines: readonly string[],
  tokenizer: Tokenizer,
  cacheBelow = Number.POSITIVE_INFINITY,
): number[] {
  return lines.map((line) =>
    line.length < cacheBelow ? cachedCount(tokenizer, `${line}\n`) : tokenizer.count(`${line}\n`),
  );
}

export function toRenderedText(
  rendered: Rendered,
  tokenizer: Tokenizer,
  cacheBelow = Number.POSITIVE_INFINITY,
): RenderedText {
  const kind = typeof rendered === "string" ? "text" : "list";
  const lines =
    typeof rendered === "string"
      ? normalizeLines(rendered)
      : rendered
          .map((item) => normalizeItem(String(item)))
          .filter((line): line is string => line !== undefined);
  return { kind, lines, tokens: { [tokenizer.encoding]: countLines(lines, tokenizer, cacheBelow) } };
}

/** Renders a batch/realtime value, or one stream event (always one list line). */
export function renderValue(
  source: AnySource,
  value: unknown,
  tokenizer: Tokenizer,
  cacheBelow = Number.POSITIVE_INFINITY,
): RenderedText {
  switch (source.tier) {
    case "stream": {
      const line = normalizeItem(String(source.render(value)));
      const lines = line === undefined ? [] : [line];
      return {
        kind: "list",
        lines,
        tokens: { [tokenizer.encoding]: countLines(lines, tokenizer, cacheBelow) },
      };
    }
    case "batch":
    case "realtime":
      return toRenderedText(source.render(value), tokenizer, cacheBelow);
    case "vector":
      return toRenderedText(JSON.stringify(value), tokenizer, cacheBelow);
  }
}

/** Token counts of `rendered` for `encoding`, computing (and counting the calls) only when absent. */
export function tokensFor(
  rendered: RenderedText,
  encoding: Encoding,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): readonly number[] {
  const stored = rendered.tokens[encoding];
  if (stored && stored.length === rendered.lines.length) return stored;
  onTokenize();
  return countLines(rendered.lines, tokenizer);
}

const UNKNOWN_BECAUSE: Record<Exclude<Status, "ok" | "empty">, string> = {
  missing: "it has never been computed for this request's entity",
  stale: "the last known value is older than its freshness limit",
  timeout: "the lookup timed out",
  error: "the lookup failed",
  invalid: "the stored value failed validation",
  skipped: "it was not looked up",
};

/** Why a realtime source's `invalid` answer is unknown: nothing was stored, the lookup's answer was refused. */
export const INVALID_ANSWER = "the lookup's answer failed validation";

/** Why a stale stream window that holds no events is unknown: it has no last known value to be old. */
export const STALE_WINDOW_WITHOUT_EVENTS =
  "no events seen while ingest is behind (not up to date within its freshness limit), so there may be activity it has not delivered yet";

/**
 * The line rendered under the `note` policy. It must read as "unknown", never as "none": the model is
 * told not to infer absence.
 */
export function unknownNote(
  label: string,
  status: Exclude<Status, "ok" | "empty">,
  detail?: string,
  reason: string = UNKNOWN_BECAUSE[status],
): string {
  const because = detail ? `${reason} (${detail})` : reason;
  return `${capitalize(label)}: unknown — ${because}. Do not assume there is none.`;
}

export function fallbackLabel(label: string, ageMs: number | undefined): string {
  const age = ageMs === undefined ? "of unknown age" : `${formatDuration(ageMs)} old`;
  return `(${capitalize(label)} above is the last known value, ${age}; the current value could not be read and may differ.)`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
