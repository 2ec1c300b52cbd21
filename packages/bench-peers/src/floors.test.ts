// The floor-ratio table: every headline beside its same-run floor, judged against its target; a
// figure the run lacks is "missing" and named, never a zero or a "met".
import { describe, expect, it } from "vitest";
import { type Figure, FLOOR_ROWS, floorsTable, missingFloorFigures, parseAllFigures } from "./floors.js";

const run: Figure[] = [
  { bench: "assemble.redis", metric: "p50_ms", value: 0.3, unit: "ms" },
  { bench: "assemble.redis.floor", metric: "p50_ms", value: 0.05, unit: "ms" },
  { bench: "assemble.redis.in_process", metric: "p50_ms", value: 0.1, unit: "ms" },
  { bench: "assemble.redis", metric: "vs_floor_p50", value: 6, unit: "x" },
  { bench: "assemble.redis", metric: "vs_floor_plus_in_process_p50", value: 2, unit: "x" },
  { bench: "ingest.redis", metric: "events_per_s", value: 40_000, unit: "events/s" },
  { bench: "ingest.redis.floor", metric: "events_per_s", value: 150_000, unit: "events/s" },
  { bench: "ingest.redis.write_floor", metric: "events_per_s", value: 80_000, unit: "events/s" },
  { bench: "ingest.redis", metric: "vs_floor", value: 0.267, unit: "ratio" },
  { bench: "ingest.redis", metric: "vs_write_floor", value: 0.5, unit: "ratio" },
  { bench: "materialize.redis", metric: "values_per_s", value: 100_000, unit: "values/s" },
  { bench: "materialize.redis", metric: "raw_write_values_per_s", value: 190_000, unit: "values/s" },
  { bench: "materialize.redis", metric: "vs_floor", value: 0.526, unit: "ratio" },
  { bench: "pit.duckdb", metric: "seconds", value: 8.4, unit: "s" },
  { bench: "pit.duckdb", metric: "vs_bare_asof", value: 1.8, unit: "x", bare_asof_s: 4.67 },
  { bench: "pack", metric: "p50_ms", value: 0.1, unit: "ms" },
  { bench: "pack.baseline.recount", metric: "p50_ms", value: 3.8, unit: "ms" },
  { bench: "pack", metric: "speedup_vs_recount", value: 38, unit: "x" },
  { bench: "pack.baseline.recount_ctxstore", metric: "p50_ms", value: 0.4, unit: "ms" },
  { bench: "pack", metric: "speedup_vs_ctxstore_recount", value: 4, unit: "x" },
];

describe("floorsTable", () => {
  it("renders each headline with its floor (summed where it has two parts), ratio, target and status", () => {
    const rows = floorsTable(run).split("\n");
    expect(rows).toHaveLength(2 + FLOOR_ROWS.length);
    expect(rows[2]).toBe(
      "| assemble.redis p50 ms | 0.300 | 0.050 | `vs_floor_p50` 6.00 | <= 2.5 | **not met** |",
    );
    expect(rows[3]).toContain("| 0.300 | 0.150 | `vs_floor_plus_in_process_p50` 2.00 | reported |  |");
    expect(rows).toContain("| pit.duckdb seconds | 8.40 | 4.67 | `vs_bare_asof` 1.80 | <= 2 | met |");
    expect(rows).toContain(
      "| materialize.redis values/s | 100,000 | 190,000 | `vs_floor` 0.526 | >= 0.5 | met |",
    );
    expect(rows).toContain(
      "| pack p50 ms (speedup over one recount with OpenAI's tokenizer) | 0.100 | 3.80 | `speedup_vs_recount` 38.0 | >= 50 | **not met** |",
    );
    expect(missingFloorFigures(run)).toEqual([]);
  });

  it("reads turbo-prefixed lines and skips the rest", () => {
    const log = [
      "@ctxstore/core:bench: bench  metric",
      ...run.map((f) => `@x:bench: ${JSON.stringify(f)}`),
    ].join("\n");
    expect(parseAllFigures(log)).toEqual(run);
  });

  it("a figure the run lacks reads missing, is named, and is never judged met", () => {
    for (const [index, dropped] of run.entries()) {
      const partial = run.filter((_, at) => at !== index);
      const missing = missingFloorFigures(partial);
      expect(missing.some((name) => name.startsWith(`${dropped.bench} ${dropped.metric}`))).toBe(true);
      expect(floorsTable(partial)).toContain("missing");
    }
    expect(floorsTable([])).not.toContain("| met |");
    expect(missingFloorFigures([])).toHaveLength(new Set(missingFloorFigures([])).size);
  });
});
