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
 * Token counts per line. With `cache` (serving), recurring lines ("viewed product 12") come from the
 * shared count cache; without it (the write path, where lines are mostly one-off), they are counted.
 */
export function countLines(lines: readonly string[], tokenizer: Tokenizer, cache = true): number[] {
  return cache
    ? lines.map((line) => cachedCount(tokenizer, `${line}\n`))
    : lines.map((line) => tokenizer.count(`${line}\n`));
}

export function toRenderedText(rendered: Rendered, tokenizer: Tokenizer, cache = true): RenderedText {
  const kind = typeof rendered === "string" ? "text" : "list";
  const lines =
    typeof rendered === "string"
      ? normalizeLines(rendered)
      : rendered
          .map((item) => normalizeItem(String(item)))
          .filter((line): line is string => line !== undefined);
  return { kind, lines, tokens: { [tokenizer.encoding]: countLines(lines, tokenizer, cache) } };
}

/** Renders a batch/realtime value, or one stream event (always one list line). */
export function renderValue(
  source: AnySource,
  value: unknown,
  tokenizer: Tokenizer,
  cache = true,
): RenderedText {
  switch (source.tier) {
    case "stream": {
      const line = normalizeItem(String(source.render(value)));
      const lines = line === undefined ? [] : [line];
      return { kind: "list", lines, tokens: { [tokenizer.encoding]: countLines(lines, tokenizer, cache) } };
    }
    case "batch":
    case "realtime":
      return toRenderedText(source.render(value), tokenizer, cache);
    case "vector":
      return toRenderedText(JSON.stringify(value), tokenizer, cache);
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

/**
 * The line rendered under the `note` policy. It must read as "unknown", never as "none": the model is
 * told not to infer absence.
 */
export function unknownNote(label: string, status: Exclude<Status, "ok" | "empty">, detail?: string): string {
  const because = detail ? `${UNKNOWN_BECAUSE[status]} (${detail})` : UNKNOWN_BECAUSE[status];
  return `${capitalize(label)}: unknown — ${because}. Do not assume there is none.`;
}

export function fallbackLabel(label: string, ageMs: number | undefined): string {
  const age = ageMs === undefined ? "of unknown age" : `${formatDuration(ageMs)} old`;
  return `(${capitalize(label)} above is the last known value, ${age}; the current value could not be read and may differ.)`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
