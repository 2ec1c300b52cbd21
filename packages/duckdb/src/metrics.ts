// OpenTelemetry metrics for materializations (docs/observability.md lists them), and the bridge to
// core's freshness monitor: `recordMaterialization(report)` after each run counts values published
// per source and guard holds (alert on their rate); `lastMaterializations(report)` turns a run into
// what `monitorFreshness({ materializations })` exports as `ctxstore.materialization.{last_run,held}`.
// `@opentelemetry/api` is an optional peer: without it, or with no meter provider, nothing is recorded.
import type { LastMaterialization } from "@ctxstore/core";
import type { Counter, Meter } from "@opentelemetry/api";
import type { MaterializeReport } from "./materialize.js";

/** An OpenTelemetry `MeterProvider`, typed structurally (no need for the API's types). */
export interface MeterProviderLike {
  /** The meter the materialization counters and gauges are registered with (scope `@ctxstore/duckdb`). */
  getMeter(name: string, version?: string): unknown;
}

interface Instruments {
  readonly values: Counter;
  readonly runs: Counter;
}

const byMeter = new WeakMap<object, Instruments>();

/**
 * Counts one run's values and verdicts per source. Never throws (telemetry must not fail a run). A
 * dry run (`dryRun: true`) is not a run: it records nothing.
 */
export async function recordMaterialization(
  report: MaterializeReport,
  options: { meterProvider?: MeterProviderLike } = {},
): Promise<void> {
  if (report.dryRun) return;
  try {
    const api = await import(/* webpackIgnore: true */ "@opentelemetry/api").catch(() => null);
    if (!api) return;
    const provider = (options.meterProvider ?? api.metrics.getMeterProvider()) as MeterProviderLike & object;
    if (provider.constructor?.name === "NoopMeterProvider") return;
    let instruments = byMeter.get(provider);
    if (!instruments) {
      const meter = provider.getMeter("@ctxstore/duckdb") as Meter;
      instruments = {
        values: meter.createCounter("ctxstore.materialization.values", {
          description: "Values a materialization published (or held back, or found unchanged), per source.",
          unit: "{value}",
        }),
        runs: meter.createCounter("ctxstore.materialization.runs", {
          description:
            "Materialization runs per source by verdict: published, held (by the guard), unchanged.",
          unit: "{run}",
        }),
      };
      byMeter.set(provider, instruments);
    }
    for (const source of report.sources) {
      const attributes = {
        "ctxstore.source": source.source,
        "ctxstore.target": report.target,
        "ctxstore.status": source.status,
        "ctxstore.forced": source.forced,
      };
      instruments.runs.add(1, attributes);
      instruments.values.add(source.status === "published" ? source.applied : source.values, attributes);
    }
  } catch {
    // A broken meter must not fail the materialization it reports on.
  }
}

/**
 * The run, per source, as the freshness monitor's `materializations` provider returns it. A source
 * with nothing new (`unchanged`) counts as published with 0 rows: the run happened and what is online
 * stands. A dry run gives nothing.
 */
export function lastMaterializations(report: MaterializeReport): Record<string, LastMaterialization> {
  // A dry run published nothing: the last real run still stands.
  if (report.dryRun) return {};
  const finishedAt = report.startedAt + report.durationMs;
  const result: Record<string, LastMaterialization> = {};
  for (const source of report.sources) {
    result[source.source] = {
      finishedAt,
      target: report.target,
      status: source.status === "held" ? "held" : "published",
      forced: source.forced,
      rows: source.status === "unchanged" ? 0 : source.values,
      zeroRate: source.zeroRate,
      previousZeroRate: source.previousZeroRate,
    };
  }
  return result;
}
