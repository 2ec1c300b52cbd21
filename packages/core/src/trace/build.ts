// Builds the assembly trace from what each source resolved to, what was rendered for it and the
// packer's outcome. It reads plain data (no resolve/ types), so the trace depends on nothing of the
// pipeline that produces it.

import type { Entity } from "../definitions/entity.js";
import type { AnySource, Tier } from "../definitions/source.js";
import { isFact, type Status } from "../envelope.js";
import type { PackOutput } from "../pack/types.js";
import type { AssemblyTrace, SourceTrace } from "./types.js";

let assemblies = 0;

/** One source as the trace reads it; resolve/'s Resolution extends it with the value and its lines. */
export interface TracedResolution {
  readonly source: AnySource;
  readonly key: string | undefined;
  readonly status: Status;
  readonly reason?: string;
  readonly latencyMs: number;
  readonly eventTime?: number;
  readonly scores?: readonly number[];
  readonly shared?: boolean;
}

/** What was rendered for a source, and the tokens it offered the packer. */
export interface RenderedBlockInfo {
  readonly rendered: SourceTrace["rendered"];
  readonly candidateTokens: number;
}

export function buildTrace(input: {
  ordered: readonly TracedResolution[];
  packed: PackOutput;
  rendered: ReadonlyMap<string, RenderedBlockInfo>;
  /** Request keys by entity name, in request order. */
  keys: ReadonlyMap<string, { readonly canonical: string }>;
  query: string | undefined;
  maxTokens: number;
  deadlineMs: number;
  now: number;
  encoding: AssemblyTrace["encoding"];
  phases: AssemblyTrace["phases"];
  tokenizerCalls: number;
  warnings: string[];
}): AssemblyTrace {
  const blocks = new Map(input.packed.blocks.map((block) => [block.source, block]));
  const tierTokens: Record<Tier, number> = { batch: 0, stream: 0, realtime: 0, vector: 0 };
  let included = 0;
  let truncated = 0;
  let dropped = 0;
  let unavailable = 0;
  const sources: SourceTrace[] = input.ordered.map((resolution) => {
    const { source } = resolution;
    const block = blocks.get(source.name);
    const info = input.rendered.get(source.name);
    if (!isFact(resolution.status)) unavailable += 1;
    if (block?.outcome === "included") included += 1;
    if (block?.outcome === "truncated") truncated += 1;
    if (block?.outcome === "dropped") dropped += 1;
    if (block) tierTokens[source.tier] += block.tokens;
    const entity = source.entity as Entity | undefined;
    return {
      source: source.name,
      tier: source.tier,
      section: source.section.title,
      entity: entity?.name,
      key: resolution.key,
      status: resolution.status,
      ...(resolution.reason === undefined ? {} : { reason: resolution.reason }),
      latencyMs: round(resolution.latencyMs),
      ...(resolution.eventTime === undefined
        ? {}
        : { eventTime: resolution.eventTime, ageMs: Math.max(0, input.now - resolution.eventTime) }),
      rendered: info?.rendered ?? "none",
      outcome: block ? block.outcome : "omitted",
      ...(block?.reason === undefined ? omittedReason(resolution, info) : { outcomeReason: block.reason }),
      tokens: block?.outcome === "dropped" ? 0 : (block?.tokens ?? 0),
      candidateTokens: block?.candidateTokens ?? info?.candidateTokens ?? 0,
      ...(resolution.scores === undefined ? {} : { scores: resolution.scores }),
      ...(resolution.shared ? { shared: true } : {}),
    };
  });
  const contentTokens = tierTokens.batch + tierTokens.stream + tierTokens.realtime + tierTokens.vector;
  const share = (tier: Tier) => (contentTokens === 0 ? 0 : round(tierTokens[tier] / contentTokens, 4));
  assemblies += 1;
  return {
    id: `asm-${input.now.toString(36)}-${assemblies.toString(36)}`,
    at: input.now,
    encoding: input.encoding,
    keys: Object.fromEntries([...input.keys].map(([name, key]) => [name, key.canonical])),
    query: input.query,
    budget: { maxTokens: input.maxTokens },
    deadlineMs: input.deadlineMs,
    sources,
    sections: input.packed.sections.map((section) => ({
      title: section.title,
      tokens: section.tokens,
      sources: section.sources,
    })),
    totals: {
      tokens: input.packed.tokens,
      budget: input.maxTokens,
      included,
      truncated,
      dropped,
      unavailable,
      tokenizerCalls: input.tokenizerCalls,
    },
    phases: {
      validateMs: round(input.phases.validateMs),
      onlineReadMs: round(input.phases.onlineReadMs),
      realtimeMs: round(input.phases.realtimeMs),
      vectorMs: round(input.phases.vectorMs),
      packMs: round(input.phases.packMs),
      totalMs: round(input.phases.totalMs),
    },
    tierShare: {
      batch: share("batch"),
      stream: share("stream"),
      realtime: share("realtime"),
      vector: share("vector"),
    },
    warnings: input.warnings,
  };
}

function omittedReason(
  resolution: TracedResolution,
  info: RenderedBlockInfo | undefined,
): { outcomeReason?: string } {
  if (info?.rendered === "value" && info.candidateTokens === 0)
    return { outcomeReason: "the value rendered to no text" };
  if (isFact(resolution.status)) return {};
  return {
    outcomeReason: `status ${resolution.status} under the "${resolution.source.onUnavailable}" policy`,
  };
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
