// Benchmark helpers shared by every package's `bench/` scripts: timing loops, percentiles, and the
// report format (a human table, then one JSON line per figure for machines).

export interface BenchFigure {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** Extra dimensions (e.g. `chunks: 10000`) are printed in the JSON line. */
  readonly [dimension: string]: unknown;
}

export interface Samples {
  /** Milliseconds per iteration. */
  readonly samples: readonly number[];
  readonly totalMs: number;
}

/** Runs `body` `warmup` times untimed, then `iterations` times timed one by one. */
export async function measure(
  body: () => unknown,
  { iterations, warmup = Math.min(200, Math.ceil(iterations / 10)) }: { iterations: number; warmup?: number },
): Promise<Samples> {
  for (let index = 0; index < warmup; index++) await body();
  const samples: number[] = new Array(iterations);
  const started = performance.now();
  for (let index = 0; index < iterations; index++) {
    const start = performance.now();
    await body();
    samples[index] = performance.now() - start;
  }
  return { samples, totalMs: performance.now() - started };
}

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Prints the figures as a table on stdout, followed by one JSON line per figure. */
export function report(
  figures: readonly BenchFigure[],
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): void {
  const rows = figures.map((figure) => {
    const extras = Object.entries(figure)
      .filter(([key]) => !["bench", "metric", "value", "unit"].includes(key))
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(" ");
    return [figure.bench, figure.metric, String(round(figure.value)), figure.unit, extras];
  });
  const header = ["bench", "metric", "value", "unit", "notes"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  write(line(header));
  write(line(widths.map((width) => "-".repeat(width))));
  for (const row of rows) write(line(row));
  for (const figure of figures) write(JSON.stringify({ ...figure, value: round(figure.value, 4) }));
}
