// Terminal rendering of an assembly: the packed prompt in a frame and the trace as a table, with
// colour when the output is a TTY (NO_COLOR respected).
import type { AssembleResult, SourceTrace, Status } from "@ctxstore/core";

const useColour = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColour ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = paint(32);
const yellow = paint(33);
const red = paint(31);
const dim = paint(2);
const bold = paint(1);
const cyan = paint(36);

const STATUS_COLOUR: Record<Status, (text: string) => string> = {
  ok: green,
  empty: cyan,
  missing: yellow,
  stale: yellow,
  timeout: red,
  error: red,
  invalid: red,
  skipped: dim,
};

export function formatPrompt(result: AssembleResult): string {
  const lines = result.text.replace(/\n$/, "").split("\n");
  const width = Math.min(100, Math.max(40, ...lines.map((line) => line.length)));
  const top = `┌─ packed context: ${result.tokens}/${result.trace.budget.maxTokens} tokens (${result.trace.encoding}) `;
  return [
    dim(`${top}${"─".repeat(Math.max(0, width + 2 - top.length))}`),
    ...lines.map((line) => `${dim("│")} ${line.startsWith("## ") ? bold(line) : line}`),
    dim(`└${"─".repeat(width + 1)}`),
  ].join("\n");
}

export function formatTrace(result: AssembleResult): string {
  const { trace } = result;
  const header = ["source", "tier", "status", "latency", "age", "tokens", "outcome", "why"];
  const rows = trace.sources.map((source) => [
    source.source,
    source.tier,
    source.status,
    `${source.latencyMs.toFixed(1)}ms`,
    source.ageMs === undefined ? "-" : age(source.ageMs),
    source.tokens === 0 ? "-" : String(source.tokens),
    outcome(source),
    why(source),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const pad = (cells: string[], colourise = false) =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0);
        if (!colourise) return padded;
        if (column === 2) return STATUS_COLOUR[cell as Status](padded);
        if (column === 6 && cell !== "included") return yellow(padded);
        return padded;
      })
      .join("  ");
  const share = Object.entries(trace.tierShare)
    .filter(([, value]) => value > 0)
    .map(([tier, value]) => `${tier} ${Math.round(value * 100)}%`)
    .join(", ");
  const phases = trace.phases;
  return [
    bold(pad(header)),
    dim(widths.map((width) => "─".repeat(width)).join("  ")),
    ...rows.map((row) => pad(row, true)),
    "",
    `${bold("total")} ${trace.totals.tokens}/${trace.totals.budget} tokens · ${trace.totals.unavailable} source(s) not facts · token share: ${share || "-"}`,
    dim(
      `phases: validate ${phases.validateMs}ms · online read ${phases.onlineReadMs}ms · realtime ${phases.realtimeMs}ms · vector ${phases.vectorMs}ms · pack ${phases.packMs}ms · total ${phases.totalMs}ms`,
    ),
    ...trace.warnings.map((warning) => yellow(`warning: ${warning}`)),
  ].join("\n");
}

function outcome(source: SourceTrace): string {
  if (source.outcome === "omitted") return "omitted";
  if (source.rendered === "note") return `${source.outcome} (note)`;
  if (source.rendered === "empty") return `${source.outcome} (fact)`;
  if (source.rendered === "fallback") return `${source.outcome} (fallback)`;
  return source.outcome;
}

function why(source: SourceTrace): string {
  const parts = [source.reason, source.outcomeReason].filter((part): part is string => Boolean(part));
  if (source.scores && source.scores.length > 0)
    parts.push(`scores ${source.scores.map((score) => score.toFixed(2)).join(", ")}`);
  return parts.join("; ");
}

function age(milliseconds: number): string {
  if (milliseconds < 1_000) return `${Math.round(milliseconds)}ms`;
  if (milliseconds < 60_000) return `${Math.round(milliseconds / 1_000)}s`;
  if (milliseconds < 3_600_000) return `${Math.round(milliseconds / 60_000)}m`;
  return `${Math.round(milliseconds / 3_600_000)}h`;
}
