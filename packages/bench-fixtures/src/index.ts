// @ctxstore/bench-fixtures: helpers shared by the repository's `bench/` scripts (timing loops,
// percentiles, the report format) and the reference request shape of every assemble.* benchmark.
// A private workspace package: benchmarks are the repository's, not something users install.

export {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  benchSession,
  benchUser,
  latencyFigures,
  seedAssembleBench,
} from "./assemble-fixture.js";
export { type BenchFigure, measure, percentile, report, round, type Samples } from "./report.js";
