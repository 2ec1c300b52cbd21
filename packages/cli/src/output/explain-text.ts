// The terminal rendering of an inspection: the packed prompt in a frame (section headings bold), the
// trace table (status, age vs maxAge, latency, tokens, outcome and why), token share by tier and the
// warnings. Status words are always printed, so the table reads without colour.
import type { SourceTrace, Status } from "@ctxstore/core";
import type { InspectionResult } from "../inspection/inspect.js";
import { TIERS } from "../inspection/inspect.js";
import { table } from "./table.js";
import type { Colors } from "./terminal.js";
import { age, percent } from "./units.js";

export function formatPrompt(result: InspectionResult, colors: Colors): string {
  const lines = result.text.replace(/\n$/, "").split("\n");
  const width = Math.min(100, Math.max(40, ...lines.map((line) => line.length)));
  const top = `┌─ packed context: ${result.tokens}/${result.budget} tokens (${result.trace.encoding}) `;
  return [
    colors.dim(`${top}${"─".repeat(Math.max(0, width + 2 - top.length))}`),
    ...lines.map((line) => `${colors.dim("│")} ${line.startsWith("## ") ? colors.bold(line) : line}`),
    colors.dim(`└${"─".repeat(width + 1)}`),
  ].join("\n");
}

export function statusColour(colors: Colors): Record<Status, (text: string) => string> {
  return {
    ok: colors.green,
    empty: colors.cyan,
    missing: colors.yellow,
    stale: colors.yellow,
    timeout: colors.red,
    error: colors.red,
    invalid: colors.red,
    skipped: colors.dim,
  };
}

export function formatTrace(result: InspectionResult, colors: Colors): string {
  const paint = statusColour(colors);
  const rows = result.sources.map((source) => [
    source.source,
    source.tier,
    paint[source.status](source.status),
    `${age(source.ageMs)} / ${source.maxAgeMs === undefined ? "-" : age(source.maxAgeMs)}`,
    `${source.latencyMs.toFixed(1)}ms`,
    source.tokens === 0 ? "-" : String(source.tokens),
    source.outcome === "included" ? outcome(source) : colors.yellow(outcome(source)),
    why(source),
  ]);
  const share = TIERS.filter((tier) => result.tokensByTier[tier] > 0)
    .map((tier) => `${tier} ${percent(result.trace.tierShare[tier])} (${result.tokensByTier[tier]})`)
    .join(", ");
  const totals = result.trace.totals;
  return [
    table(
      ["source", "tier", "status", "age/maxAge", "latency", "tokens", "outcome", "why"],
      rows,
      colors.bold,
    ),
    "",
    `${colors.bold("total")} ${totals.tokens}/${totals.budget} tokens · ${totals.unavailable} source(s) not facts · token share: ${share || "-"}`,
    ...result.warnings.map((warning) => colors.yellow(`warning: ${warning}`)),
  ].join("\n");
}

function outcome(source: SourceTrace): string {
  if (source.outcome === "omitted") return "omitted";
  if (source.rendered === "note") return `${source.outcome} (note)`;
  if (source.rendered === "empty") return `${source.outcome} (fact)`;
  if (source.rendered === "fallback") return `${source.outcome} (fallback)`;
  return source.outcome;
}

/** Why the source is not ok, and why it was (not) included: the trace's reasons, or the default wording. */
export function why(source: SourceTrace): string {
  const parts = [source.reason, source.outcomeReason].filter((part): part is string => Boolean(part));
  if (source.scores && source.scores.length > 0)
    parts.push(`scores ${source.scores.map((score) => score.toFixed(2)).join(", ")}`);
  return parts.join("; ");
}
