// The trace: what an assembly asked for, what each source returned and why it did or did not reach
// the prompt. The same data feeds OpenTelemetry spans, provider metadata and the inspector.
import type { Tier } from "../definitions/source.js";
import type { Encoding, Status } from "../envelope.js";
import type { BlockOutcome } from "../pack/types.js";

/**
 * One source in an assembly trace: its status and why, latency and age (ms), what was rendered, and
 * whether it was included, truncated, dropped or omitted, with its tokens.
 */
export interface SourceTrace {
  readonly source: string;
  readonly tier: Tier;
  readonly section: string;
  readonly entity: string | undefined;
  /** Canonical entity key. */
  readonly key: string | undefined;
  readonly status: Status;
  /** Why the status is not `ok` ("timed out after 80ms", "schema version 1, expected 2"...). */
  readonly reason?: string;
  readonly latencyMs: number;
  /** Age of the value at assembly time. */
  readonly ageMs?: number;
  readonly eventTime?: number;
  /** What was rendered: the value, a confirmed-empty line, an unknown-value note, a fallback, or nothing. */
  readonly rendered: "value" | "empty" | "note" | "fallback" | "none";
  /** `omitted`: nothing to render under the `omit` policy. */
  readonly outcome: BlockOutcome | "omitted";
  readonly outcomeReason?: string;
  readonly tokens: number;
  readonly candidateTokens: number;
  /** Vector sources: the scores of the hits, best first. */
  readonly scores?: readonly number[];
  /** True when this realtime call shared an identical in-flight call. */
  readonly shared?: boolean;
}

/**
 * The record of one `assemble`: what was asked (keys, query, budget, deadline), each source's trace,
 * the sections and totals, phase timings and warnings. Returned as `result.trace` and passed to
 * `onTrace`, OpenTelemetry spans, `ctxstore explain` and the inspector.
 */
export interface AssemblyTrace {
  readonly id: string;
  readonly at: number;
  readonly encoding: Encoding;
  readonly keys: Readonly<Record<string, string>>;
  readonly query: string | undefined;
  readonly budget: { readonly maxTokens: number };
  readonly deadlineMs: number;
  readonly sources: readonly SourceTrace[];
  readonly sections: ReadonlyArray<{
    readonly title: string;
    readonly tokens: number;
    readonly sources: readonly string[];
  }>;
  readonly totals: {
    readonly tokens: number;
    readonly budget: number;
    readonly included: number;
    readonly truncated: number;
    readonly dropped: number;
    /** Sources whose status is not a fact. */
    readonly unavailable: number;
    /** Tokenizer calls made during this assembly (0 for stored values written by this store). */
    readonly tokenizerCalls: number;
  };
  readonly phases: {
    readonly validateMs: number;
    readonly onlineReadMs: number;
    readonly realtimeMs: number;
    readonly vectorMs: number;
    readonly packMs: number;
    readonly totalMs: number;
  };
  /** Share of included tokens per tier (0..1). Healthy mix: ~80% batch, ~15% stream, ~5% realtime. */
  readonly tierShare: Readonly<Record<Tier, number>>;
  readonly warnings: readonly string[];
}
