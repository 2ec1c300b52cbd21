// The batch/stream lookup phase: ONE online-store read for every batch value and stream window of
// the request (plus the streams' ingest watermarks), each record then classified into exactly one
// status: missing, stale, invalid, empty or ok. A failed or late read is `error`/`timeout` for every
// record in it, never "nothing stored".

import { formatDuration } from "../definitions/duration.js";
import { type AnySource, sourceField } from "../definitions/source.js";
import type { Envelope } from "../envelope.js";
import { describeIssues } from "../errors.js";
import type { OnlineReadResult, OnlineStore, ReadRequest, ReadResult } from "../stores/types.js";
import { failedAppendAt, unconfirmedField } from "../stores/unconfirmed-windows.js";
import { DEADLINE, raceDeadline } from "./deadline.js";
import { errorMessage, type KeyInfo, type PhaseResult, type Resolution } from "./resolution.js";

export async function readOnline(options: {
  readonly online: OnlineStore;
  readonly plan: ReadonlyArray<{ readonly source: AnySource; readonly key: KeyInfo }>;
  /** The assembly's clock (epoch ms), against which staleness is judged. */
  readonly now: number;
  /** `performance.now()` time at which the request deadline is spent. */
  readonly deadlineAt: number;
  readonly signal: AbortSignal;
  /** Check stored values against their schema (catches writers other than this context store). */
  readonly validateOnRead: boolean;
  /** A multi-tenant store's request tenant: every record read is that tenant's. */
  readonly tenant?: string | undefined;
}): Promise<OnlineReadPhase> {
  const { online, plan, now, validateOnRead, tenant } = options;
  if (plan.length === 0) return { resolutions: [], latencyMs: 0 };
  const scope = tenant === undefined ? {} : { tenant };
  const records: ReadRequest[] = plan.map(({ source, key }) => ({
    entity: key.entity.name,
    key: key.canonical,
    field: sourceField(source),
    kind: source.tier === "stream" ? "window" : "value",
    ...scope,
  }));
  // Each window's failure mark (stores/unconfirmed-windows.ts), after the records, same round trip.
  const markIndex = new Map<number, number>();
  plan.forEach(({ source, key }, index) => {
    if (source.tier !== "stream") return;
    markIndex.set(index, records.length);
    records.push({
      entity: key.entity.name,
      key: key.canonical,
      field: unconfirmedField(sourceField(source)),
      kind: "value",
      ...scope,
    });
  });
  const watermarks = plan
    .filter(({ source }) => source.tier === "stream")
    .map(({ source }) => sourceField(source));
  // Only a stream window needs the store to vouch for the tenant (see `unknownTenant` below), so a
  // read without stream sources does not ask.
  const askTenant = watermarks.length > 0 ? tenant : undefined;
  const started = performance.now();
  let result: OnlineReadResult | typeof DEADLINE;
  try {
    result = await raceDeadline(
      online.read(
        askTenant === undefined ? { records, watermarks } : { records, watermarks, tenants: [askTenant] },
        { signal: options.signal },
      ),
      options.deadlineAt - started,
      options.signal,
    );
  } catch (error) {
    const latencyMs = performance.now() - started;
    const reason = `${online.name} read failed: ${errorMessage(error)}`;
    return { resolutions: allWith(plan, "error", reason, latencyMs), latencyMs, roundTrip: "error" };
  }
  const latencyMs = performance.now() - started;
  if (result === DEADLINE) {
    const reason = `${online.name} read did not answer within the request deadline`;
    return { resolutions: allWith(plan, "timeout", reason, latencyMs), latencyMs, roundTrip: "timeout" };
  }
  const read = result;
  // Watermarks are per source, so they vouch for "no recent events" only for a tenant the store has
  // seen data for; an unknown tenant (a wrong id) or an unanswered one reads `missing`, never `empty`.
  const unknownTenant =
    askTenant === undefined || read.tenants?.[askTenant] === true
      ? undefined
      : read.tenants?.[askTenant] === false
        ? `tenant "${tenant}" has no data in ${online.name} (nothing was ever written or appended for it; is the tenant id right?)`
        : `${online.name} did not say whether tenant "${tenant}" has any data, so no events cannot be read as none`;
  const resolutions = plan.map(({ source, key }, index): Resolution => {
    const base = { source, key: key.canonical, latencyMs };
    const record = read.records[index];
    if (!record)
      return { ...base, status: "error", reason: `${online.name} returned no result for this record` };
    if (source.tier !== "stream") return classifyValue(base, record, now, validateOnRead);
    const mark = read.records[markIndex.get(index) as number];
    const window = classifyWindow({
      base,
      record,
      watermark: read.watermarks[sourceField(source)],
      unknownTenant,
      now,
      validateOnRead,
    });
    const failedAt =
      mark?.kind === "value" && record.kind === "window"
        ? failedAppendAt(mark.envelope, record.events)
        : undefined;
    if (failedAt === undefined || (window.status !== "ok" && window.status !== "empty")) return window;
    return {
      ...window,
      status: "stale",
      reason: `an append to this window failed ${formatDuration(now - failedAt)} ago and has not succeeded since: events may be missing`,
    };
  });
  return { resolutions, latencyMs, roundTrip: "ok" };
}

/** The phase's result, plus how its one round trip went (absent when nothing was read): for metrics. */
export interface OnlineReadPhase extends PhaseResult {
  readonly roundTrip?: "ok" | "error" | "timeout";
}

type Base = Pick<Resolution, "source" | "key" | "latencyMs">;

function allWith(
  plan: ReadonlyArray<{ readonly source: AnySource; readonly key: KeyInfo }>,
  status: "error" | "timeout",
  reason: string,
  latencyMs: number,
): Resolution[] {
  return plan.map(({ source, key }) => ({ source, key: key.canonical, status, reason, latencyMs }));
}

/** The `invalid` resolution for a record of the wrong kind, or undefined when the kind is right. */
function wrongKind(base: Base, record: ReadResult, kind: "value" | "window"): Resolution | undefined {
  if (record.kind === kind) return undefined;
  return {
    ...base,
    status: "invalid",
    reason:
      record.kind === "invalid"
        ? record.reason
        : `expected a ${kind} record, the store returned a ${record.kind}`,
  };
}

function classifyValue(base: Base, record: ReadResult, now: number, validateOnRead: boolean): Resolution {
  const { source } = base;
  if (record.kind !== "value") return wrongKind(base, record, "value") as Resolution;
  const envelope = record.envelope;
  if (!envelope)
    return { ...base, status: "missing", reason: "no value stored (never computed for this key)" };
  const problem = envelopeProblem(source, envelope, validateOnRead);
  if (problem) return { ...base, status: "invalid", reason: problem };
  const stale = source.maxAgeMs !== undefined && now - freshAt(envelope) > source.maxAgeMs;
  const judged = stale
    ? {
        ...base,
        status: "stale" as const,
        reason: `${formatDuration(now - freshAt(envelope))} old, older than maxAge ${formatDuration(source.maxAgeMs as number)}`,
        eventTime: envelope.eventTime,
      }
    : {
        ...base,
        status: envelope.empty ? ("empty" as const) : ("ok" as const),
        eventTime: envelope.eventTime,
      };
  if (envelope.empty) {
    return envelope.emptyReason === undefined ? judged : { ...judged, emptyReason: envelope.emptyReason };
  }
  return envelope.rendered
    ? { ...judged, value: envelope.value, rendered: envelope.rendered }
    : { ...judged, value: envelope.value };
}

function classifyWindow(options: {
  readonly base: Base;
  readonly record: ReadResult;
  readonly watermark: number | undefined;
  /** Why the request's tenant cannot vouch for an empty window (it has no data), when it cannot. */
  readonly unknownTenant: string | undefined;
  readonly now: number;
  readonly validateOnRead: boolean;
}): Resolution {
  const { base, record, watermark, unknownTenant, now, validateOnRead } = options;
  const { source } = base;
  if (record.kind !== "window") return wrongKind(base, record, "window") as Resolution;
  const events: Envelope[] = [];
  let rejected = 0;
  for (const event of record.events) {
    if (envelopeProblem(source, event, validateOnRead)) rejected += 1;
    else events.push(event);
  }
  if (rejected > 0 && events.length === 0) {
    return { ...base, status: "invalid", reason: `all ${rejected} stored event(s) failed validation` };
  }
  const newest = events.length > 0 ? (events[events.length - 1] as Envelope).eventTime : undefined;
  let freshness = watermark ?? Number.NEGATIVE_INFINITY;
  for (const event of events) freshness = Math.max(freshness, freshAt(event));
  if (events.length === 0 && unknownTenant !== undefined) {
    return { ...base, status: "missing", reason: `no events stored: ${unknownTenant}` };
  }
  if (events.length === 0 && watermark === undefined) {
    return {
      ...base,
      status: "missing",
      reason: "no events stored and no ingest watermark: cannot tell an empty stream from one that never ran",
    };
  }
  // The value's age is its newest event's; freshness (newest event or ingest watermark) decides staleness.
  const eventTime = newest ?? freshness;
  const stale = source.maxAgeMs !== undefined && now - freshness > source.maxAgeMs;
  const judged: Resolution = stale
    ? {
        ...base,
        status: "stale",
        reason: `${events.length === 0 ? "no events seen; " : ""}ingest last confirmed ${formatDuration(now - freshness)} ago, longer than maxAge ${formatDuration(source.maxAgeMs as number)}: the pipeline may be stalled`,
        eventTime,
      }
    : { ...base, status: events.length === 0 ? "empty" : "ok", eventTime };
  if (events.length === 0) return judged;
  return {
    ...judged,
    ...(rejected > 0 ? { reason: `${rejected} stored event(s) failed validation and were left out` } : {}),
    value: events.map((event) => event.value),
    windowEvents: events,
  };
}

/**
 * The time a stored value vouches for, for freshness: its event time, but never later than when it
 * was written. An event time in the future (a producer's wrong clock, a foreign writer; the context
 * store refuses those beyond maxClockSkew) would otherwise keep a value or window fresh for as long
 * as that future lasts, hiding a stalled pipeline.
 */
function freshAt(envelope: Envelope): number {
  return Number.isFinite(envelope.writeTime)
    ? Math.min(envelope.eventTime, envelope.writeTime)
    : envelope.eventTime;
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
