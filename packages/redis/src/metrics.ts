// OpenTelemetry metrics for a Redis Streams ingest worker (docs/observability.md lists them): read
// from `ingestor.counters()` at each collection, so the worker's loop does no metric work at all.
// `@opentelemetry/api` is an optional peer: without it, or with no meter provider, this does nothing.
import { CtxError } from "@ctxstore/core";
import type { BatchObservableResult, Meter, Observable } from "@opentelemetry/api";
import type { StreamIngestor } from "./ingest/ingestor.js";

/** An OpenTelemetry `MeterProvider`, typed structurally (no need for the API's types). */
export interface MeterProviderLike {
  /** The meter the ingest worker's instruments are registered with (scope `@ctxstore/redis`). */
  getMeter(name: string, version?: string): unknown;
}

/**
 * Options of `observeIngestor`: the stream's key (an attribute on every instrument), the meter
 * provider and a clock.
 */
export interface IngestorMetricsOptions {
  /** The stream key (`ctxstore.stream` attribute). */
  stream: string;
  /** Default: the global meter provider. */
  meterProvider?: MeterProviderLike;
  /** Clock (epoch ms) for the lag gauge. Default `Date.now`. */
  now?: () => number;
}

/** Registers the worker's instruments; resolves to a function that unregisters them. */
export async function observeIngestor(
  ingestor: StreamIngestor,
  options: IngestorMetricsOptions,
): Promise<() => void> {
  if (typeof options?.stream !== "string" || options.stream.length === 0) {
    throw new CtxError(
      "CTX_CONFIG",
      'observeIngestor: `stream` must be the stream key, e.g. "ctx:events".',
      {},
    );
  }
  let api: typeof import("@opentelemetry/api");
  try {
    api = await import(/* webpackIgnore: true */ "@opentelemetry/api");
  } catch {
    return () => {};
  }
  const provider = (options.meterProvider ?? api.metrics.getMeterProvider()) as MeterProviderLike & object;
  if (provider.constructor?.name === "NoopMeterProvider") return () => {};
  const meter = provider.getMeter("@ctxstore/redis") as Meter;
  const now = options.now ?? Date.now;
  const where = { "ctxstore.stream": options.stream };
  const applied = meter.createObservableCounter("ctxstore.ingest.events", {
    description: "Events applied to the online store (rate: events applied per second).",
    unit: "{event}",
  });
  const deadLetters = meter.createObservableCounter("ctxstore.ingest.dead_letters", {
    description: "Events moved to the dead-letter stream (schema, key, unknown source, malformed...).",
    unit: "{event}",
  });
  const retries = meter.createObservableCounter("ctxstore.ingest.retries", {
    description: "Events delivered again after a failed batch or reclaimed from a dead consumer.",
    unit: "{event}",
  });
  const failures = meter.createObservableCounter("ctxstore.ingest.failures", {
    description: "Errors the worker loop recovered from (it backs off and resumes: a restart of the loop).",
    unit: "{failure}",
  });
  const pending = meter.createObservableGauge("ctxstore.ingest.pending", {
    description: "Entries delivered to the group but not acknowledged yet.",
    unit: "{entry}",
  });
  const undelivered = meter.createObservableGauge("ctxstore.ingest.undelivered", {
    description: "Entries in the stream not yet delivered to the group (XINFO GROUPS lag).",
    unit: "{entry}",
  });
  const lag = meter.createObservableGauge("ctxstore.ingest.lag", {
    description: "Now minus the publish time of the newest entry applied (0 when caught up).",
    unit: "s",
  });
  const observables: Observable[] = [applied, deadLetters, retries, failures, pending, undelivered, lag];
  const callback = (result: BatchObservableResult) => {
    try {
      const counters = ingestor.counters();
      result.observe(applied, counters.processed, where);
      result.observe(deadLetters, counters.invalid, where);
      result.observe(retries, counters.retried, where);
      result.observe(failures, counters.failures, where);
      if (counters.pending !== undefined) result.observe(pending, counters.pending, where);
      if (counters.lag !== undefined) result.observe(undelivered, counters.lag, where);
      if (counters.watermark !== undefined)
        result.observe(lag, Math.max(0, now() - counters.watermark) / 1000, where);
    } catch {
      // A collection must not throw into the exporter; the next one tries again.
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
