// The unavailable policies, all in one place. A value that is not a fact (missing, stale, timeout,
// error, invalid, skipped) is never rendered as if it were empty; per source:
// - required (and `onUnavailable: "fail"`, which implies required): the assembly throws
//   CTX_REQUIRED_UNAVAILABLE, so no prompt goes out with that context silently missing;
// - `fallback`: the last known value (a stale stored value, or a realtime source's last good
//   answer), labelled with its age; a note when there is none;
// - `note`: an explicit "unknown — do not assume there is none" line;
// - `omit`: nothing in the prompt (the trace still records the status).

import { formatDuration } from "../definitions/duration.js";
import { isFact, type RenderedText, type Status } from "../envelope.js";
import { CtxError } from "../errors.js";
import type { PackBlock } from "../pack/types.js";
import { normalizeOwnLines } from "../render/normalize.js";
import { countedLines, RenderTimeUp, renderFresh } from "../render/request-time.js";
import {
  fallbackLabel,
  INVALID_ANSWER,
  STALE_WINDOW_WITHOUT_EVENTS,
  tokensFor,
  unknownNote,
} from "../render/value.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { SourceTrace } from "../trace/types.js";
import { noteBlock, valueBlock } from "./blocks.js";
import type { Resolution } from "./resolution.js";

/** What a policy put in the prompt for one unavailable source. */
export interface PolicyOutcome {
  readonly rendered: Extract<SourceTrace["rendered"], "note" | "fallback" | "none">;
  readonly block: PackBlock | undefined;
}

/**
 * Applies the policies to the resolutions that are not facts. Throws CTX_REQUIRED_UNAVAILABLE when
 * a required one is among them; otherwise returns an outcome per unavailable source, by name.
 */
export function applyUnavailablePolicies(options: {
  readonly resolutions: readonly Resolution[];
  /** The assembly's clock (epoch ms): fallback labels say how old the value is. */
  readonly now: number;
  readonly tokenizer: Tokenizer;
  readonly onTokenize: () => void;
  /** The request's deadline: a last known value not rendered by then gives way to a note. */
  readonly deadlineAt?: number;
}): { readonly outcomes: ReadonlyMap<string, PolicyOutcome>; readonly warnings: readonly string[] } {
  const { now, tokenizer, onTokenize, deadlineAt } = options;
  const unavailable = options.resolutions.filter((resolution) => !isFact(resolution.status));
  const failedRequired = unavailable.filter((resolution) => resolution.source.required);
  if (failedRequired.length > 0) throw requiredUnavailable(failedRequired);
  const outcomes = new Map<string, PolicyOutcome>();
  const warnings: string[] = [];
  const note = (resolution: Resolution): PolicyOutcome => {
    const status = resolution.status as Exclude<Status, "ok" | "empty">;
    const { label, tier } = resolution.source;
    const text =
      status === "stale" && tier === "stream" && !resolution.windowEvents?.length
        ? unknownNote(label, status, undefined, STALE_WINDOW_WITHOUT_EVENTS)
        : status === "invalid" && tier === "realtime"
          ? unknownNote(label, status, undefined, INVALID_ANSWER)
          : unknownNote(label, status);
    return { rendered: "note", block: noteBlock(resolution, countedLines(text, tokenizer, onTokenize)) };
  };
  for (const resolution of unavailable) {
    const { source } = resolution;
    // Not required, so the policy is one of omit, note, fallback ("fail" implies required).
    if (source.onUnavailable === "omit") {
      outcomes.set(source.name, { rendered: "none", block: undefined });
      continue;
    }
    if (source.onUnavailable !== "fallback") {
      outcomes.set(source.name, note(resolution));
      continue;
    }
    const fallback = lastKnownValue(resolution, tokenizer, onTokenize, deadlineAt);
    if (!fallback) {
      outcomes.set(source.name, note(resolution));
      continue;
    }
    const ageMs = fallback.eventTime === undefined ? undefined : Math.max(0, now - fallback.eventTime);
    const label = normalizeOwnLines(fallbackLabel(source.label, ageMs));
    outcomes.set(source.name, {
      rendered: "fallback",
      block: { ...valueBlock(resolution, fallback), required: false, suffix: label },
    });
    warnings.push(
      `${source.name}: ${resolution.status}; rendered the last known value (${ageMs === undefined ? "age unknown" : formatDuration(ageMs)} old) under the fallback policy.`,
    );
  }
  return { outcomes, warnings };
}

/** CTX_REQUIRED_UNAVAILABLE naming each required source that is not a fact, with its status. */
export function requiredUnavailable(failedRequired: readonly Resolution[]): CtxError {
  const list = failedRequired
    .map((r) => `${r.source.name} is ${r.status}${r.reason ? ` (${r.reason})` : ""}`)
    .join("; ");
  return new CtxError(
    "CTX_REQUIRED_UNAVAILABLE",
    `Required context is unavailable: ${list}. Nothing was assembled, so no prompt goes out with this context silently missing; retry, or mark the source optional (required: false, onUnavailable: "note").`,
    {
      sources: failedRequired.map((r) => ({ source: r.source.name, status: r.status, reason: r.reason })),
    },
  );
}

/** The value the `fallback` policy shows: a stale value's own lines, or a realtime last good value. */
function lastKnownValue(
  resolution: Resolution,
  tokenizer: Tokenizer,
  onTokenize: () => void,
  deadlineAt: number | undefined,
):
  | {
      lines: readonly string[];
      tokens: readonly number[];
      kind: "text" | "list";
      eventTime: number | undefined;
    }
  | undefined {
  if (resolution.status === "stale" && resolution.lines && resolution.tokens && resolution.lines.length > 0) {
    return {
      lines: resolution.lines,
      tokens: resolution.tokens,
      kind: resolution.kind ?? "text",
      eventTime: resolution.eventTime,
    };
  }
  if (resolution.fallback) {
    let rendered: RenderedText;
    try {
      rendered = renderFresh(resolution.source, resolution.fallback.value, tokenizer, onTokenize, deadlineAt);
    } catch (error) {
      if (error instanceof RenderTimeUp) return undefined;
      throw error;
    }
    return {
      lines: rendered.lines,
      tokens: tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize),
      kind: rendered.kind,
      eventTime: resolution.fallback.eventTime,
    };
  }
  return undefined;
}
