// The phase after the lookups: every value that can reach the prompt (ok, or stale for `fallback`)
// gets its prompt lines and their token counts in the context store's encoding. Batch and stream
// values normally carry them from write time; only what lacks them is rendered and counted here.

import { renderFresh } from "../render/request-time.js";
import { tokensFor } from "../render/value.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { Resolution } from "./resolution.js";

export function withPromptLines(options: {
  readonly resolutions: readonly Resolution[];
  readonly tokenizer: Tokenizer;
  /** Called for every tokenizer call made here (the trace counts them). */
  readonly onTokenize: () => void;
}): {
  readonly resolutions: readonly Resolution[];
  /** Batch/stream values that had no precomputed counts for this encoding (worth a warning). */
  readonly storedWithoutCounts: number;
} {
  const { tokenizer, onTokenize } = options;
  let storedWithoutCounts = 0;
  const resolutions = options.resolutions.map((resolution) => {
    if (resolution.status !== "ok" && resolution.status !== "stale") return resolution;
    const stored = resolution.source.tier === "batch" || resolution.source.tier === "stream";
    return linesOf(resolution, tokenizer, () => {
      onTokenize();
      if (stored) storedWithoutCounts += 1;
    });
  });
  return { resolutions, storedWithoutCounts };
}

/** The resolution with `lines`/`tokens`, rendering only what lacks stored counts. */
function linesOf(resolution: Resolution, tokenizer: Tokenizer, onTokenize: () => void): Resolution {
  if (resolution.lines && resolution.tokens) return resolution;
  const { source } = resolution;
  if (resolution.windowEvents) {
    const lines: string[] = [];
    const tokens: number[] = [];
    for (const event of resolution.windowEvents) {
      const rendered = event.rendered ?? renderFresh(source, event.value, tokenizer, onTokenize);
      const counts = tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize);
      rendered.lines.forEach((line, index) => {
        lines.push(line);
        tokens.push(counts[index] as number);
      });
    }
    return { ...resolution, kind: "list", lines, tokens };
  }
  if (resolution.value === undefined) return resolution;
  const rendered = resolution.rendered ?? renderFresh(source, resolution.value, tokenizer, onTokenize);
  return {
    ...resolution,
    kind: rendered.kind,
    lines: rendered.lines,
    tokens: tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize),
  };
}
