// `monitorFreshness`: samples what the online store holds, a bounded page per tick, and keeps per
// source the event times of the last `window` values it saw; plus, per stream, the ingest watermark
// (one read per tick) and, when given, the last materialization per source. It serves that as a
// snapshot (for the CLI and the inspector) and as OpenTelemetry gauges (docs/observability.md).
//
// Cost per tick: one `sampleRecords` page (on Redis: one SCAN of `sampleSize` keys and one pipelined
// HGETALL per key found; see @ctxstore/redis's docs) and one watermark read when there are streams. A
// full pass over N entities takes N / sampleSize ticks; ages are re-computed against the clock at each
// snapshot, so a value that ages past maxAge between visits is counted stale.
import type { Meter, ObservableResult } from "@opentelemetry/api";
import { type Duration, parseDuration } from "../definitions/duration.js";
import { type AnySource, sourceField } from "../definitions/source.js";
import { CtxError } from "../errors.js";
import type { RecordSampling } from "../stores/sampling.js";
import type { OnlineStore } from "../stores/types.js";
import type { MeterProviderLike } from "../telemetry/options.js";
import { isNoopProvider, loadOpenTelemetry } from "../telemetry/otel-api.js";
import { reportTelemetryFailure } from "../telemetry/report.js";
import type { FreshnessSnapshot, LastMaterialization, SourceFreshness, Unavailable } from "./snapshot.js";

/**
 * Options of `monitorFreshness`: how often it ticks, how many entities a tick samples, how many
 * records per source the age distribution keeps, where the last materializations come from, and the
 * meter provider its gauges are registered with.
 */
export interface MonitorFreshnessOptions {
  /** Time between ticks. Default "30s". Ticks never overlap. */
  every?: Duration;
  /** Entities sampled per tick. Default 500. */
  sampleSize?: number;
  /** Records kept per source (the age distribution is over the last this many distinct records sampled). Default 5,000. */
  window?: number;
  /** The last materialization per source name (e.g. from @ctxstore/duckdb's run table). */
  materializations?: () => Promise<Readonly<Record<string, LastMaterialization>>>;
  /** Default: the global meter provider (gauges are registered when one is). */
  meterProvider?: MeterProviderLike;
  /** Clock (epoch ms). Default the context store's clock, else `Date.now`. */
  now?: () => number;
  /** Called with a tick's failure (the monitor goes on; the snapshot says what is unavailable). */
  onError?: (error: unknown) => void;
}

/**
 * A running freshness monitor, from `monitorFreshness`: its latest snapshot, a tick on demand, and
 * `stop()`.
 */
export interface FreshnessMonitor {
  /** The latest measurement (before the first tick: every figure unavailable, "not sampled yet"). */
  snapshot(): FreshnessSnapshot;
  /** Runs one tick now (waiting for a running one) and returns the snapshot after it. */
  tick(): Promise<FreshnessSnapshot>;
  /** What the last tick cost. */
  readonly lastTick: { readonly commands: number; readonly durationMs: number; readonly records: number };
  /** Stops the timer and unregisters the gauges. */
  stop(): void;
}

/** What the monitor needs of a context store (`createContextStore` returns one). */
export interface MonitoredStore {
  readonly sources: ReadonlyMap<string, AnySource>;
  readonly online: OnlineStore;
}

interface SourceState {
  readonly source: AnySource;
  /** Event time by record identity, at most `window` (the oldest-inserted goes first). */
  readonly eventTimes: Map<string, { readonly eventTime: number; readonly pass: number }>;
  undecodable: number;
  watermark: number | undefined | Unavailable;
}

const PROVIDER = "monitor";

/**
 * Starts sampling a context store's stored values against each source's `maxAge`, every `every`
 * (default "30s"): value ages (p50/p90/p99, ms), fresh and stale shares, stream ingest lag and the
 * last materialization, exported as OpenTelemetry gauges and as `snapshot()` for the CLI and the
 * inspector. A store it cannot sample is reported as unavailable, never as fresh. Throws
 * `CTX_INVALID_DURATION` for a bad `every`, `CTX_CONFIG` for a `sampleSize` or `window` that is not
 * a positive integer.
 *
 * ```ts
 * const monitor = monitorFreshness(ctx, { every: "30s", sampleSize: 500 });
 * await monitor.tick();
 * monitor.snapshot().sources; // per source: sample, ingestLagMs, lastMaterialization
 * monitor.stop();
 * ```
 */
export function monitorFreshness(
  ctx: MonitoredStore,
  options: MonitorFreshnessOptions = {},
): FreshnessMonitor {
  const everyMs = parseDuration(options.every ?? "30s", "monitorFreshness every");
  const sampleSize = positiveInteger(options.sampleSize ?? 500, "sampleSize");
  const window = positiveInteger(options.window ?? 5_000, "window");
  const clock = options.now ?? Date.now;
  const sampling = samplingOf(ctx.online);
  const states = new Map<string, SourceState>();
  const byField = new Map<string, SourceState>();
  for (const source of ctx.sources.values()) {
    const state: SourceState = { source, eventTimes: new Map(), undecodable: 0, watermark: undefined };
    states.set(source.name, state);
    if (source.tier === "batch" || source.tier === "stream") byField.set(sourceField(source), state);
  }
  const streams = [...states.values()].filter((state) => state.source.tier === "stream");
  let cursor: string | undefined;
  let passes = 0;
  let sampled = 0;
  let sampleError: string | undefined;
  let materialized: Readonly<Record<string, LastMaterialization>> | Unavailable | undefined;
  let lastTick = { commands: 0, durationMs: 0, records: 0 };
  let running: Promise<void> | undefined;
  let current = build(clock());

  async function runTick(): Promise<void> {
    const started = performance.now();
    let commands = 0;
    let records = 0;
    const failures: unknown[] = [];
    if (sampling) {
      try {
        const page = await sampling.sampleRecords({ cursor, limit: sampleSize });
        commands += page.commands;
        records = page.records.length;
        for (const record of page.records) {
          const state = byField.get(record.field);
          if (!state) continue;
          if (record.eventTime === undefined) {
            state.undecodable += 1;
            continue;
          }
          // Seen again: its newer event time replaces the old one (a record is counted once).
          state.eventTimes.delete(record.entity);
          state.eventTimes.set(record.entity, { eventTime: record.eventTime, pass: passes });
          if (state.eventTimes.size > window) {
            const oldest = state.eventTimes.keys().next();
            if (!oldest.done) state.eventTimes.delete(oldest.value);
          }
        }
        sampled += records;
        cursor = page.cursor;
        if (cursor === undefined) {
          // A pass is over: what it did not see again is gone from the store (deleted, expired).
          for (const state of states.values())
            for (const [entity, seen] of state.eventTimes)
              if (seen.pass < passes) state.eventTimes.delete(entity);
          passes += 1;
        }
        sampleError = undefined;
      } catch (error) {
        sampleError = `${ctx.online.name} store sampling failed: ${message(error)}`;
        failures.push(error);
      }
    }
    if (streams.length > 0) {
      try {
        const read = await ctx.online.read({
          records: [],
          watermarks: streams.map((state) => sourceField(state.source)),
        });
        commands += 1;
        for (const state of streams) state.watermark = read.watermarks[sourceField(state.source)];
      } catch (error) {
        for (const state of streams)
          state.watermark = { unavailable: `watermark read failed: ${message(error)}` };
        failures.push(error);
      }
    }
    if (options.materializations) {
      try {
        materialized = await options.materializations();
      } catch (error) {
        materialized = { unavailable: `materializations() failed: ${message(error)}` };
        failures.push(error);
      }
    }
    lastTick = { commands, durationMs: performance.now() - started, records };
    current = build(clock());
    for (const failure of failures) options.onError?.(failure);
  }

  function build(at: number): FreshnessSnapshot {
    return {
      at,
      provider: PROVIDER,
      sources: [...states.values()].map((state) => sourceFreshness(state, at)),
    };
  }

  function sourceFreshness(state: SourceState, at: number): SourceFreshness {
    const { source } = state;
    const stored = source.tier === "batch" || source.tier === "stream";
    const base = { source: source.name, tier: source.tier, maxAgeMs: source.maxAgeMs };
    const sample = stored ? sampleOf(state, at) : { unavailable: `${source.tier} sources are not stored` };
    const result: SourceFreshness = { ...base, sample };
    const extra: {
      ingestLagMs?: number | Unavailable;
      lastMaterialization?: LastMaterialization | Unavailable;
    } = {};
    if (source.tier === "stream") {
      extra.ingestLagMs =
        state.watermark === undefined
          ? {
              unavailable: sampledYet()
                ? "no ingest watermark stored (no worker or heartbeat has run)"
                : "not measured yet",
            }
          : typeof state.watermark === "number"
            ? Math.max(0, at - state.watermark)
            : state.watermark;
    }
    if (stored && options.materializations) {
      extra.lastMaterialization =
        materialized === undefined
          ? { unavailable: "not measured yet" }
          : "unavailable" in materialized && typeof materialized.unavailable === "string"
            ? (materialized as Unavailable)
            : ((materialized as Record<string, LastMaterialization>)[source.name] ?? {
                unavailable: "no materialization recorded for this source",
              });
    }
    return { ...result, ...extra };
  }

  function sampledYet(): boolean {
    return lastTick.durationMs > 0 || sampled > 0;
  }

  function sampleOf(state: SourceState, at: number): SourceFreshness["sample"] {
    if (!sampling) {
      return {
        unavailable: `the ${ctx.online.name} store cannot be sampled (it has no sampleRecords); freshness is unknown, not fresh`,
      };
    }
    if (sampleError !== undefined && state.eventTimes.size === 0) return { unavailable: sampleError };
    if (state.eventTimes.size === 0) {
      return {
        unavailable:
          passes > 0
            ? `no stored value found in a full pass over the store${state.undecodable > 0 ? ` (${state.undecodable} undecodable)` : ""}`
            : `no value sampled yet (${sampled} records sampled so far)`,
      };
    }
    const ages = [...state.eventTimes.values()]
      .map((seen) => Math.max(0, at - seen.eventTime))
      .sort((a, b) => a - b);
    const maxAgeMs = state.source.maxAgeMs;
    const stale = maxAgeMs === undefined ? 0 : ages.filter((age) => age > maxAgeMs).length;
    return {
      values: ages.length,
      freshShare: (ages.length - stale) / ages.length,
      staleShare: stale / ages.length,
      ageMs: { p50: quantile(ages, 0.5), p90: quantile(ages, 0.9), p99: quantile(ages, 0.99) },
    };
  }

  function tick(): Promise<FreshnessSnapshot> {
    running ??= runTick().finally(() => {
      running = undefined;
    });
    return running.then(() => current);
  }

  const timer = setInterval(() => {
    if (!running) tick().catch((error) => options.onError?.(error));
  }, everyMs);
  timer.unref?.();
  // The first measurement right away, so a scrape soon after start-up has figures.
  void tick().catch((error) => options.onError?.(error));

  const gauges = registerGauges(() => current, options.meterProvider);

  return {
    snapshot: () => current,
    tick,
    get lastTick() {
      return lastTick;
    },
    stop() {
      clearInterval(timer);
      void gauges.then((unregister) => unregister());
    },
  };
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

function samplingOf(online: OnlineStore): RecordSampling | undefined {
  const candidate = online as Partial<RecordSampling>;
  return typeof candidate.sampleRecords === "function" ? (online as unknown as RecordSampling) : undefined;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new CtxError(
      "CTX_CONFIG",
      `monitorFreshness: ${name} must be a positive integer; got ${String(value)}.`,
      { [name]: value },
    );
  }
  return value;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The gauges of docs/observability.md, read from the latest snapshot at each collection. */
async function registerGauges(
  snapshot: () => FreshnessSnapshot,
  meterProvider: MeterProviderLike | undefined,
): Promise<() => void> {
  const api = await loadOpenTelemetry();
  if (!api) return () => {};
  try {
    const provider = (meterProvider ?? api.metrics.getMeterProvider()) as object;
    if (isNoopProvider(provider)) return () => {};
    const meter = (provider as MeterProviderLike).getMeter("@ctxstore/core") as Meter;
    const age = meter.createObservableGauge("ctxstore.freshness.age", {
      description: "Age of sampled stored values (p50, p90, p99), per source.",
      unit: "s",
    });
    const staleShare = meter.createObservableGauge("ctxstore.freshness.stale_share", {
      description: "Share of sampled stored values older than the source's maxAge.",
      unit: "1",
    });
    const sampledValues = meter.createObservableGauge("ctxstore.freshness.sampled_values", {
      description: "Stored values in the monitor's sample, per source (0: nothing known).",
      unit: "{value}",
    });
    const available = meter.createObservableGauge("ctxstore.freshness.sample_available", {
      description: "1 when the monitor has a sample for the source, 0 when it cannot say (never 'fresh').",
      unit: "1",
    });
    const maxAge = meter.createObservableGauge("ctxstore.freshness.max_age", {
      description: "The source's freshness SLA (maxAge).",
      unit: "s",
    });
    const lag = meter.createObservableGauge("ctxstore.ingest.watermark_lag", {
      description: "How far a stream's ingest watermark trails now.",
      unit: "s",
    });
    const published = meter.createObservableGauge("ctxstore.materialization.last_run", {
      description: "Epoch seconds at which the source's last materialization finished.",
      unit: "s",
    });
    const held = meter.createObservableGauge("ctxstore.materialization.held", {
      description: "1 when the source's last materialization was held back by the guard.",
      unit: "1",
    });
    const observe = (results: Record<string, ObservableResult>): void => {
      for (const source of snapshot().sources) {
        const where = { "ctxstore.source": source.source, "ctxstore.tier": source.tier };
        if (source.maxAgeMs !== undefined) results.maxAge?.observe(source.maxAgeMs / 1000, where);
        if ("unavailable" in source.sample) {
          if (source.tier === "batch" || source.tier === "stream") {
            results.available?.observe(0, where);
            results.sampledValues?.observe(0, where);
          }
        } else {
          results.available?.observe(1, where);
          results.sampledValues?.observe(source.sample.values, where);
          results.staleShare?.observe(source.sample.staleShare, where);
          for (const [quantileName, value] of Object.entries(source.sample.ageMs))
            results.age?.observe(value / 1000, { ...where, "ctxstore.quantile": quantileName });
        }
        if (typeof source.ingestLagMs === "number") results.lag?.observe(source.ingestLagMs / 1000, where);
        const run = source.lastMaterialization;
        if (run && !("unavailable" in run)) {
          results.published?.observe(run.finishedAt / 1000, where);
          results.held?.observe(run.status === "held" ? 1 : 0, where);
        }
      }
    };
    const observables = { age, staleShare, sampledValues, available, maxAge, lag, published, held };
    const callback = (batch: {
      observe: (observable: unknown, value: number, attributes?: object) => void;
    }) => {
      try {
        const results: Record<string, ObservableResult> = {};
        for (const [name, observable] of Object.entries(observables)) {
          results[name] = {
            observe: (value: number, attributes?: object) => batch.observe(observable, value, attributes),
          } as ObservableResult;
        }
        observe(results);
      } catch (error) {
        reportTelemetryFailure(error);
      }
    };
    meter.addBatchObservableCallback(callback as never, Object.values(observables));
    return () => meter.removeBatchObservableCallback(callback as never, Object.values(observables));
  } catch (error) {
    reportTelemetryFailure(error);
    return () => {};
  }
}
