// Turns ranked vector hits into a packer block: one prompt line per passage, best first, each with
// its citation so the model can name where an answer came from. Before rendering, near-duplicate
// chunks (the same paragraph indexed twice, mirrored pages) collapse into the best-scored one, and
// adjacent chunks of one document merge into one passage in document order, their overlap removed,
// so the model reads a continuous excerpt instead of shuffled fragments.

import type { Tokenizer } from "../tokenize/types.js";
import type { VectorHit } from "../vector/types.js";
import { normalizeItem } from "./normalize.js";

export interface VectorBlock {
  /** Normalised list lines (see render/normalize.ts), best passage first. */
  readonly lines: string[];
  /** Exact token count of `lines[i] + "\n"`. */
  readonly tokens: number[];
  /** One hit per line (merged passages carry the best score of their chunks), for the trace. */
  readonly hits: VectorHit[];
}

export interface VectorBlockOptions {
  /** Word-shingle Jaccard similarity at or above which two chunks count as duplicates. Default 0.85. */
  duplicateSimilarity?: number;
}

const MIN_OVERLAP_CHARS = 12;

/** Ranked hits to prompt lines for a `list` block with `keep: "head"` (best first). */
export function vectorHitsToBlock(
  hits: readonly VectorHit[],
  tokenizer: Tokenizer,
  options: VectorBlockOptions = {},
): VectorBlock {
  const passages = mergeAdjacent(collapseDuplicates(rank(hits), options.duplicateSimilarity ?? 0.85));
  const lines: string[] = [];
  const tokens: number[] = [];
  const kept: VectorHit[] = [];
  for (const passage of passages) {
    const line = normalizeItem(renderPassage(passage));
    if (line === undefined) continue;
    lines.push(line);
    tokens.push(countLine(tokenizer, `${line}\n`));
    kept.push(passage);
  }
  return { lines, tokens, hits: kept };
}

/** `Title (url): text`; the document id stands in when a chunk has neither title nor url. */
export function renderPassage(hit: VectorHit): string {
  const title = hit.title?.trim();
  const url = hit.url?.trim();
  const citation = title && url ? `${title} (${url})` : title || url || `[${hit.documentId}]`;
  return `${citation}: ${hit.text.trim()}`;
}

function rank(hits: readonly VectorHit[]): VectorHit[] {
  // Stable: equal scores keep the store's order.
  return hits
    .map((hit, position) => ({ hit, position }))
    .sort((a, b) => b.hit.score - a.hit.score || a.position - b.position)
    .map(({ hit }) => hit);
}

function collapseDuplicates(ranked: readonly VectorHit[], threshold: number): VectorHit[] {
  const kept: VectorHit[] = [];
  const keys = new Set<string>();
  const chunks = new Set<string>();
  const sizes: number[] = [];
  // Shingle -> kept passages containing it: only passages sharing shingles are compared, so a long
  // hit list costs time in proportion to its text, not to the square of its length.
  const holders = new Map<string, number[]>();
  for (const hit of ranked) {
    const words = hit.text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const key = words.join(" ");
    // Same document and chunk index: a store returned the same chunk twice.
    const chunk = `${hit.documentId}\u0000${hit.chunkIndex}`;
    if (keys.has(key) || chunks.has(chunk)) continue;
    const shingles = new Set<string>();
    for (let index = 0; index + 3 <= words.length; index++)
      shingles.add(`${words[index]} ${words[index + 1]} ${words[index + 2]}`);
    if (words.length < 3) shingles.add(key);
    const shared = new Map<number, number>();
    for (const shingle of shingles)
      for (const holder of holders.get(shingle) ?? []) shared.set(holder, (shared.get(holder) ?? 0) + 1);
    let duplicate = false;
    for (const [holder, count] of shared) {
      if (count / (shingles.size + (sizes[holder] as number) - count) >= threshold) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    const position = kept.length;
    kept.push(hit);
    keys.add(key);
    chunks.add(chunk);
    sizes.push(shingles.size);
    for (const shingle of shingles) {
      const list = holders.get(shingle);
      if (list) list.push(position);
      else holders.set(shingle, [position]);
    }
  }
  return kept;
}

/** Runs of consecutive chunk indexes of one document become one passage, placed at its best rank. */
function mergeAdjacent(ranked: readonly VectorHit[]): VectorHit[] {
  const byDocument = new Map<string, Array<{ hit: VectorHit; rank: number }>>();
  ranked.forEach((hit, position) => {
    const group = byDocument.get(hit.documentId);
    if (group) group.push({ hit, rank: position });
    else byDocument.set(hit.documentId, [{ hit, rank: position }]);
  });
  const passages: Array<{ hit: VectorHit; rank: number }> = [];
  for (const group of byDocument.values()) {
    group.sort((a, b) => a.hit.chunkIndex - b.hit.chunkIndex);
    let run = [group[0] as { hit: VectorHit; rank: number }];
    const flush = () => passages.push(mergeRun(run));
    for (const member of group.slice(1)) {
      const last = run[run.length - 1] as { hit: VectorHit };
      if (member.hit.chunkIndex === last.hit.chunkIndex + 1) run.push(member);
      else {
        flush();
        run = [member];
      }
    }
    flush();
  }
  return passages.sort((a, b) => a.rank - b.rank).map(({ hit }) => hit);
}

function mergeRun(run: ReadonlyArray<{ hit: VectorHit; rank: number }>): { hit: VectorHit; rank: number } {
  const first = run[0] as { hit: VectorHit; rank: number };
  if (run.length === 1) return first;
  let text = first.hit.text;
  let score = first.hit.score;
  let bestRank = first.rank;
  for (const member of run.slice(1)) {
    text = joinOverlapping(text, member.hit.text);
    score = Math.max(score, member.hit.score);
    bestRank = Math.min(bestRank, member.rank);
  }
  // The merged text has no precomputed count: drop `tokens` rather than carry a wrong one.
  const { tokens: _tokens, ...rest } = first.hit;
  return { hit: { ...rest, text, score }, rank: bestRank };
}

/**
 * Joins two consecutive chunks, dropping the overlap the chunker repeated at the start of `next`
 * (the longest suffix of `previous` that is a prefix of `next`, at least a few characters long).
 */
export function joinOverlapping(previous: string, next: string): string {
  const probeLength = Math.min(MIN_OVERLAP_CHARS, next.length);
  if (probeLength > 0) {
    const probe = next.slice(0, probeLength);
    const earliest = Math.max(0, previous.length - next.length);
    let position = previous.indexOf(probe, earliest);
    while (position !== -1) {
      const overlap = previous.length - position;
      if (next.startsWith(previous.slice(position))) return previous + next.slice(overlap);
      position = previous.indexOf(probe, position + 1);
    }
  }
  if (/\s$/.test(previous) || /^\s/.test(next)) return previous + next;
  return `${previous} ${next}`;
}

// Exact counts of rendered lines, remembered per tokenizer: the same passages come back for similar
// questions, and tokenizing a few hundred tokens per line is the only real cost of this module.
const lineCounts = new WeakMap<Tokenizer, Map<string, number>>();
const MAX_REMEMBERED_LINES = 4_096;

function countLine(tokenizer: Tokenizer, line: string): number {
  let counts = lineCounts.get(tokenizer);
  if (!counts) {
    counts = new Map();
    lineCounts.set(tokenizer, counts);
  }
  const known = counts.get(line);
  if (known !== undefined) return known;
  const count = tokenizer.count(line);
  if (counts.size >= MAX_REMEMBERED_LINES) counts.clear();
  counts.set(line, count);
  return count;
}
