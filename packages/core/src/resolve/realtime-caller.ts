// The realtime caller: one resolver call per (source, key) under the source's timeout, shared by
// identical concurrent requests, classified into exactly one status; it also keeps the last good
// value per (source, key) for the `fallback` policy. One caller lives as long as its context store.
import { isEmpty } from "../definitions/empty.js";
import type { RealtimeSource } from "../definitions/source.js";
import type { Status } from "../envelope.js";
import { describeIssues } from "../errors.js";
import { DEADLINE, raceDeadline } from "./deadline.js";
import { errorMessage } from "./resolution.js";

export interface RealtimeOutcome {
  readonly status: Status;
  readonly value?: unknown;
  readonly emptyReason?: string;
  readonly reason?: string;
  readonly latencyMs: number;
  readonly eventTime?: number;
  readonly shared?: boolean;
}

interface InFlight {
  readonly promise: Promise<RealtimeOutcome>;
  readonly controller: AbortController;
  /** `performance.now()` when the resolver was called. */
  readonly startedAt: number;
  waiting: number;
  /** Whether the resolver answered, failed or timed out: then nothing is left to stop. */
  readonly settled: () => boolean;
}

const LAST_GOOD_LIMIT = 10_000;

/** Holds in-flight calls (for sharing) and the last good value per (source, key) (for `fallback`). */
const UTF8 = new TextEncoder();

/** UTF-8 size of a value's JSON text when it is over `limit` (undefined when within it). */
function jsonSizeOver(value: unknown, limit: number): number | undefined {
  if (typeof value === "string" && value.length * 3 + 2 <= limit) return undefined;
  let json: string;
  try {
    json = JSON.stringify(value) ?? "";
  } catch {
    return undefined; // not JSON (a cycle): the schema decides about such values
  }
  if (json.length * 3 <= limit) return undefined;
  const bytes = UTF8.encode(json).length;
  return bytes > limit ? bytes : undefined;
}

export class RealtimeCaller {
  /**
   * @param maxValueBytes the largest answer (as JSON, in UTF-8 bytes) a resolver may return, for
   *   sources without their own `maxValueBytes`; a larger one is `invalid` with the reason, so one
   *   huge upstream answer cannot stall rendering.
   */
  constructor(private readonly maxValueBytes = Number.POSITIVE_INFINITY) {}

  private readonly inFlight = new Map<string, InFlight>();
  private readonly lastGood = new Map<string, { value: unknown; eventTime: number }>();

  lastKnownGood(sourceName: string, key: string): { value: unknown; eventTime: number } | undefined {
    return this.lastGood.get(`${sourceName}\u0000${key}`);
  }

  /**
   * Calls (or joins) the resolver and waits at most `waitMs` (the request's remaining deadline).
   * The resolver's AbortSignal fires at the source timeout, or when every waiting request gave up.
   */
  async call(
    source: RealtimeSource,
    parsedKey: unknown,
    key: string,
    context: {
      query: string | undefined;
      tenant?: string | undefined;
      now: number;
      waitMs: number;
      signal: AbortSignal | undefined;
    },
  ): Promise<RealtimeOutcome> {
    const id = `${source.name}\u0000${key}`;
    let flight = this.inFlight.get(id);
    // Only a live call is shared: not one every requester abandoned (its resolver was told to stop),
    // nor one older than its own timeout (its timer is merely late, e.g. behind a busy event loop):
    // joining either would report `timeout` for a service that may well answer now.
    if (
      flight &&
      (flight.controller.signal.aborted || performance.now() - flight.startedAt >= source.timeoutMs)
    )
      flight = undefined;
    const shared = flight !== undefined;
    if (!flight) {
      flight = this.start(source, parsedKey, id, context.query, context.now, context.tenant);
      this.inFlight.set(id, flight);
    }
    flight.waiting += 1;
    const started = performance.now();
    const current = flight;
    try {
      if (context.waitMs <= 0)
        return { status: "skipped", reason: "request deadline already spent", latencyMs: 0 };
      const outcome = await raceDeadline(current.promise, context.waitMs, context.signal);
      if (outcome === DEADLINE) {
        return {
          status: "timeout",
          reason: `request deadline reached after ${Math.round(performance.now() - started)}ms`,
          latencyMs: performance.now() - started,
        };
      }
      return shared ? { ...outcome, shared: true } : outcome;
    } finally {
      current.waiting -= 1;
      if (current.waiting === 0) {
        // Only a call still running is told to stop. (Aborting a settled one told a resolver that
        // had answered that its callers gave up, and built an Error with its stack trace on every
        // request: about 5-17 us per realtime source.)
        if (!current.settled())
          current.controller.abort(new Error("every request waiting for this lookup gave up"));
        if (this.inFlight.get(id) === current) this.inFlight.delete(id);
      }
    }
  }

  private start(
    source: RealtimeSource,
    parsedKey: unknown,
    id: string,
    query: string | undefined,
    now: number,
    tenant: string | undefined,
  ): InFlight {
    const controller = new AbortController();
    const started = performance.now();
    let settled = false;
    const promise = new Promise<RealtimeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        settled = true;
        controller.abort(new Error(`timed out after ${source.timeoutMs}ms`));
        resolve({
          status: "timeout",
          reason: `timed out after ${source.timeoutMs}ms`,
          latencyMs: performance.now() - started,
        });
      }, source.timeoutMs);
      const finish = (outcome: RealtimeOutcome) => {
        clearTimeout(timer);
        settled = true;
        resolve(outcome);
      };
      let result: unknown;
      try {
        result = source.resolve(
          parsedKey as never,
          tenant === undefined
            ? { signal: controller.signal, query, now }
            : { signal: controller.signal, query, now, tenant },
        );
      } catch (error) {
        finish({ status: "error", reason: errorMessage(error), latencyMs: performance.now() - started });
        return;
      }
      Promise.resolve(result).then(
        (value) => finish(this.classify(source, id, value, now, performance.now() - started)),
        (error) =>
          finish({ status: "error", reason: errorMessage(error), latencyMs: performance.now() - started }),
      );
    }).finally(() => {
      if (this.inFlight.get(id)?.promise === promise) this.inFlight.delete(id);
    });
    return { promise, controller, startedAt: started, waiting: 0, settled: () => settled };
  }

  private classify(
    source: RealtimeSource,
    id: string,
    value: unknown,
    now: number,
    latencyMs: number,
  ): RealtimeOutcome {
    if (isEmpty(value)) {
      return {
        status: "empty",
        latencyMs,
        eventTime: now,
        ...(value.reason === undefined ? {} : { emptyReason: value.reason }),
      };
    }
    if (value === undefined || value === null) {
      return {
        status: "invalid",
        reason: `resolver returned ${value}; return a value, or empty() when there positively is nothing`,
        latencyMs,
      };
    }
    const limit = source.maxValueBytes ?? this.maxValueBytes;
    const size = jsonSizeOver(value, limit);
    if (size !== undefined)
      return {
        status: "invalid",
        reason: `answer is ${size} bytes, over the ${limit}-byte maxValueBytes limit: return a shorter value, or raise maxValueBytes on source "${source.name}"${source.maxValueBytes === undefined ? " (or createContextStore's, for every source)" : ""}`,
        latencyMs,
      };
    const parsed = source.schema.safeParse(value);
    if (!parsed.success)
      return {
        status: "invalid",
        reason: `fails its schema: ${describeIssues(parsed.error.issues)}`,
        latencyMs,
      };
    if (this.lastGood.size >= LAST_GOOD_LIMIT && !this.lastGood.has(id)) {
      const oldest = this.lastGood.keys().next().value;
      if (oldest !== undefined) this.lastGood.delete(oldest);
    }
    this.lastGood.delete(id);
    this.lastGood.set(id, { value: parsed.data, eventTime: now });
    return { status: "ok", value: parsed.data, latencyMs, eventTime: now };
  }
}
