// Failure marks for stream windows. An empty window reads as a confirmed "no events" when the stream's
// ingest watermark is fresh, and the watermark is per stream, not per entity: after an append for one
// session failed while the pipeline carried on (other sessions' appends, heartbeats), that session's
// window would read as confirmed empty although its events were lost. So a failed append leaves a
// mark beside each window it was for (a value record at `<field>!unconfirmed`, in the entity's own
// record set, read in the same round trip), and a window with a mark reads `stale` ("events may be
// missing") until an append to it succeeds again.
import type { Envelope } from "../envelope.js";
import type { AppendOutcome, OnlineStore, RecordAddress, ValueWrite, WindowAppend } from "./types.js";

const SUFFIX = "!unconfirmed";
/** Windows this process marked and has not cleared yet (bounded: marks are rare). */
const MARKED_LIMIT = 10_000;

export function unconfirmedField(field: string): string {
  return `${field}${SUFFIX}`;
}

/** When the mark says an append failed and it was not cleared since (epoch ms), else undefined. */
export function failedAppendAt(mark: Envelope | undefined, events: readonly Envelope[]): number | undefined {
  if (!mark || mark.empty) return undefined;
  const failedAt = (mark.value as { failedAt?: unknown } | null)?.failedAt;
  if (typeof failedAt !== "number") return undefined;
  // An event written after the failure (by any writer) shows the window is being fed again.
  if (events.some((event) => event.writeTime > failedAt)) return undefined;
  return failedAt;
}

function markWrite(address: RecordAddress & { ttlMs?: number }, time: number, failed: boolean): ValueWrite {
  const envelope: Envelope = {
    value: failed ? { failedAt: time } : { clearedAt: time },
    eventTime: time,
    writeTime: time,
    schemaVersion: 1,
  };
  const write = {
    entity: address.entity,
    key: address.key,
    field: unconfirmedField(address.field),
    envelope,
    ...(address.tenant === undefined ? {} : { tenant: address.tenant }),
  };
  return address.ttlMs === undefined ? write : { ...write, ttlMs: address.ttlMs };
}

const id = (address: RecordAddress) =>
  `${address.tenant ?? ""}\u0000${address.entity}\u0000${address.key}\u0000${address.field}`;

/** Appends through `online`, marking the windows of a failed call and clearing this process's marks. */
export function unconfirmedWindows(clock: () => number) {
  const marked = new Set<string>();
  return {
    async append(
      online: OnlineStore,
      appends: readonly WindowAppend[],
      signal?: AbortSignal,
    ): Promise<AppendOutcome[]> {
      let outcomes: AppendOutcome[];
      try {
        outcomes = await online.append(appends, { signal });
      } catch (error) {
        // Which of the batch were applied is unknown: mark them all (stale until fed again). Best
        // effort: when the store is down altogether, its watermark cannot move either. Not bound by
        // the caller's signal: past a deadline, the mark is what keeps the window from reading empty.
        const now = clock();
        const distinct = new Map(appends.map((append) => [id(append), append]));
        try {
          await online.write([...distinct.values()].map((append) => markWrite(append, now, true)));
          for (const key of distinct.keys()) if (marked.size < MARKED_LIMIT) marked.add(key);
        } catch {
          // the append's own error is the one to report
        }
        throw error;
      }
      const cleared = appends.filter((append) => marked.has(id(append)));
      if (cleared.length > 0) {
        const now = clock();
        await online.write(cleared.map((append) => markWrite(append, now, false)));
        for (const append of cleared) marked.delete(id(append));
      }
      return outcomes;
    },
  };
}
