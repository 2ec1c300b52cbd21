// scripts/bench-charts.mjs (the cost-curve SVGs of docs/benchmarks.md) run as `npm run bench:charts`
// runs it, on complete, partial and empty input: every missing figure is named, a chart lacking
// points is not drawn, and the exit code says whether anything was missing.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../../scripts/bench-charts.mjs", import.meta.url));

/** The figures of one complete run, one per (curve, metric, x), as `npm run bench` prints them. */
const CURVES = [
  { bench: "assemble.curve.sources", metrics: ["p50_ms", "p99_ms"], x: "sources", at: [1, 10, 30, 100, 300] },
  { bench: "assemble.curve.window", metrics: ["p50_ms", "p99_ms"], x: "window", at: [10, 100, 1000] },
  {
    bench: "assemble.curve.budget",
    metrics: ["p50_ms", "p99_ms"],
    x: "max_tokens",
    at: [500, 2000, 10000, 50000, 100000],
  },
  { bench: "ingest.curve.cluster", metrics: ["events_per_s"], x: "workers", at: [1, 2, 4] },
  { bench: "materialize.curve.redis", metrics: ["values_per_s"], x: "batch", at: [100, 1000, 10000] },
  {
    bench: "pit.curve",
    metrics: ["seconds", "bare_asof_seconds"],
    x: "labels",
    at: [100000, 1000000, 5000000],
  },
];
const FILES = [
  "curve-assemble-sources.svg",
  "curve-assemble-window.svg",
  "curve-assemble-budget.svg",
  "curve-ingest-workers.svg",
  "curve-materialize-batch.svg",
  "curve-pit-labels.svg",
];

function completeRun(): Record<string, unknown>[] {
  return CURVES.flatMap((curve) =>
    curve.metrics.flatMap((metric) =>
      curve.at.map((x, index) => ({
        bench: curve.bench,
        metric,
        value: index + 1.5,
        unit: "u",
        [curve.x]: x,
      })),
    ),
  );
}

/** What turbo prints: each line prefixed with the package's task, plus the human tables. */
const asLog = (figures: readonly Record<string, unknown>[]) =>
  [
    "@ctxstore/core:bench: bench  metric  value",
    ...figures.map((figure) => `@ctxstore/core:bench: ${JSON.stringify(figure)}`),
  ].join("\n");

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "bench-charts-"));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

function charts(log: string) {
  const input = join(folder, "bench.log");
  writeFileSync(input, log);
  const out = join(folder, "images");
  mkdirSync(out, { recursive: true });
  const run = spawnSync(process.execPath, [SCRIPT, input], {
    env: { ...process.env, BENCH_CHARTS_OUT: out },
    encoding: "utf8",
  });
  return { status: run.status, stderr: run.stderr, written: readdirSync(out).sort(), out };
}

// Each run starts Node and Vega: seconds on a loaded machine, so a generous bound per test.
describe("bench-charts", { timeout: 120_000 }, () => {
  it("draws every curve from a complete run (turbo-prefixed lines) and exits 0", () => {
    const run = charts(asLog(completeRun()));
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.written).toEqual([...FILES].sort());
    expect(readFileSync(join(run.out, "curve-ingest-workers.svg"), "utf8")).toMatch(/^<svg[\s\S]*events\/s/);
  });

  it("on partial input names each missing figure, draws only the complete curves, and exits 1", () => {
    const figures = completeRun().filter(
      (figure) =>
        !(
          figure.bench === "assemble.curve.sources" &&
          figure.metric === "p99_ms" &&
          figure.sources === 300
        ) && figure.bench !== "pit.curve",
    );
    const run = charts(asLog(figures));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "curve-assemble-sources.svg not drawn: assemble.curve.sources is missing p99_ms at sources=300",
    );
    expect(run.stderr).toContain(
      "curve-pit-labels.svg not drawn: pit.curve is missing seconds at labels=100000, seconds at labels=1000000, seconds at labels=5000000, bare_asof_seconds at labels=100000",
    );
    expect(run.written).toEqual(
      FILES.filter((file) => file !== "curve-assemble-sources.svg" && file !== "curve-pit-labels.svg").sort(),
    );
  });

  it("on empty input (or input without figure lines) says so, draws nothing, and exits 1", () => {
    for (const log of ["", "bench  metric\n-----  ------\nnot json {\n"]) {
      const run = charts(log);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("no JSON figure lines in the input");
      expect(run.written).toEqual([]);
    }
  });
});
