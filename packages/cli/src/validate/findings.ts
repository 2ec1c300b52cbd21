// `ctxstore validate`: checks a config's definitions for the mistakes that bite in production, each
// finding with advice. Errors fail the command (exit 1); warnings and notes do not.
//   - duplicated labels or entity names (two different definitions reading as one in the prompt)
//   - more than two realtime lookups in one request (each is a source call on the critical path)
//   - a sample request whose budget cannot hold the required sections (or cannot be assembled)
//   - a token mix far from the seed guidance (~80% batch / 15% stream / 5% realtime) on a sample request
//   - batch/stream sources without maxAge (staleness is never detected)
import type { AnySource, ContextStore, Entity, Tier } from "@ctxstore/core";
import { isCtxError } from "@ctxstore/core";
import type { CtxstoreConfig, SampleRequest } from "../config/types.js";

/** How serious a finding is: `error` fails `ctxstore validate` (exit 1); `warning` and `note` do not. */
export type FindingLevel = "error" | "warning" | "note";

/**
 * One problem `validateConfig` found, with the check that found it, the source or request concerned,
 * and advice on what to do.
 */
export interface Finding {
  readonly level: FindingLevel;
  /** Stable id of the check: `duplicate-label`, `realtime-lookups`, `budget-too-small`, `token-mix`, `no-max-age`, `sample-failed`. */
  readonly check: string;
  readonly source?: string;
  readonly request?: string;
  readonly message: string;
  readonly advice: string;
}

/**
 * What `validateConfig` returns: how many sources and which sample requests were checked, the
 * findings, and `ok` (no `error` finding).
 */
export interface ValidationReport {
  readonly sources: number;
  readonly requestsChecked: readonly string[];
  readonly findings: readonly Finding[];
  readonly ok: boolean;
}

/** The seed guidance for the token share of the three non-vector tiers. */
export const TARGET_MIX: Readonly<Record<"batch" | "stream" | "realtime", number>> = {
  batch: 0.8,
  stream: 0.15,
  realtime: 0.05,
};
/** A tier whose share is further than this from the guidance is reported. */
export const MIX_TOLERANCE = 0.25;

/**
 * Checks a config's definitions for the mistakes that bite in production: duplicated labels or entity
 * names, more than two realtime lookups per request, sample requests whose budget cannot hold the
 * required sections, a token mix far from ~80% batch / 15% stream / 5% realtime, and batch or stream
 * sources without `maxAge`. What `ctxstore validate` runs.
 */
export async function validateConfig(config: CtxstoreConfig): Promise<ValidationReport> {
  const { context } = config;
  const sources = [...context.sources.values()] as AnySource[];
  const findings: Finding[] = [
    ...duplicateFindings(sources),
    ...realtimeFindings(sources),
    ...maxAgeFindings(sources),
  ];
  const requests = Object.entries(config.requests ?? {});
  // The sample assemblies measure the request, not the one-time tokenizer load.
  if (requests.length > 0) await context.ready();
  if (requests.length === 0) {
    findings.push({
      level: "note",
      check: "no-sample-request",
      message: "The config names no sample requests, so budgets and the token mix were not checked.",
      advice: "Add `requests: { name: { keys, query, maxTokens } }` to the config with a typical request.",
    });
  }
  for (const [name, request] of requests) findings.push(...(await sampleFindings(context, name, request)));
  return {
    sources: sources.length,
    requestsChecked: requests.map(([name]) => name),
    findings,
    ok: !findings.some((finding) => finding.level === "error"),
  };
}

function duplicateFindings(sources: readonly AnySource[]): Finding[] {
  const findings: Finding[] = [];
  const byLabel = new Map<string, string[]>();
  for (const source of sources)
    byLabel.set(source.label, [...(byLabel.get(source.label) ?? []), source.name]);
  for (const [label, names] of byLabel) {
    if (names.length > 1) {
      findings.push({
        level: "warning",
        check: "duplicate-label",
        source: names.join(", "),
        message: `Sources ${names.join(" and ")} share the label "${label}": their notes ("${label}: unknown") cannot be told apart in the prompt.`,
        advice: "Give each source its own `label`.",
      });
    }
  }
  const entities = new Map<string, Entity>();
  for (const source of sources) {
    const entity = source.entity as Entity | undefined;
    if (!entity) continue;
    const known = entities.get(entity.name);
    if (known && known !== entity) {
      findings.push({
        level: "error",
        check: "duplicate-entity",
        source: source.name,
        message: `Two different entity definitions are named "${entity.name}" (one is used by ${source.name}): their keys may canonicalise differently.`,
        advice: "Define each entity once (defineEntity) and import it wherever a source needs it.",
      });
    }
    entities.set(entity.name, entity);
  }
  return findings;
}

function realtimeFindings(sources: readonly AnySource[]): Finding[] {
  const realtime = sources.filter((source) => source.tier === "realtime");
  if (realtime.length <= 2) return [];
  return [
    {
      level: "warning",
      check: "realtime-lookups",
      source: realtime.map((source) => source.name).join(", "),
      message: `A request keyed by every entity makes ${realtime.length} realtime lookups (${realtime.map((source) => source.name).join(", ")}); more than two per request is a smell.`,
      advice:
        "Each realtime source is a call on the request's critical path: precompute the stable ones as batch or stream sources, or restrict requests with `sources`.",
    },
  ];
}

function maxAgeFindings(sources: readonly AnySource[]): Finding[] {
  return sources
    .filter(
      (source) => (source.tier === "batch" || source.tier === "stream") && source.maxAgeMs === undefined,
    )
    .map((source) => ({
      level: "note" as const,
      check: "no-max-age",
      source: source.name,
      message: `${source.name} (${source.tier}) has no maxAge: a value that stopped updating is never reported stale.`,
      advice: 'Set `maxAge` to the freshness the prompt relies on (e.g. "2d" for a nightly job).',
    }));
}

async function sampleFindings(
  context: ContextStore,
  name: string,
  request: SampleRequest,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const sources = [...context.sources.values()] as AnySource[];
  const minimum = new Map<string, number>();
  for (const source of sources) {
    if (source.required && source.section.minTokens !== undefined)
      minimum.set(source.section.title, source.section.minTokens);
  }
  const required = [...minimum.values()].reduce((sum, tokens) => sum + tokens, 0);
  if (required > request.maxTokens) {
    findings.push({
      level: "error",
      check: "budget-too-small",
      request: name,
      message: `Request "${name}" has a budget of ${request.maxTokens} tokens, but the sections of required sources reserve ${required} (${[...minimum].map(([title, tokens]) => `${title}: ${tokens}`).join(", ")}).`,
      advice: "Raise the request's maxTokens, or lower those sections' minTokens.",
    });
  }
  try {
    await context.ready(); // a cold CLI process: the tokenizer first, outside the request's deadline
    const result = await context.assemble({
      keys: request.keys,
      budget: { maxTokens: request.maxTokens },
      ...(request.query === undefined ? {} : { query: request.query }),
    });
    const share = result.trace.tierShare;
    const nonVector = share.batch + share.stream + share.realtime;
    if (nonVector > 0) {
      const mix = {
        batch: share.batch / nonVector,
        stream: share.stream / nonVector,
        realtime: share.realtime / nonVector,
      };
      const far = (Object.keys(TARGET_MIX) as Array<keyof typeof TARGET_MIX>).filter(
        (tier) => Math.abs(mix[tier] - TARGET_MIX[tier]) > MIX_TOLERANCE,
      );
      if (far.length > 0) {
        findings.push({
          level: "warning",
          check: "token-mix",
          request: name,
          message: `Request "${name}": token mix (vector excluded) is ${formatMix(mix)}, far from the ~80% batch / 15% stream / 5% realtime guidance in ${far.join(", ")}.`,
          advice: adviceFor(mix),
        });
      }
    }
    for (const source of result.trace.sources) {
      if (
        source.outcome === "dropped" &&
        (context.sources.get(source.source) as AnySource | undefined)?.required
      ) {
        findings.push({
          level: "error",
          check: "budget-too-small",
          request: name,
          source: source.source,
          message: `Request "${name}": required source ${source.source} was dropped (${source.outcomeReason ?? "no room"}).`,
          advice: "Raise the request's maxTokens or give the source's section a minTokens reservation.",
        });
      }
    }
  } catch (error) {
    const budget = isCtxError(error, "CTX_BUDGET_TOO_SMALL");
    findings.push({
      level: "error",
      check: budget ? "budget-too-small" : "sample-failed",
      request: name,
      message: `Request "${name}" could not be assembled: ${error instanceof Error ? error.message : String(error)}`,
      advice: budget
        ? "Raise the request's maxTokens, or lower the required sections' minTokens."
        : "Fix the request's keys in the config, or the source that fails.",
    });
  }
  return findings;
}

function formatMix(mix: Record<Exclude<Tier, "vector">, number>): string {
  return `${Math.round(mix.batch * 100)}% batch / ${Math.round(mix.stream * 100)}% stream / ${Math.round(mix.realtime * 100)}% realtime`;
}

function adviceFor(mix: Record<Exclude<Tier, "vector">, number>): string {
  if (mix.realtime > TARGET_MIX.realtime + MIX_TOLERANCE)
    return "Realtime values dominate: most of them change slowly enough to be precomputed (batch) or pushed (stream); keep realtime for what must be exact now.";
  if (mix.stream > TARGET_MIX.stream + MIX_TOLERANCE)
    return "Stream values dominate: shorten windows or summarise older events into a batch source.";
  return "Little precomputed context reaches the prompt: check that batch values are materialized for these keys, and that their sections have room.";
}
