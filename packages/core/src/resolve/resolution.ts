// One source's resolution, before policies and packing: the record the assembly phases share.

import type { Entity } from "../definitions/entity.js";
import type { AnySource } from "../definitions/source.js";
import type { Envelope, RenderedText, Status } from "../envelope.js";

export interface Resolution {
  readonly source: AnySource;
  readonly key: string | undefined;
  status: Status;
  reason?: string;
  latencyMs: number;
  eventTime?: number;
  value?: unknown;
  emptyReason?: string;
  /** Lines and counts of the value (ok or stale), when it has any. */
  lines?: readonly string[];
  tokens?: readonly number[];
  kind?: "text" | "list";
  scores?: readonly number[];
  shared?: boolean;
  /** The stored rendering of a batch value, or the stored events of a stream window. */
  rendered?: RenderedText;
  windowEvents?: readonly Envelope[];
  /** The value shown under the `fallback` policy (realtime last known good). */
  fallback?: { value: unknown; eventTime: number };
}

export interface KeyInfo {
  readonly entity: Entity;
  readonly parsed: unknown;
  readonly canonical: string;
}

export function skipped(source: AnySource, reason: string): Resolution {
  return { source, key: undefined, status: "skipped", reason, latencyMs: 0 };
}

export function isFactStatus(status: Status): boolean {
  return status === "ok" || status === "empty";
}
