// Small display helpers shared by the page's views.
import type { SourceTrace } from "@ctxstore/core";

export const TIERS = ["batch", "stream", "realtime", "vector"] as const;
export const FACTS = new Set(["ok", "empty"]);

export function age(milliseconds: number | undefined | null): string {
  if (milliseconds === undefined || milliseconds === null || !Number.isFinite(milliseconds)) return "-";
  const value = Math.max(0, milliseconds);
  if (value < 1_000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${Math.round(value / 1_000)}s`;
  if (value < 3_600_000) return `${Math.round(value / 60_000)}m`;
  if (value < 172_800_000) return `${Math.round(value / 3_600_000)}h`;
  return `${Math.round(value / 86_400_000)}d`;
}

export function percent(share: number | undefined): string {
  return share === undefined || !Number.isFinite(share) ? "-" : `${Math.round(share * 100)}%`;
}

export function outcomeText(source: Pick<SourceTrace, "outcome" | "rendered">): string {
  if (source.outcome === "omitted") return "omitted";
  if (source.rendered === "note") return `${source.outcome} (note)`;
  if (source.rendered === "empty") return `${source.outcome} (fact)`;
  if (source.rendered === "fallback") return `${source.outcome} (fallback)`;
  return source.outcome;
}

export function whyText(source: SourceTrace): string {
  const parts = [source.reason, source.outcomeReason].filter((part): part is string => Boolean(part));
  if (source.scores && source.scores.length > 0)
    parts.push(`scores ${source.scores.map((score) => score.toFixed(2)).join(", ")}`);
  if (parts.length === 0) return source.outcome === "included" ? "fits the budget" : "";
  return parts.join("; ");
}
