// The phase after the lookups: every value that can reach the prompt (ok, or stale for `fallback`)
// gets its prompt lines and their token counts in the context store's encoding. Batch and stream
// values normally carry them from write time; only what lacks them is rendered and counted here.

import { RenderTimeUp, renderFresh } from "../render/request-time.js";
import { tokensFor } from "../render/value.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { Resolution } from "./resolution.js";

export function withPromptLines(options: {
  readonly resolutions: readonly Resolution[];
  readonly tokenizer: Tokenizer;
  /** Called for every tokenizer call made here (the trace counts them). */
  readonly onTokenize: () => void;
  /**
   * The request's deadline (`performance.now()` time): a value still being rendered then is
   * `timeout`, whatever it holds (render/request-time.ts). Absent: no limit.
   */
  readonly deadlineAt?: number;
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
    try {
      return linesOf(
        resolution,
        tokenizer,
        () => {
          onTokenize();
          if (stored) storedWithoutCounts += 1;
        },
        options.deadlineAt,
      );
    } catch (error) {
      if (!(error instanceof RenderTimeUp)) throw error;
      // Never `ok` after the deadline: an ok value becomes `timeout`; a stale one stays stale, without
      // lines (its policy then writes a note instead of the last known value).
      const { value: _value, windowEvents: _events, rendered: _rendered, ...rest } = resolution;
      const because = "request deadline reached while rendering its value";
      return resolution.status === "ok"
        ? {
            ...rest,
            status: "timeout" as const,
            reason: `${because}: lower the source's maxValueBytes, or allow a longer deadline`,
          }
        : { ...rest, reason: `${resolution.reason ?? "stale"}; ${because}` };
    }
  });
  return { resolutions, storedWithoutCounts };
}

/** The resolution with `lines`/`tokens`, rendering only what lacks stored counts. */
function linesOf(
  resolution: Resolution,
  tokenizer: Tokenizer,
  onTokenize: () => void,
  stopAt: number | undefined,
): Resolution {
  if (resolution.lines && resolution.tokens) return resolution;
  const { source } = resolution;
  if (resolution.windowEvents) {
    const lines: string[] = [];
    const tokens: number[] = [];
    for (const event of resolution.windowEvents) {
      const rendered = event.rendered ?? renderFresh(source, event.value, tokenizer, onTokenize, stopAt);
      const counts = tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize);
      rendered.lines.forEach((line, index) => {
        lines.push(line);
        tokens.push(counts[index] as number);
      });
    }
    return { ...resolution, kind: "list", lines, tokens };
  }
  if (resolution.value === undefined) return resolution;
  const rendered =
    resolution.rendered ?? renderFresh(source, resolution.value, tokenizer, onTokenize, stopAt);
  return {
    ...resolution,
    kind: rendered.kind,
    lines: rendered.lines,
    tokens: tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize),
  };
}
