// Core's metric instruments (docs/observability.md lists them with units and attributes). Every
// attribute is bounded: source names, tiers, statuses, store names and a reason category; never an
// entity key, a value or free text.
//
// An assembly touches ~30 sources, so what is done per source per assembly decides the overhead
// (bench/telemetry.ts). The SDK hashes a point's attributes (sort the keys, JSON.stringify) on every
// `add()` and `record()`, and caches nothing per attributes object. So:
//   - counters are tallied here, in cells found by source name and then status (two lookups on
//     strings whose hash V8 has already cached, no key built per call), and handed to the SDK as
//     observable counters when a reader collects;
//   - each source's attributes are built and frozen once, the first time an assembly reports it;
//   - histograms cannot be pre-aggregated through the API, so each observation is still one
//     `record()`, but recorded after the request, in one batch (DeferredHistograms).
import type { Attributes, Histogram, Meter, ObservableResult } from "@opentelemetry/api";
import type { Tier } from "../definitions/source.js";
import type { Status } from "../envelope.js";

interface Cell {
  readonly attributes: Attributes;
  value: number;
}

/** A cumulative counter kept in memory and observed at collection. */
export class Tally<Key> {
  private readonly cells = new Map<Key, Cell>();

  /**
   * Adds `delta` under `key`; `attributes` is only called the first time a key is seen (pass a
   * function made once, not a closure per call: this runs per source per assembly).
   */
  add(key: Key, delta: number, attributes: (key: Key) => Attributes): void {
    const cell = this.cells.get(key);
    if (cell) cell.value += delta;
    else this.cells.set(key, { attributes: Object.freeze(attributes(key)), value: delta });
  }

  observe(result: ObservableResult): void {
    for (const cell of this.cells.values()) result.observe(cell.value, cell.attributes);
  }
}

/** One source's counters and its frozen attributes, made the first time an assembly reports it. */
export class SourceCells {
  /** `ctxstore.value.age`'s attributes: the same object for every point, so nothing is built per read. */
  readonly ageAttributes: Attributes;
  readonly resolutions = new Tally<Status>();
  /** Dropped and truncated items, keyed by outcome and reason category (a handful of constants). */
  readonly items = new Tally<string>();

  constructor(
    readonly name: string,
    readonly tier: Tier,
  ) {
    this.ageAttributes = Object.freeze({ "ctxstore.source": name, "ctxstore.tier": tier });
  }

  resolved(status: Status): void {
    this.resolutions.add(status, 1, this.resolutionAttributes);
  }

  private readonly resolutionAttributes = (status: Status): Attributes => ({
    "ctxstore.source": this.name,
    "ctxstore.tier": this.tier,
    "ctxstore.status": status,
  });

  packed(outcome: "dropped" | "truncated", reason: string): void {
    this.items.add(`${outcome}\u0000${reason}`, 1, () => ({
      "ctxstore.source": this.name,
      "ctxstore.tier": this.tier,
      "ctxstore.outcome": outcome,
      "ctxstore.reason": reason,
    }));
  }
}

/** The sources one context store has reported, by name (names are unique within a context store). */
export class SourceTable {
  private readonly bySource = new Map<string, SourceCells>();

  get(name: string, tier: Tier): SourceCells {
    let cells = this.bySource.get(name);
    if (cells === undefined) {
      cells = new SourceCells(name, tier);
      this.bySource.set(name, cells);
    }
    return cells;
  }

  observeResolutions(result: ObservableResult): void {
    for (const cells of this.bySource.values()) cells.resolutions.observe(result);
  }

  observeItems(result: ObservableResult): void {
    for (const cells of this.bySource.values()) cells.items.observe(result);
  }
}

/**
 * Histogram points queued by assemblies and recorded on the next turn of the event loop, in one
 * batch: off the request's path (an SDK `record()` costs about a microsecond, ~30 per assembly).
 * The CPU is still spent, in the same process: bench/telemetry.ts reports the mean ratio, which
 * includes it, next to the p50 ratio.
 */
const MAX_QUEUED = 10_000;

export class DeferredHistograms {
  // Parallel arrays: no object per point.
  private readonly histograms: Histogram[] = [];
  private readonly values: number[] = [];
  private readonly attributes: Attributes[] = [];
  private scheduled = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  record(histogram: Histogram, value: number, attributes: Attributes): void {
    this.histograms.push(histogram);
    this.values.push(value);
    this.attributes.push(attributes);
    // An event loop that never turns (a tight loop of in-memory assemblies) must not grow this forever.
    if (this.values.length >= MAX_QUEUED) {
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
    const { histograms, values, attributes } = this;
    try {
      for (let index = 0; index < values.length; index++)
        (histograms[index] as Histogram).record(values[index] as number, attributes[index]);
    } catch (error) {
      this.onError(error);
    } finally {
      histograms.length = 0;
      values.length = 0;
      attributes.length = 0;
    }
  }
}

export interface CoreInstruments {
  readonly deferred: DeferredHistograms;
  readonly sources: SourceTable;
  readonly packedTokens: Tally<Tier>;
  readonly roundTrips: Tally<string>;
  readonly storeErrors: Tally<string>;
  readonly valueAge: Histogram;
  readonly duration: Histogram;
}

/** Seconds: from 1 s to 30 days, so both stream (minutes) and batch (days) SLAs fall inside. */
const AGE_BUCKETS = [1, 5, 15, 60, 300, 900, 3_600, 21_600, 86_400, 172_800, 604_800, 2_592_000];
/** Seconds: assemblies take milliseconds; deadlines are a few hundred. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function observed(
  meter: Meter,
  name: string,
  description: string,
  unit: string,
  observe: (result: ObservableResult) => void,
): void {
  meter.createObservableCounter(name, { description, unit }).addCallback(observe);
}

export function coreInstruments(meter: Meter, onError: (error: unknown) => void): CoreInstruments {
  const sources = new SourceTable();
  const packedTokens = new Tally<Tier>();
  const roundTrips = new Tally<string>();
  const storeErrors = new Tally<string>();
  observed(
    meter,
    "ctxstore.resolutions",
    "Resolved values by source, tier and status (only ok and empty are facts).",
    "{resolution}",
    (result) => sources.observeResolutions(result),
  );
  observed(meter, "ctxstore.packed.tokens", "Tokens placed in prompts, by tier.", "{token}", (result) =>
    packedTokens.observe(result),
  );
  observed(
    meter,
    "ctxstore.packed.items",
    "Values dropped or truncated by the packer, by source and reason.",
    "{item}",
    (result) => sources.observeItems(result),
  );
  observed(
    meter,
    "ctxstore.online_store.round_trips",
    "Online-store round trips made by assemblies.",
    "{round_trip}",
    (result) => roundTrips.observe(result),
  );
  observed(
    meter,
    "ctxstore.online_store.errors",
    "Online-store round trips that failed or missed the request deadline.",
    "{error}",
    (result) => storeErrors.observe(result),
  );
  return {
    deferred: new DeferredHistograms(onError),
    sources,
    packedTokens,
    roundTrips,
    storeErrors,
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
