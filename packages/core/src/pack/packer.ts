// Packs rendered blocks into one prompt under an exact token budget.
//
// Why the budget can be exact without tokenizing the prompt: every prompt line ends with one "\n" and
// follows the rules in render/normalize.ts, so the token count of the whole text is the sum of its
// lines' counts. Content lines arrive with counts computed at write time; the few strings the packer
// generates itself (headings, truncation markers, suffix labels) are counted once per process and
// memoised, so steady-state packing makes no tokenizer calls at all.
//
// The algorithm, in order:
// 1. required blocks go in whole (or `pack` throws CTX_BUDGET_TOO_SMALL naming what did not fit);
// 2. sections with `minTokens` reserve up to that many tokens for their own blocks;
// 3. the other blocks are placed greedily by priority; a block that does not fit whole is truncated
//    (lists by whole items, text by lines, sentences, then tokens) or dropped, and once a block is
//    dropped for the budget no lower-priority block of its size or larger is kept.
//
// The reserve rule: a reserve guarantees at most `minTokens` to its section, never more. Beyond it,
// blocks compete by priority across sections: after a block was dropped for the budget, a
// lower-priority block of its size or larger is kept only inside what remains of its own section's
// reserve (truncated to it if need be), never by drawing on the shared pool as well. So a 10-token
// reserve cannot carry a low-priority 100-token block in ahead of a high-priority one.
// When the budget leaves out every block with content, the output carries a warning naming them;
// when it leaves out every block of a reserved section (`minTokens` > 0, or a required source), a
// warning names that section and its sources (reservedSectionsLeftOut).
// The output is then written section by section, from the most stable tier to the most volatile.
// In the `xml` format a section's heading is its opening and closing tag (their cost is reserved
// the same way, at the dearer of its two status values) and each line is its original text escaped
// for XML only, without the Markdown escapes it is stored with (recounted when that changed it).

import type { Tier } from "../definitions/source.js";
import { sectionLimitProblem } from "../definitions/source.js";
import { CtxError } from "../errors.js";
import { normalizeOwnLines } from "../render/normalize.js";
import { CountingTokenizer } from "./counting-tokenizer.js";
import { cutLine, type LinePiece, TEXT_MARKER } from "./cut-line.js";
import { isNormalLine, repairLine, xmlEscape, xmlLine } from "./line-safety.js";
import {
  type Candidate,
  compareForPlacement,
  compareSectionsByPriority,
  compareSectionsForOutput,
  compareWithinSection,
  type Placement,
  type SectionState,
} from "./state.js";
import type {
  PackBlock,
  PackedBlock,
  PackedSection,
  PackInput,
  PackOutput,
  PackSection,
  RenderFormat,
} from "./types.js";
import { nothingFits, reservedSectionsLeftOut } from "./warnings.js";

/**
 * Chooses what goes into the prompt under `maxTokens` and writes it. Pure and deterministic: the same
 * input gives byte-identical output. The exact token count of `text` equals `tokens` and never exceeds
 * `maxTokens`, provided each block's `tokens` are the counts of its lines (see PackBlock).
 */
export function pack(input: PackInput): PackOutput {
  validateBudget(input.maxTokens);
  const tokenizer = new CountingTokenizer(input.tokenizer);

  const format = input.format ?? "markdown";
  const sections = input.sections.map((section, index) => prepareSection(section, index, tokenizer, format));
  const candidates: Candidate[] = [];
  for (const section of sections) {
    for (const block of section.input.blocks)
      candidates.push(prepareCandidate(block, candidates.length, section, tokenizer, format));
  }
  const greedyOrder = [...candidates].sort(compareForPlacement);

  const remaining = input.maxTokens - placeRequired(greedyOrder, input.maxTokens);

  const optional = greedyOrder.filter(
    (candidate) => !candidate.block.required && candidate.placement === undefined,
  );
  for (const candidate of optional) {
    if (candidate.lines.length === 0) candidate.dropReason = "no content";
    else candidate.section.pending++;
  }

  // Sections with minTokens get first claim on their share: it is held out of the general pool.
  let reserved = 0;
  for (const section of [...sections].sort(compareSectionsByPriority)) {
    const minTokens = section.input.minTokens;
    if (minTokens === undefined || section.pending === 0) continue;
    const claim = Math.max(0, Math.min(minTokens, section.cap) - section.used);
    let demand = section.opened ? 0 : section.headingTokens;
    for (const candidate of optional) {
      if (candidate.section === section && candidate.dropReason === undefined)
        demand += candidate.wholeTokens;
    }
    section.reserve = Math.max(0, Math.min(claim, demand, remaining - reserved));
    reserved += section.reserve;
  }
  let general = remaining - reserved;

  // Once a block was refused for lack of budget, a lower-priority block is kept only if it is smaller:
  // otherwise a lower priority could win just by landing in a section whose heading is already paid.
  // (Blocks drawing only on their section's minTokens reserve are exempt: that claim is the point of it.)
  let smallestRefused = Number.POSITIVE_INFINITY;
  for (const candidate of optional) {
    if (candidate.dropReason !== undefined) continue;
    const section = candidate.section;
    const pool = general + section.reserve;
    const capLeft = section.cap - section.used;
    const available = Math.min(pool, capLeft);
    const capBinds = capLeft < pool;
    // A block that must yield to a refused higher-priority one may still use its section's reserve,
    // and only that (the reserve rule above).
    const yieldsToRefused = candidate.wholeTokens >= smallestRefused;
    const limit = yieldsToRefused ? Math.min(section.reserve, capLeft) : available;
    const reason = capBinds && !yieldsToRefused ? `section maxTokens ${section.cap}` : "budget";

    let placement: Placement | undefined;
    if (limit > 0) {
      const headingCost = section.opened ? 0 : section.headingTokens;
      placement = placeBlock(candidate, limit - headingCost, reason, tokenizer, format);
    }
    if (placement === undefined) {
      candidate.dropReason = reason;
      if (reason === "budget") smallestRefused = Math.min(smallestRefused, candidate.wholeTokens);
    } else {
      const cost = placement.tokens + (section.opened ? 0 : section.headingTokens);
      candidate.placement = placement;
      section.opened = true;
      section.used += cost;
      const fromReserve = Math.min(cost, section.reserve);
      section.reserve -= fromReserve;
      general -= cost - fromReserve;
    }
    section.pending--;
    if (section.pending === 0) {
      general += section.reserve;
      section.reserve = 0;
    }
  }
  return write(sections, candidates, tokenizer, input.maxTokens, format);
}

function validateBudget(maxTokens: number): void {
  if (!Number.isSafeInteger(maxTokens) || maxTokens <= 0) {
    throw new CtxError(
      "CTX_INVALID_BUDGET",
      `maxTokens must be a positive integer (got ${String(maxTokens)}): pass a whole number of tokens such as 2000.`,
      { maxTokens },
    );
  }
}

function prepareSection(
  section: PackSection,
  index: number,
  tokenizer: CountingTokenizer,
  format: RenderFormat,
): SectionState {
  const title = section.title.replace(/[\s\p{Cc}]+/gu, " ").trim();
  if (title.length === 0) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `Section ${index} has an empty title: give every section a one-line title.`,
      {
        section: section.title,
      },
    );
  }
  for (const limit of ["minTokens", "maxTokens"] as const) {
    const problem = sectionLimitProblem(limit, section[limit]);
    if (problem !== undefined) {
      throw new CtxError("CTX_INVALID_BUDGET", `Section "${title}": ${problem}`, {
        section: section.title,
        [limit]: section[limit],
      });
    }
  }
  if (format === "xml") {
    const tier = TIER_NAMES[section.tierRank] ?? "batch";
    const open = (status: string) =>
      `<section name="${xmlEscape(title, true)}" tier="${tier}" status="${status}">`;
    const closing = "</section>";
    return {
      index,
      input: section,
      heading: open("complete"),
      closing,
      headingTokens:
        Math.max(tokenizer.countLine(open("complete")), tokenizer.countLine(open("partial"))) +
        tokenizer.countLine(closing),
      cap: section.maxTokens ?? Number.POSITIVE_INFINITY,
      used: 0,
      opened: false,
      reserve: 0,
      pending: 0,
    };
  }
  const heading = `## ${title}`;
  return {
    index,
    input: section,
    heading,
    closing: "",
    headingTokens: tokenizer.countLine(heading),
    cap: section.maxTokens ?? Number.POSITIVE_INFINITY,
    used: 0,
    opened: false,
    reserve: 0,
    pending: 0,
  };
}

function prepareCandidate(
  block: PackBlock,
  index: number,
  section: SectionState,
  tokenizer: CountingTokenizer,
  format: RenderFormat,
): Candidate {
  if (block.lines.length !== block.tokens.length) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `Block "${block.source}" has ${block.lines.length} lines but ${block.tokens.length} token counts: give one count per line.`,
      { source: block.source },
    );
  }
  if (!Number.isFinite(block.priority)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `Block "${block.source}" has priority ${String(block.priority)}: use a number from 0 to 100.`,
      {
        source: block.source,
      },
    );
  }
  // Lines should arrive normalised with their counts; anything else is repaired and recounted here,
  // because a stray "\n" or a leading "#" would break both the count and the section structure.
  // In the `xml` format each line is then rewritten for XML (xmlLine) and recounted when that changed it.
  const xml = format === "xml";
  const own = block.kind === "note";
  let lines: string[] | undefined;
  let counts: number[] | undefined;
  let contentTokens = 0;
  for (let position = 0; position < block.lines.length; position++) {
    const line = block.lines[position] as string;
    const count = block.tokens[position] as number;
    // Every line has at least one token (its "\n"), so 0 means the counts are not this line's.
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `Block "${block.source}" line ${position} has token count ${String(count)}: counts are positive integers from tokenizer.count(line + "\\n").`,
        { source: block.source },
      );
    }
    const normal = isNormalLine(line, own);
    const repaired = normal ? line : repairLine(line, own);
    const emitted = xml && repaired.length > 0 ? xmlLine(repaired, own) : repaired;
    if (lines === undefined && emitted === line) {
      contentTokens += count;
      continue;
    }
    if (lines === undefined || counts === undefined) {
      lines = block.lines.slice(0, position);
      counts = block.tokens.slice(0, position);
    }
    if (emitted.length === 0) continue;
    const emittedCount = emitted === line ? count : tokenizer.countLine(emitted);
    lines.push(emitted);
    counts.push(emittedCount);
    contentTokens += emittedCount;
  }
  const suffix: string[] = [];
  let suffixTokens = 0;
  // A suffix only ever follows content: a block without lines costs nothing and is dropped.
  for (const label of (lines ?? block.lines).length === 0 ? [] : (block.suffix ?? [])) {
    for (const normalised of normalizeOwnLines(label)) {
      const line = xml ? xmlLine(normalised, true) : normalised;
      suffix.push(line);
      suffixTokens += tokenizer.countLine(line);
    }
  }
  return {
    index,
    block,
    section,
    lines: lines ?? block.lines,
    counts: counts ?? block.tokens,
    contentTokens,
    suffix,
    suffixTokens,
    wholeTokens: contentTokens + suffixTokens,
  };
}

/**
 * Places every required block whole; returns the tokens they take, headings included. Required
 * content must fit both the budget and its section's maxTokens (a hard cap), or pack() throws.
 */
function placeRequired(greedyOrder: readonly Candidate[], maxTokens: number): number {
  let used = 0;
  let needed = 0;
  /** What each section's required content needs in all, heading included. */
  const sectionNeeds = new Map<SectionState, number>();
  const unfit: string[] = [];
  for (const candidate of greedyOrder) {
    if (!candidate.block.required) continue;
    if (candidate.lines.length === 0) {
      candidate.dropReason = "no content";
      continue;
    }
    const section = candidate.section;
    const sectionNeed = sectionNeeds.get(section);
    const need = candidate.wholeTokens + (sectionNeed === undefined ? section.headingTokens : 0);
    sectionNeeds.set(section, (sectionNeed ?? 0) + need);
    needed += need;
    const cost = candidate.wholeTokens + (section.opened ? 0 : section.headingTokens);
    if (used + cost > maxTokens || section.used + cost > section.cap) {
      unfit.push(candidate.block.source);
      continue;
    }
    used += cost;
    section.opened = true;
    section.used += cost;
    candidate.placement = {
      outcome: "included",
      lines: wholeLines(candidate),
      tokens: candidate.wholeTokens,
      keptLines: candidate.lines.length,
    };
  }
  if (unfit.length === 0) return used;

  const problems: string[] = [];
  if (needed > maxTokens)
    problems.push(`required content needs ${needed} tokens but the budget is ${maxTokens}`);
  const sections: Array<{ title: string; needed: number; maxTokens: number }> = [];
  for (const [section, sectionNeed] of sectionNeeds) {
    if (sectionNeed <= section.cap) continue;
    sections.push({ title: section.input.title, needed: sectionNeed, maxTokens: section.cap });
    problems.push(
      `section "${section.input.title}" needs ${sectionNeed} tokens for required content but its maxTokens is ${section.cap}`,
    );
  }
  throw new CtxError(
    "CTX_BUDGET_TOO_SMALL",
    `Required content does not fit: ${problems.join("; ")}. Did not fit: ${unfit.join(", ")}. ` +
      `Raise the budget (or the section's maxTokens) to what is needed, shorten what these sources render, ` +
      `or make them optional (required: false).`,
    { needed, budget: maxTokens, sources: unfit, ...(sections.length > 0 ? { sections } : {}) },
  );
}

/** The lines of a block included whole (no copy in the common case: no suffix). */
function wholeLines(candidate: Candidate): readonly string[] {
  return candidate.suffix.length === 0 ? candidate.lines : [...candidate.lines, ...candidate.suffix];
}

/** The block whole if it fits in `available` tokens, else truncated per its kind, else undefined. */
function placeBlock(
  candidate: Candidate,
  available: number,
  reason: string,
  tokenizer: CountingTokenizer,
  format: RenderFormat,
): Placement | undefined {
  if (candidate.wholeTokens <= available) {
    return {
      outcome: "included",
      lines: wholeLines(candidate),
      tokens: candidate.wholeTokens,
      keptLines: candidate.lines.length,
    };
  }
  const contentAllowance = available - candidate.suffixTokens;
  if (contentAllowance <= 0) return undefined;
  switch (candidate.block.kind) {
    case "note":
      return undefined;
    case "list":
      return truncateList(candidate, contentAllowance, reason, tokenizer);
    case "text":
      return truncateText(candidate, contentAllowance, reason, tokenizer, format);
  }
}

function listMarker(hidden: number, keep: "head" | "tail"): string {
  const items = hidden === 1 ? "item" : "items";
  return keep === "tail"
    ? `[… ${hidden} earlier ${items} not shown]`
    : `[… ${hidden} more ${items} not shown]`;
}

/** Keeps whole items from the `keep` end; the marker stands where the hidden items were. */
function truncateList(
  candidate: Candidate,
  allowance: number,
  reason: string,
  tokenizer: CountingTokenizer,
): Placement | undefined {
  const { lines, counts } = candidate;
  const keep = candidate.block.keep;
  const total = lines.length;
  // kept[k] = tokens of the k items nearest the kept end.
  let keptTokens = 0;
  let fittingItems = 0;
  const kept: number[] = [0];
  for (let k = 1; k < total; k++) {
    keptTokens += counts[keep === "head" ? k - 1 : total - k] as number;
    if (keptTokens + 1 > allowance) break;
    kept.push(keptTokens);
    fittingItems = k;
  }
  for (let k = fittingItems; k >= 1; k--) {
    const marker = listMarker(total - k, keep);
    const tokens = (kept[k] as number) + tokenizer.countLine(marker) + candidate.suffixTokens;
    if (tokens - candidate.suffixTokens > allowance) continue;
    const content = keep === "head" ? [...lines.slice(0, k), marker] : [marker, ...lines.slice(total - k)];
    return { outcome: "truncated", lines: [...content, ...candidate.suffix], tokens, keptLines: k, reason };
  }
  return undefined;
}

/**
 * Keeps whole lines from the `keep` end, then whole sentences of the next line, and cuts that line at a
 * token boundary only when not even one sentence fits.
 */
function truncateText(
  candidate: Candidate,
  allowance: number,
  reason: string,
  tokenizer: CountingTokenizer,
  format: RenderFormat,
): Placement | undefined {
  const { lines, counts } = candidate;
  const keep = candidate.block.keep;
  const total = lines.length;
  const markerTokens = tokenizer.countLine(TEXT_MARKER);
  const contentAllowance = allowance - markerTokens;
  if (contentAllowance <= 0) return undefined;
  let wholeLines = 0;
  let wholeTokens = 0;
  while (wholeLines < total) {
    const next = counts[keep === "head" ? wholeLines : total - 1 - wholeLines] as number;
    if (wholeTokens + next > contentAllowance) break;
    wholeTokens += next;
    wholeLines++;
  }
  let piece: LinePiece | undefined;
  if (wholeLines < total) {
    const partial = lines[keep === "head" ? wholeLines : total - 1 - wholeLines] as string;
    piece = cutLine(partial, contentAllowance - wholeTokens, keep, tokenizer, format);
  }
  if (wholeLines === 0 && piece === undefined) return undefined;
  const keptLines = keep === "head" ? lines.slice(0, wholeLines) : lines.slice(total - wholeLines);
  const content =
    keep === "head"
      ? [...keptLines, ...(piece ? [piece.text] : []), TEXT_MARKER]
      : [TEXT_MARKER, ...(piece ? [piece.text] : []), ...keptLines];
  return {
    outcome: "truncated",
    lines: [...content, ...candidate.suffix],
    tokens: wholeTokens + (piece?.tokens ?? 0) + markerTokens + candidate.suffixTokens,
    keptLines: wholeLines + (piece ? 1 : 0),
    reason,
  };
}

function write(
  sections: readonly SectionState[],
  candidates: readonly Candidate[],
  tokenizer: CountingTokenizer,
  maxTokens: number,
  format: RenderFormat,
): PackOutput {
  const packedSections: PackedSection[] = [];
  const parts: string[] = [];
  let totalTokens = 0;
  for (const section of [...sections].sort(compareSectionsForOutput)) {
    const included = candidates
      .filter((candidate) => candidate.section === section && candidate.placement !== undefined)
      .sort(compareWithinSection);
    if (included.length === 0) continue;
    const xml = format === "xml";
    const partial = candidates.some(
      (candidate) => candidate.section === section && candidate.placement?.outcome !== "included",
    );
    const heading =
      xml && partial
        ? section.heading.replace(/ status="complete">$/, ' status="partial">')
        : section.heading;
    let text = `${heading}\n`;
    let tokens = xml
      ? tokenizer.countLine(heading) + tokenizer.countLine(section.closing)
      : section.headingTokens;
    const sectionBlocks: { source: string; text: string; tokens: number }[] = [];
    for (const candidate of included) {
      const placement = candidate.placement as Placement;
      let blockText = "";
      const blockTokens = placement.tokens;
      for (const line of placement.lines) blockText += `${line}\n`;
      text += blockText;
      tokens += blockTokens;
      sectionBlocks.push({ source: candidate.block.source, text: blockText, tokens: blockTokens });
    }
    if (xml) text += `${section.closing}\n`;
    parts.push(text);
    totalTokens += tokens;
    packedSections.push({
      title: section.input.title,
      text,
      tokens,
      sources: included.map((candidate) => candidate.block.source),
      blocks: sectionBlocks,
    });
  }
  const blocks: PackedBlock[] = candidates.map((candidate) => {
    const placement = candidate.placement;
    const common = {
      source: candidate.block.source,
      section: candidate.section.input.title,
      candidateTokens: candidate.wholeTokens,
      totalLines: candidate.lines.length,
    };
    if (placement === undefined) {
      return {
        ...common,
        outcome: "dropped",
        tokens: 0,
        keptLines: 0,
        reason: candidate.dropReason ?? "budget",
      };
    }
    return {
      ...common,
      outcome: placement.outcome,
      tokens: placement.tokens,
      keptLines: placement.keptLines,
      ...(placement.reason === undefined ? {} : { reason: placement.reason }),
    };
  });
  const nothing = nothingFits(candidates, maxTokens);
  const warnings = nothing.length > 0 ? nothing : reservedSectionsLeftOut(sections, candidates, maxTokens);
  return {
    text: parts.join(""),
    tokens: totalTokens,
    sections: packedSections,
    blocks,
    tokenizerCalls: tokenizer.calls,
    warnings,
  };
}

const TIER_NAMES: readonly Tier[] = ["batch", "stream", "vector", "realtime"];
