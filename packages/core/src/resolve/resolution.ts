// One source's resolution: what a lookup phase (online read, realtime, vector search) found for it,
// classified into exactly one status. Phases return new resolutions; none changes another's.

import type { Entity } from "../definitions/entity.js";
import type { AnySource } from "../definitions/source.js";
import type { Envelope, RenderedText } from "../envelope.js";
import type { TracedResolution } from "../trace/build.js";

/** The trace's fields (source, key, status, reason, latency, event time, scores, shared) and the rest. */
export interface Resolution extends TracedResolution {
  readonly value?: unknown;
  readonly emptyReason?: string;
  /** Lines and counts of the value (ok or stale), when it has any (see prompt-lines.ts). */
  readonly lines?: readonly string[];
  readonly tokens?: readonly number[];
  readonly kind?: "text" | "list";
  /** The stored rendering of a batch value, or the stored events of a stream window. */
  readonly rendered?: RenderedText;
  readonly windowEvents?: readonly Envelope[];
  /** The value shown under the `fallback` policy (realtime last known good). */
  readonly fallback?: { readonly value: unknown; readonly eventTime: number };
}

/** A request key, validated against its entity's schema and canonicalised. */
export interface KeyInfo {
  readonly entity: Entity;
  readonly parsed: unknown;
  readonly canonical: string;
}

/** What each lookup phase returns: a resolution per source it looked up, and how long it took. */
export interface PhaseResult {
  readonly resolutions: readonly Resolution[];
  readonly latencyMs: number;
}

export function skipped(source: AnySource, reason: string): Resolution {
  return { source, key: undefined, status: "skipped", reason, latencyMs: 0 };
}

/** A thrown value as the `reason` of an `error`/`timeout` resolution. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
