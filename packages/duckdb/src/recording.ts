// Recording: a context store whose writes, appends and heartbeats also land in the offline history,
// so the history is exactly what serving saw (same validation, same event and write times), with
// what the online store did with each write (its TTL, applied or refused as older) and every
// realtime outcome assemble served (values, empties with their reason, failures with their reason
// and fallback): see online-log.ts.
import {
  type AnySource,
  type ContextStore,
  CtxError,
  type Empty,
  type Entity,
  type Envelope,
  empty,
} from "@ctxstore/core";
import type { DuckdbOfflineStore, HistoryRow, OfflineRecord } from "./offline-store.js";
import { type LoggedRow, recordLogged } from "./online-log.js";
import { requireSameTenancy } from "./tenancy.js";

/**
 * Options of `withOfflineRecording`: the clock the context store uses, and whether realtime outcomes
 * are recorded too.
 */
export interface RecordingOptions {
  /**
   * The clock given to createContextStore: ingest watermarks, and the moment each online write is
   * logged at, are stamped with it. Default: watermarks Date.now, writes their envelope's write time.
   */
  now?: () => number;
  /**
   * Also record the realtime outcomes `assemble` served (values, empties with their reason, and
   * lookups that failed, timed out or were skipped, with the fallback shown), so point-in-time
   * renders replay them. Default true.
   */
  recordRealtime?: boolean;
}

/**
 * Wraps a context store: `write`, `append` and `heartbeat` go to the online store exactly as before
 * (one ValueWrite / WindowAppend built by the context store itself), then into the offline history.
 * If the offline append fails after the online write succeeded, the call throws
 * `CTX_STORE_UNAVAILABLE` saying so (the online value stands; re-recording is safe).
 */
export function withOfflineRecording(
  context: ContextStore,
  offline: DuckdbOfflineStore,
  options: RecordingOptions = {},
): ContextStore {
  const now = options.now ?? Date.now;
  requireSameTenancy(offline, context, "withOfflineRecording");
  offline.register([...context.sources.values()].filter((source) => source.tier !== "vector"));
  const explain = (error: unknown, what: string): CtxError =>
    new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `${what} reached the online store but could not be recorded offline (${(error as Error).message}); record it again with offline.record() so training data stays complete.`,
      {},
      { cause: error },
    );
  const recordOrExplain = async (entries: LoggedRow[], what: string): Promise<void> => {
    try {
      await recordLogged(offline, entries);
    } catch (error) {
      throw explain(error, what);
    }
  };
  const historyRow = (entry: OfflineRecord, what: string): HistoryRow => {
    const checked = offline.validate(entry);
    if ("reason" in checked) throw explain(new Error(checked.reason), what);
    return checked.row;
  };
  // When the online store took a write: the clock the context store runs on, when given; otherwise
  // the envelope's write time (the context's clock, unless the caller gave a writeTime).
  const onlineMoment = (envelope: Envelope): number =>
    options.now === undefined ? envelope.writeTime : options.now();
  const fromEnvelope = (
    source: AnySource,
    key: unknown,
    envelope: Envelope,
    tenant: string | undefined,
  ): OfflineRecord => ({
    source,
    key,
    ...(tenant === undefined ? {} : { tenant }),
    value: envelope.empty ? empty(envelope.emptyReason) : envelope.value,
    eventTime: envelope.eventTime,
    writeTime: envelope.writeTime,
    ...(envelope.eventId === undefined ? {} : { eventId: envelope.eventId }),
  });
  return {
    get sources() {
      return context.sources;
    },
    get online() {
      return context.online;
    },
    get encoding() {
      return context.encoding;
    },
    get tenancy() {
      return context.tenancy;
    },
    get tokenizer() {
      return context.tokenizer;
    },
    ready: () => context.ready(),
    // Erasure goes through the context store; pass the offline store in its `erasure` targets so the
    // history goes in the same call.
    forget: (request) => context.forget(request),
    async write(source, key, value, writeOptions) {
      await context.ready();
      // The same two steps as ContextStore.write, so the recorded envelope is the written one.
      const write = context.toValueWrite(source as AnySource, key, value, writeOptions);
      const writtenAt = onlineMoment(write.envelope);
      const [outcome] = await context.online.write([write]);
      const what = `write of "${source.name}"`;
      await recordOrExplain(
        [
          {
            row: historyRow(fromEnvelope(source as AnySource, key, write.envelope, write.tenant), what),
            write: { at: writtenAt, ttlMs: write.ttlMs, applied: outcome?.applied === true },
          },
        ],
        what,
      );
      return outcome ?? { applied: false };
    },
    async append(source, key, event, appendOptions) {
      await context.ready();
      const append = context.toWindowAppend(source as AnySource, key, event, appendOptions);
      const writtenAt = onlineMoment(append.event);
      const [outcome] = await context.appendEvents([append]);
      const time = now();
      await context.online.setWatermark(append.field, time);
      const what = `append to "${source.name}"`;
      await recordOrExplain(
        [
          {
            row: historyRow(fromEnvelope(source as AnySource, key, append.event, append.tenant), what),
            write: { at: writtenAt, ttlMs: append.ttlMs, applied: outcome?.applied === true },
          },
        ],
        what,
      );
      await offline.recordWatermark(source as AnySource, time, time);
      return outcome ?? { applied: false };
    },
    // Prepared appends from an ingest pipeline: not recorded here, like `online.append` before it.
    appendEvents: (appends) => context.appendEvents(appends),
    async heartbeat(source, time) {
      await context.heartbeat(source, time);
      const written = now();
      await offline.recordWatermark(source as AnySource, time ?? written, written);
    },
    toValueWrite: (source, key, value, writeOptions) =>
      context.toValueWrite(source, key, value, writeOptions),
    toWindowAppend: (source, key, event, appendOptions) =>
      context.toWindowAppend(source, key, event, appendOptions),
    toEnvelope: (source, value, envelopeOptions) => context.toEnvelope(source, value, envelopeOptions),
    async assemble(request, overrides) {
      const result = await context.assemble(request, overrides);
      if (options.recordRealtime !== false && overrides?.realtime === undefined) {
        const at =
          overrides?.now === undefined
            ? now()
            : overrides.now instanceof Date
              ? overrides.now.getTime()
              : overrides.now;
        const entries: LoggedRow[] = [];
        // The request's tenant: the context store checked it (required on a multi-tenant store).
        const tenant: { tenant?: string } =
          context.tenancy === "multi" && request.tenant !== undefined ? { tenant: request.tenant } : {};
        for (const resolved of Object.values(result.values)) {
          if (resolved.tier !== "realtime") continue;
          const source = context.sources.get(resolved.source) as AnySource;
          const key = request.keys[(source.entity as Entity).name];
          // No key in the request: the source was skipped for this request, not looked up.
          if (key === undefined) continue;
          const what = "realtime outcomes served by assemble";
          if (resolved.status === "ok" || resolved.status === "empty") {
            const value: unknown | Empty =
              resolved.status === "empty" ? empty(resolved.emptyReason) : resolved.value;
            entries.push({
              row: historyRow(
                { source, key, value, eventTime: resolved.eventTime ?? at, writeTime: at, ...tenant },
                what,
              ),
            });
            continue;
          }
          // A lookup that gave no fact: a history row with no value (and not empty), and its outcome.
          const row = historyRow(
            { source, key, value: empty(), eventTime: at, writeTime: at, ...tenant },
            what,
          );
          entries.push({
            row: { ...row, isEmpty: false, emptyReason: null, value: null },
            outcome: { status: resolved.status, reason: resolved.reason, fallback: resolved.fallback },
          });
        }
        if (entries.length > 0) await recordOrExplain(entries, "realtime outcomes served by assemble");
      }
      return result;
    },
    counters: () => context.counters(),
    close: () => context.close(),
  };
}
