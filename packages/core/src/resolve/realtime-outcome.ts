// Turns a realtime call's outcome, or a value given as an override, into a resolution.

import type { AssembleOverrides } from "../context/types.js";
import type { AnySource } from "../definitions/source.js";
import { describeIssues } from "../errors.js";
import type { RealtimeCaller, RealtimeOutcome } from "./realtime.js";
import type { Resolution } from "./resolution.js";
import { isFactStatus } from "./resolution.js";

export function fromOverride(
  override: NonNullable<AssembleOverrides["realtime"]>[string],
  now: number,
): RealtimeOutcome {
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

export function fromRealtime(
  source: AnySource,
  key: string,
  outcome: RealtimeOutcome,
  caller: RealtimeCaller,
): Resolution {
  const resolution: Resolution = { source, key, status: outcome.status, latencyMs: outcome.latencyMs };
  if (outcome.reason !== undefined) resolution.reason = outcome.reason;
  if (outcome.eventTime !== undefined) resolution.eventTime = outcome.eventTime;
  if (outcome.emptyReason !== undefined) resolution.emptyReason = outcome.emptyReason;
  if (outcome.shared) resolution.shared = true;
  if (outcome.status === "ok") {
    if (source.tier === "realtime") {
      const parsed = source.schema.safeParse(outcome.value);
      if (!parsed.success) {
        resolution.status = "invalid";
        resolution.reason = `fails its schema: ${describeIssues(parsed.error.issues)}`;
        return resolution;
      }
      resolution.value = parsed.data;
    } else {
      resolution.value = outcome.value;
    }
  } else if (!isFactStatus(outcome.status)) {
    const lastGood = caller.lastKnownGood(source.name, key);
    if (lastGood) resolution.fallback = lastGood;
  }
  return resolution;
}
