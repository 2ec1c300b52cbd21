// Resolutions into packer blocks: values, confirmed-empty lines, unknown-value notes, fallbacks.

import type { Compiled } from "../context/create.js";
import { formatDuration } from "../definitions/duration.js";
import { TIER_RANK } from "../definitions/source.js";
import type { Status } from "../envelope.js";
import type { PackBlock, PackSection } from "../pack/types.js";
import { normalizeLines } from "../render/normalize.js";
import { fallbackLabel, tokensFor, unknownNote } from "../render/value.js";
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { SourceTrace } from "../trace/types.js";
import { renderFresh } from "./online-read.js";
import type { Resolution } from "./resolution.js";

export interface RenderedBlockInfo {
  readonly rendered: SourceTrace["rendered"];
  readonly candidateTokens: number;
}

export function buildSections(
  compiled: Compiled,
  ordered: readonly Resolution[],
  now: number,
  tokenizer: Tokenizer,
  onTokenize: () => void,
  warnings: string[],
): { sections: PackSection[]; rendered: Map<string, RenderedBlockInfo> } {
  const bySection = new Map<string, { blocks: PackBlock[]; tierRank: number; priority: number }>();
  const rendered = new Map<string, RenderedBlockInfo>();
  const noteBlock = (resolution: Resolution, text: string): PackBlock => {
    const lines = normalizeLines(text);
    return {
      source: resolution.source.name,
      tier: resolution.source.tier,
      priority: resolution.source.priority,
      required: false,
      kind: "note",
      keep: "head",
      lines,
      tokens: lines.map((line) => cachedCount(tokenizer, `${line}\n`, onTokenize)),
    };
  };
  for (const resolution of ordered) {
    const { source } = resolution;
    let block: PackBlock | undefined;
    let how: SourceTrace["rendered"] = "none";
    if (resolution.status === "ok" && resolution.lines && resolution.tokens) {
      block = valueBlock(resolution, resolution.lines, resolution.tokens);
      how = "value";
    } else if (resolution.status === "empty") {
      block = noteBlock(resolution, source.renderEmpty(resolution.emptyReason));
      how = "empty";
    } else if (resolution.status !== "ok") {
      const policy = source.onUnavailable;
      if (policy === "fallback") {
        const fallback = fallbackContent(resolution, tokenizer, onTokenize);
        if (fallback) {
          const ageMs = fallback.eventTime === undefined ? undefined : Math.max(0, now - fallback.eventTime);
          const label = normalizeLines(fallbackLabel(source.label, ageMs));
          block = {
            ...valueBlock(resolution, fallback.lines, fallback.tokens),
            required: false,
            suffix: label,
          };
          how = "fallback";
          warnings.push(
            `${source.name}: ${resolution.status}; rendered the last known value (${ageMs === undefined ? "age unknown" : formatDuration(ageMs)} old) under the fallback policy.`,
          );
        } else {
          block = noteBlock(
            resolution,
            unknownNote(source.label, resolution.status as Exclude<Status, "ok" | "empty">),
          );
          how = "note";
        }
      } else if (policy === "note" || policy === "fail") {
        block = noteBlock(
          resolution,
          unknownNote(source.label, resolution.status as Exclude<Status, "ok" | "empty">),
        );
        how = "note";
      }
    }
    if (!block || block.lines.length === 0) {
      rendered.set(source.name, { rendered: how === "value" ? "value" : "none", candidateTokens: 0 });
      continue;
    }
    const suffixTokens = (block.suffix ?? []).reduce(
      (sum, line) => sum + cachedCount(tokenizer, `${line}\n`, onTokenize),
      0,
    );
    rendered.set(source.name, { rendered: how, candidateTokens: sum(block.tokens) + suffixTokens });
    const title = source.section.title;
    const entry = bySection.get(title) ?? {
      blocks: [],
      tierRank: TIER_RANK[source.tier],
      priority: source.priority,
    };
    entry.blocks.push(block);
    entry.tierRank = Math.min(entry.tierRank, TIER_RANK[source.tier]);
    entry.priority = Math.max(entry.priority, source.priority);
    bySection.set(title, entry);
  }
  const sections: PackSection[] = [];
  for (const [title, entry] of bySection) {
    const definition = compiled.sections.get(title);
    sections.push({
      title,
      priority: definition?.priority ?? entry.priority,
      tierRank: entry.tierRank,
      ...(definition?.minTokens === undefined ? {} : { minTokens: definition.minTokens }),
      ...(definition?.maxTokens === undefined ? {} : { maxTokens: definition.maxTokens }),
      blocks: entry.blocks,
    });
  }
  return { sections, rendered };
}

function valueBlock(resolution: Resolution, lines: readonly string[], tokens: readonly number[]): PackBlock {
  const { source } = resolution;
  return {
    source: source.name,
    tier: source.tier,
    priority: source.priority,
    required: source.required,
    kind: resolution.kind ?? "text",
    // Stream windows read oldest -> newest, so the newest are at the end; ranked lists keep the head.
    keep: source.tier === "stream" ? "tail" : "head",
    lines,
    tokens,
  };
}

function fallbackContent(
  resolution: Resolution,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): { lines: readonly string[]; tokens: readonly number[]; eventTime: number | undefined } | undefined {
  if (resolution.status === "stale" && resolution.lines && resolution.tokens && resolution.lines.length > 0) {
    return { lines: resolution.lines, tokens: resolution.tokens, eventTime: resolution.eventTime };
  }
  if (resolution.fallback) {
    const rendered = renderFresh(resolution.source, resolution.fallback.value, tokenizer, onTokenize);
    resolution.kind = rendered.kind;
    return {
      lines: rendered.lines,
      tokens: tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize),
      eventTime: resolution.fallback.eventTime,
    };
  }
  return undefined;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
