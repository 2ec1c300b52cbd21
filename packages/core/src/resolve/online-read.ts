// The batch/stream side of an assembly: one online-store read, then each record classified into
// exactly one status (missing, stale, invalid, empty, ok) and its prompt lines made ready.

import { formatDuration } from "../definitions/duration.js";
import { type AnySource, sourceField } from "../definitions/source.js";
import type { Envelope, RenderedText } from "../envelope.js";
import { describeIssues } from "../errors.js";
import { renderValue, tokensFor } from "../render/value.js";
import type { OnlineReadResult, OnlineStore, ReadRequest, ReadResult } from "../stores/types.js";
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";
import { DEADLINE, errorMessage, raceDeadline } from "./realtime.js";
import type { KeyInfo, Resolution } from "./resolution.js";

export async function readOnline(
  online: OnlineStore,
  plan: readonly { source: AnySource; key: KeyInfo }[],
  now: number,
  deadlineAt: number,
  signal: AbortSignal,
  validateOnRead: boolean,
  resolutions: Map<string, Resolution>,
  timings: { onlineReadMs: number },
): Promise<void> {
  const records: ReadRequest[] = plan.map(({ source, key }) => ({
    entity: key.entity.name,
    key: key.canonical,
    field: sourceField(source),
    kind: source.tier === "stream" ? "window" : "value",
  }));
  const watermarks = plan
    .filter(({ source }) => source.tier === "stream")
    .map(({ source }) => sourceField(source));
  const started = performance.now();
  let result: OnlineReadResult | typeof DEADLINE;
  try {
    result = await raceDeadline(
      online.read({ records, watermarks }, { signal }),
      deadlineAt - started,
      signal,
    );
  } catch (error) {
    const latencyMs = performance.now() - started;
    timings.onlineReadMs = latencyMs;
    for (const { source, key } of plan) {
      resolutions.set(source.name, {
        source,
        key: key.canonical,
        status: "error",
        reason: `${online.name} read failed: ${errorMessage(error)}`,
        latencyMs,
      });
    }
    return;
  }
  const latencyMs = performance.now() - started;
  timings.onlineReadMs = latencyMs;
  if (result === DEADLINE) {
    for (const { source, key } of plan) {
      resolutions.set(source.name, {
        source,
        key: key.canonical,
        status: "timeout",
        reason: `${online.name} read did not answer within the request deadline`,
        latencyMs,
      });
    }
    return;
  }
  plan.forEach(({ source, key }, index) => {
    const record = result.records[index];
    const resolution: Resolution = { source, key: key.canonical, status: "missing", latencyMs };
    if (!record) {
      resolution.status = "error";
      resolution.reason = `${online.name} returned no result for this record`;
    } else if (source.tier === "stream") {
      classifyWindow(resolution, record, result.watermarks[sourceField(source)], now, validateOnRead);
    } else {
      classifyValue(resolution, record, now, validateOnRead);
    }
    resolutions.set(source.name, resolution);
  });
}

/** True when the store answered with the expected kind of record; otherwise marks it invalid. */
function recordOfKind<Kind extends "value" | "window">(
  resolution: Resolution,
  record: ReadResult,
  kind: Kind,
): record is Extract<ReadResult, { kind: Kind }> {
  if (record.kind === kind) return true;
  resolution.status = "invalid";
  resolution.reason =
    record.kind === "invalid"
      ? record.reason
      : `expected a ${kind} record, the store returned a ${record.kind}`;
  return false;
}

function classifyValue(
  resolution: Resolution,
  record: ReadResult,
  now: number,
  validateOnRead: boolean,
): void {
  const { source } = resolution;
  if (!recordOfKind(resolution, record, "value")) return;
  const envelope = record.envelope;
  if (!envelope) {
    resolution.status = "missing";
    resolution.reason = "no value stored (never computed for this key)";
    return;
  }
  const problem = envelopeProblem(source, envelope, validateOnRead);
  if (problem) {
    resolution.status = "invalid";
    resolution.reason = problem;
    return;
  }
  resolution.eventTime = envelope.eventTime;
  if (source.maxAgeMs !== undefined && now - envelope.eventTime > source.maxAgeMs) {
    resolution.status = "stale";
    resolution.reason = `${formatDuration(now - envelope.eventTime)} old, older than maxAge ${formatDuration(source.maxAgeMs)}`;
  } else {
    resolution.status = envelope.empty ? "empty" : "ok";
  }
  if (envelope.empty) {
    if (envelope.emptyReason !== undefined) resolution.emptyReason = envelope.emptyReason;
    return;
  }
  resolution.value = envelope.value;
  if (envelope.rendered) resolution.rendered = envelope.rendered;
}

function classifyWindow(
  resolution: Resolution,
  record: ReadResult,
  watermark: number | undefined,
  now: number,
  validateOnRead: boolean,
): void {
  const { source } = resolution;
  if (!recordOfKind(resolution, record, "window")) return;
  const events: Envelope[] = [];
  let rejected = 0;
  for (const event of record.events) {
    if (envelopeProblem(source, event, validateOnRead)) rejected += 1;
    else events.push(event);
  }
  if (rejected > 0 && events.length === 0) {
    resolution.status = "invalid";
    resolution.reason = `all ${rejected} stored event(s) failed validation`;
    return;
  }
  const newest = events.length > 0 ? (events[events.length - 1] as Envelope).eventTime : undefined;
  const freshness = Math.max(watermark ?? Number.NEGATIVE_INFINITY, newest ?? Number.NEGATIVE_INFINITY);
  if (events.length === 0 && watermark === undefined) {
    resolution.status = "missing";
    resolution.reason =
      "no events stored and no ingest watermark: cannot tell an empty stream from one that never ran";
    return;
  }
  // The value's age is its newest event's; freshness (newest event or ingest watermark) decides staleness.
  resolution.eventTime = newest ?? freshness;
  const stale = source.maxAgeMs !== undefined && now - freshness > source.maxAgeMs;
  if (stale) {
    resolution.status = "stale";
    resolution.reason = `ingest last confirmed ${formatDuration(now - freshness)} ago, longer than maxAge ${formatDuration(source.maxAgeMs as number)}: the pipeline may be stalled`;
  } else {
    resolution.status = events.length === 0 ? "empty" : "ok";
  }
  if (events.length === 0) return;
  if (rejected > 0) resolution.reason = `${rejected} stored event(s) failed validation and were left out`;
  resolution.value = events.map((event) => event.value);
  resolution.windowEvents = events;
}

function envelopeProblem(source: AnySource, envelope: Envelope, validateOnRead: boolean): string | undefined {
  if (typeof envelope.eventTime !== "number" || !Number.isFinite(envelope.eventTime))
    return "envelope has no valid eventTime";
  if (envelope.schemaVersion !== source.version) {
    return `stored schema version ${envelope.schemaVersion}, source "${source.name}" expects version ${source.version}`;
  }
  if (validateOnRead && !envelope.empty) {
    const parsed = source.schema.safeParse(envelope.value);
    if (!parsed.success) return `stored value fails the schema: ${describeIssues(parsed.error.issues)}`;
  }
  return undefined;
}

/** Fills `lines`/`tokens` with the context store's encoding, rendering only what lacks stored counts. */
export function ensureLines(resolution: Resolution, tokenizer: Tokenizer, onTokenize: () => void): void {
  if (resolution.lines && resolution.tokens) return;
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
    resolution.kind = "list";
    resolution.lines = lines;
    resolution.tokens = tokens;
    return;
  }
  if (resolution.value === undefined) return;
  const rendered = resolution.rendered ?? renderFresh(source, resolution.value, tokenizer, onTokenize);
  resolution.kind = rendered.kind;
  resolution.lines = rendered.lines;
  resolution.tokens = tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize);
}

/**
 * Renders a value at request time (realtime values, or stored values without counts). Line counts go
 * through the process-wide memo, so a realtime value that repeats (the usual case) costs no tokenizing.
 */
export function renderFresh(
  source: AnySource,
  value: unknown,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): RenderedText {
  const memoised: Tokenizer = { ...tokenizer, count: (text) => cachedCount(tokenizer, text, onTokenize) };
  return renderValue(source, value, memoised);
}
