#!/usr/bin/env node
// Draws the cost curves of docs/benchmarks.md from the JSON lines `npm run bench` prints:
//   npm run bench 2>&1 | tee bench.log && npm run bench:charts -- bench.log
// (or pipe the lines in). One SVG per curve under docs/images/, drawn with Vega-Lite. A curve whose
// points are missing from the input is named on stderr and its chart is left as it was; the exit
// code is 1 when any is missing, so a partial run never silently replaces a chart.
// BENCH_CHARTS_OUT=<dir> writes the SVGs there instead (the script's tests use a temporary folder).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as vega from "vega";
import * as vegaLite from "vega-lite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.env.BENCH_CHARTS_OUT ?? join(root, "docs", "images");

/** Each chart: which figures it draws, the x dimension, the series, the expected x values. */
const CHARTS = [
  {
    file: "curve-assemble-sources.svg",
    title: "assemble p50 / p99 vs number of sources (memory, 2,000-token budget)",
    bench: "assemble.curve.sources",
    metrics: ["p50_ms", "p99_ms"],
    x: "sources",
    xTitle: "sources",
    yTitle: "ms",
    expect: [1, 10, 30, 100, 300],
    log: true,
  },
  {
    file: "curve-assemble-window.svg",
    title: "assemble p50 / p99 vs stream window (events rendered)",
    bench: "assemble.curve.window",
    metrics: ["p50_ms", "p99_ms"],
    x: "window",
    xTitle: "events in the window",
    yTitle: "ms",
    expect: [10, 100, 1000],
    log: true,
  },
  {
    file: "curve-assemble-budget.svg",
    title: "assemble p50 / p99 vs budget (~64,000 tokens of content)",
    bench: "assemble.curve.budget",
    metrics: ["p50_ms", "p99_ms"],
    x: "max_tokens",
    xTitle: "budget (tokens)",
    yTitle: "ms",
    expect: [500, 2000, 10000, 50000, 100000],
    log: true,
  },
  {
    file: "curve-ingest-workers.svg",
    title: "ingest events/s vs workers (Redis Cluster, 3 masters, one process)",
    bench: "ingest.curve.cluster",
    metrics: ["events_per_s"],
    x: "workers",
    xTitle: "workers",
    yTitle: "events/s",
    expect: [1, 2, 4],
    log: false,
  },
  {
    file: "curve-materialize-batch.svg",
    title: "materialize values/s vs batch size (Redis)",
    bench: "materialize.curve.redis",
    metrics: ["values_per_s"],
    x: "batch",
    xTitle: "values per write call",
    yTitle: "values/s",
    expect: [100, 1000, 10000],
    log: true,
  },
  {
    file: "curve-pit-labels.svg",
    title: "pointInTime seconds vs label events (10 sources), with DuckDB's bare ASOF JOIN",
    bench: "pit.curve",
    metrics: ["seconds", "bare_asof_seconds"],
    x: "labels",
    xTitle: "label events",
    yTitle: "seconds",
    expect: [100000, 1000000, 5000000],
    /** BENCH_QUICK=1 runs a tenth. */
    expectQuick: [10000, 100000, 500000],
    log: true,
  },
];

function readFigures(path) {
  const text = path ? readFileSync(path, "utf8") : readFileSync(0, "utf8");
  const figures = [];
  for (const line of text.split("\n")) {
    const start = line.indexOf('{"bench"');
    if (start < 0) continue;
    try {
      figures.push(JSON.parse(line.slice(start)));
    } catch {
      // A line cut by interleaved output: not a figure.
    }
  }
  return figures;
}

function spec(chart, rows, expected) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: chart.title,
    width: 560,
    height: 300,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: chart.xTitle,
        scale: chart.log ? { type: "log" } : { zero: false },
        axis: { values: expected },
      },
      y: {
        field: "value",
        type: "quantitative",
        title: chart.yTitle,
        scale: chart.log ? { type: "log" } : {},
      },
      color: { field: "metric", type: "nominal", title: null },
    },
    config: { font: "sans-serif", background: "white" },
  };
}

const figures = readFigures(process.argv[2]);
if (figures.length === 0) {
  console.error("bench-charts: no JSON figure lines in the input (pass the output of `npm run bench`).");
  process.exit(1);
}
let missing = 0;
for (const chart of CHARTS) {
  const rows = figures
    .filter((figure) => figure.bench === chart.bench && chart.metrics.includes(figure.metric))
    .map((figure) => ({ x: figure[chart.x], value: figure.value, metric: figure.metric }));
  const expected =
    chart.expectQuick && rows.length > 0 && rows.every((row) => chart.expectQuick.includes(row.x))
      ? chart.expectQuick
      : chart.expect;
  const absent = [];
  for (const metric of chart.metrics)
    for (const x of expected)
      if (!rows.some((row) => row.metric === metric && row.x === x))
        absent.push(`${metric} at ${chart.x}=${x}`);
  if (absent.length > 0) {
    missing += 1;
    console.error(`bench-charts: ${chart.file} not drawn: ${chart.bench} is missing ${absent.join(", ")}`);
    continue;
  }
  const view = new vega.View(vega.parse(vegaLite.compile(spec(chart, rows, expected)).spec), {
    renderer: "none",
  });
  writeFileSync(join(out, chart.file), await view.toSVG());
  console.log(`bench-charts: wrote ${join(out, chart.file)} (${rows.length} points)`);
}
process.exit(missing > 0 ? 1 : 0);
