// Core's metric instruments (docs/observability.md lists them with units and attributes). Every
// attribute is bounded: source names, tiers, statuses, store names and a reason category; never an
// entity key, a value or free text.
//
// Counters are tallied here, in plain maps, and handed to the SDK as observable counters when a
// reader collects: an assembly touches ~30 sources, and an SDK `add()` per source (which hashes its
// attributes every time) cost more than the assembly itself (bench/telemetry.ts). Histograms
// cannot be pre-aggregated through the API, so the age and duration histograms are recorded directly.
import type { Attributes, Histogram, Meter, ObservableCounter, ObservableResult } from "@opentelemetry/api";

/** A cumulative counter kept in memory and observed at collection. */
export class Tally {
  private readonly entries = new Map<string, { readonly attributes: Attributes; value: number }>();

  /** Adds `delta` under `key`; `attributes` is only called the first time a key is seen. */
  add(key: string, delta: number, attributes: () => Attributes): void {
    const entry = this.entries.get(key);
    if (entry) entry.value += delta;
    else this.entries.set(key, { attributes: attributes(), value: delta });
  }

  observe(result: ObservableResult): void {
    for (const entry of this.entries.values()) result.observe(entry.value, entry.attributes);
  }
}

/**
 * Histogram points queued by assemblies and recorded on the next turn of the event loop, in one
 * batch: off the request's path (an SDK `record()` costs about a microsecond, ~30 per assembly).
 */
const MAX_QUEUED = 10_000;

export class DeferredHistograms {
  private readonly queue: Array<{ histogram: Histogram; value: number; attributes: Attributes }> = [];
  private scheduled = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  record(histogram: Histogram, value: number, attributes: Attributes): void {
    this.queue.push({ histogram, value, attributes });
    // An event loop that never turns (a tight loop of in-memory assemblies) must not grow this forever.
    if (this.queue.length >= MAX_QUEUED) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Records everything queued now (also what a test calls before collecting). */
  flush(): void {
    this.scheduled = false;
    const points = this.queue.splice(0);
    try {
      for (const point of points) point.histogram.record(point.value, point.attributes);
    } catch (error) {
      this.onError(error);
    }
  }
}

export interface CoreInstruments {
  readonly deferred: DeferredHistograms;
  readonly resolutions: Tally;
  readonly packedTokens: Tally;
  readonly packedItems: Tally;
  readonly roundTrips: Tally;
  readonly storeErrors: Tally;
  readonly valueAge: Histogram;
  readonly duration: Histogram;
}

/** Seconds: from 1 s to 30 days, so both stream (minutes) and batch (days) SLAs fall inside. */
const AGE_BUCKETS = [1, 5, 15, 60, 300, 900, 3_600, 21_600, 86_400, 172_800, 604_800, 2_592_000];
/** Seconds: assemblies take milliseconds; deadlines are a few hundred. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function observed(meter: Meter, name: string, description: string, unit: string): Tally {
  const tally = new Tally();
  const counter: ObservableCounter = meter.createObservableCounter(name, { description, unit });
  counter.addCallback((result) => tally.observe(result));
  return tally;
}

export function coreInstruments(meter: Meter, onError: (error: unknown) => void): CoreInstruments {
  return {
    deferred: new DeferredHistograms(onError),
    resolutions: observed(
      meter,
      "ctxstore.resolutions",
      "Resolved values by source, tier and status (only ok and empty are facts).",
      "{resolution}",
    ),
    packedTokens: observed(meter, "ctxstore.packed.tokens", "Tokens placed in prompts, by tier.", "{token}"),
    packedItems: observed(
      meter,
      "ctxstore.packed.items",
      "Values dropped or truncated by the packer, by source and reason.",
      "{item}",
    ),
    roundTrips: observed(
      meter,
      "ctxstore.online_store.round_trips",
      "Online-store round trips made by assemblies.",
      "{round_trip}",
    ),
    storeErrors: observed(
      meter,
      "ctxstore.online_store.errors",
      "Online-store round trips that failed or missed the request deadline.",
      "{error}",
    ),
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
  };
}

/** The packer's free-text reason ("section maxTokens 120") as a bounded category. */
export function dropReasonOf(reason: string | undefined): string {
  if (reason === undefined || reason === "budget") return "budget";
  if (reason.startsWith("section maxTokens")) return "section_max_tokens";
  if (reason === "no content") return "no_content";
  return "other";
}
