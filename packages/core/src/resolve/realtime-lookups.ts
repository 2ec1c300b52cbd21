// The realtime lookup phase: every planned realtime source is called through the store's
// RealtimeCaller (or answered by a value given in `overrides.realtime`), in parallel, each within
// the request's remaining time, and its outcome becomes a resolution. A non-fact outcome carries
// the last known good value, which the `fallback` policy may show.

import type { RealtimeSource } from "../definitions/source.js";
import type { Status } from "../envelope.js";
import { isFact } from "../envelope.js";
import { describeIssues } from "../errors.js";
import type { RealtimeCaller, RealtimeOutcome } from "./realtime-caller.js";
import type { KeyInfo, PhaseResult, Resolution } from "./resolution.js";

/** A realtime value given instead of calling the resolver (point-in-time renders, replays, tests). */
export type RealtimeOverride =
  | { value: unknown; eventTime?: number }
  | { empty: true; reason?: string; eventTime?: number }
  | {
      status: Exclude<Status, "ok" | "empty">;
      reason?: string;
      /** The last known good value to show under the `fallback` policy (replays pass the one serving showed). */
      fallback?: { value: unknown; eventTime: number };
    };

export async function lookUpRealtime(options: {
  readonly plan: ReadonlyArray<{ readonly source: RealtimeSource; readonly key: KeyInfo }>;
  readonly caller: RealtimeCaller;
  /** Values by source name that replace the resolver call. */
  readonly overrides: Readonly<Record<string, RealtimeOverride>> | undefined;
  readonly query: string | undefined;
  /** The request's tenant: given to resolvers, and part of what shares a call or a last good value. */
  readonly tenant?: string | undefined;
  readonly now: number;
  /** `performance.now()` time at which the request deadline is spent. */
  readonly deadlineAt: number;
  readonly signal: AbortSignal;
  /** Wraps each lookup (telemetry's child span); absent, lookups run bare. */
  readonly instrument?:
    | ((source: RealtimeSource, run: () => Promise<Resolution>) => Promise<Resolution>)
    | undefined;
}): Promise<PhaseResult> {
  const { caller, now, instrument } = options;
  let latencyMs = 0;
  const resolutions = await Promise.all(
    options.plan.map(({ source, key }) => {
      const lookUp = async (): Promise<Resolution> => {
        const override = options.overrides?.[source.name];
        // Two tenants' requests for the same key never share a call or a last known value.
        const scoped =
          options.tenant === undefined ? key.canonical : `${options.tenant}\u0000${key.canonical}`;
        const outcome = override
          ? fromOverride(override, now)
          : await caller.call(source, key.parsed, scoped, {
              query: options.query,
              tenant: options.tenant,
              now,
              waitMs: options.deadlineAt - performance.now(),
              signal: options.signal,
            });
        latencyMs = Math.max(latencyMs, outcome.latencyMs);
        // An override stands for a whole outcome: its fallback is the one it carries, never this
        // process's own last known value (a replay must not show what serving learned later).
        const lastGood = override
          ? () => ("status" in override ? override.fallback : undefined)
          : () => caller.lastKnownGood(source.name, scoped);
        return fromOutcome(source, key.canonical, outcome, lastGood);
      };
      return instrument ? instrument(source, lookUp) : lookUp();
    }),
  );
  return { resolutions, latencyMs };
}

function fromOverride(override: RealtimeOverride, now: number): RealtimeOutcome {
  if ("status" in override)
    return {
      status: override.status,
      latencyMs: 0,
      ...(override.reason === undefined ? {} : { reason: override.reason }),
    };
  if ("empty" in override) {
    return {
      status: "empty",
      latencyMs: 0,
      eventTime: override.eventTime ?? now,
      ...(override.reason === undefined ? {} : { emptyReason: override.reason }),
    };
  }
  return { status: "ok", value: override.value, latencyMs: 0, eventTime: override.eventTime ?? now };
}

function fromOutcome(
  source: RealtimeSource,
  key: string,
  outcome: RealtimeOutcome,
  lastKnownGood: () => { value: unknown; eventTime: number } | undefined,
): Resolution {
  const resolution: Resolution = {
    source,
    key,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    ...(outcome.eventTime === undefined ? {} : { eventTime: outcome.eventTime }),
    ...(outcome.emptyReason === undefined ? {} : { emptyReason: outcome.emptyReason }),
    ...(outcome.shared ? { shared: true } : {}),
  };
  if (outcome.status === "ok") {
    // Override values have not been through the resolver's schema check yet.
    const parsed = source.schema.safeParse(outcome.value);
    if (!parsed.success) {
      return {
        ...resolution,
        status: "invalid",
        reason: `fails its schema: ${describeIssues(parsed.error.issues)}`,
      };
    }
    return { ...resolution, value: parsed.data };
  }
  if (isFact(outcome.status)) return resolution;
  const lastGood = lastKnownGood();
  return lastGood ? { ...resolution, fallback: lastGood } : resolution;
}
