// Core's metric instruments (docs/observability.md lists them with units and attributes). Every
// attribute is bounded: source names, tiers, statuses, store names and a reason category; never an
// entity key, a value or free text.
import type { Counter, Histogram, Meter } from "@opentelemetry/api";

export interface CoreInstruments {
  readonly resolutions: Counter;
  readonly valueAge: Histogram;
  readonly duration: Histogram;
  readonly packedTokens: Counter;
  readonly packedItems: Counter;
  readonly roundTrips: Counter;
  readonly storeErrors: Counter;
}

/** Seconds: from 1 s to 30 days, so both stream (minutes) and batch (days) SLAs fall inside. */
const AGE_BUCKETS = [1, 5, 15, 60, 300, 900, 3_600, 21_600, 86_400, 172_800, 604_800, 2_592_000];
/** Seconds: assemblies take milliseconds; deadlines are a few hundred. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function coreInstruments(meter: Meter): CoreInstruments {
  return {
    resolutions: meter.createCounter("ctxstore.resolutions", {
      description: "Resolved values by source, tier and status (only ok and empty are facts).",
      unit: "{resolution}",
    }),
    valueAge: meter.createHistogram("ctxstore.value.age", {
      description: "Age of a value (now minus its event time) when an assembly read it.",
      unit: "s",
      advice: { explicitBucketBoundaries: AGE_BUCKETS },
    }),
    duration: meter.createHistogram("ctxstore.assembly.duration", {
      description: "Duration of ctx.assemble, by outcome.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    packedTokens: meter.createCounter("ctxstore.packed.tokens", {
      description: "Tokens placed in prompts, by tier.",
      unit: "{token}",
    }),
    packedItems: meter.createCounter("ctxstore.packed.items", {
      description: "Values dropped or truncated by the packer, by source and reason.",
      unit: "{item}",
    }),
    roundTrips: meter.createCounter("ctxstore.online_store.round_trips", {
      description: "Online-store round trips made by assemblies.",
      unit: "{round_trip}",
    }),
    storeErrors: meter.createCounter("ctxstore.online_store.errors", {
      description: "Online-store round trips that failed or missed the request deadline.",
      unit: "{error}",
    }),
  };
}

/** The packer's free-text reason ("section maxTokens 120") as a bounded category. */
export function dropReasonOf(reason: string | undefined): string {
  if (reason === undefined || reason === "budget") return "budget";
  if (reason.startsWith("section maxTokens")) return "section_max_tokens";
  if (reason === "no content") return "no_content";
  return "other";
}
