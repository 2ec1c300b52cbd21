// A MetricReader for tests: cumulative temporality, collected on demand with `collect()`.
import { AggregationTemporality, MetricReader } from "@opentelemetry/sdk-metrics";

export class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
