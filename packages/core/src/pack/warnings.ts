// The packer's warnings when the budget leaves out context the model should have had: every source
// (nothing fits) or a whole reserved section. Adapters surface them to the caller.
import { type Candidate, compareSectionsForOutput, type SectionState } from "./state.js";

/** The warning when blocks with content exist but none went in: never a silently empty context. */
export function nothingFits(candidates: readonly Candidate[], maxTokens: number): string[] {
  if (candidates.some((candidate) => candidate.placement !== undefined)) return [];
  const dropped = candidates.filter((candidate) => candidate.lines.length > 0);
  if (dropped.length === 0) return [];
  const names = dropped.map(
    (candidate) =>
      `${candidate.block.source} (${candidate.wholeTokens + candidate.section.headingTokens} tokens)`,
  );
  const smallest = Math.min(
    ...dropped.map((candidate) => candidate.wholeTokens + candidate.section.headingTokens),
  );
  return [
    `${NOTHING_FITS_PREFIX}: the budget of ${maxTokens} tokens left out every source, so the context is empty. Dropped: ${names.join(", ")}. Raise budget.maxTokens (the smallest source needs ${smallest} tokens with its heading) or lower sections' maxTokens caps.`,
  ];
}

/** How the nothing-fits warning starts (adapters look for it). */
export const NOTHING_FITS_PREFIX = "Nothing fits";

/** How the reserved-section warning starts (adapters look for it). */
export const RESERVED_LEFT_OUT_PREFIX = "Reserved section left out";

/**
 * Whether a warning says the budget left context out that the model should have had: every source
 * (NOTHING_FITS_PREFIX) or a whole reserved section (RESERVED_LEFT_OUT_PREFIX). Adapters surface
 * these to the caller (call warnings, callback events, response headers), not only in the trace.
 */
export function isContextLeftOutWarning(warning: string): boolean {
  return warning.startsWith(NOTHING_FITS_PREFIX) || warning.startsWith(RESERVED_LEFT_OUT_PREFIX);
}

/**
 * The warning when a reserved section is left out whole: a section that sets `minTokens` > 0 or
 * holds a required block (the author said it matters) but none of whose blocks with content went
 * in. Required blocks themselves always go in or pack() throws, so in practice this names the
 * `minTokens` sections a budget (or their own maxTokens) could not hold: the reserve is taken only
 * from what the required content leaves, and reserves of higher-priority sections come first.
 */
export function reservedSectionsLeftOut(
  sections: readonly SectionState[],
  candidates: readonly Candidate[],
  maxTokens: number,
): string[] {
  // Required blocks are placed whole or pack() has thrown, so only a minTokens section can be left
  // out whole; most packs have none, and then this costs one pass over the sections.
  const reserving = sections.filter((section) => (section.input.minTokens ?? 0) > 0);
  if (reserving.length === 0) return [];
  const warnings: string[] = [];
  for (const section of reserving.sort(compareSectionsForOutput)) {
    const own = candidates.filter((candidate) => candidate.section === section && candidate.lines.length > 0);
    if (own.length === 0 || own.some((candidate) => candidate.placement !== undefined)) continue;
    const names = own.map(
      (candidate) =>
        `${candidate.block.source} (${candidate.wholeTokens + section.headingTokens} tokens, ${candidate.dropReason ?? "budget"})`,
    );
    warnings.push(
      `${RESERVED_LEFT_OUT_PREFIX}: section "${section.input.title}" (minTokens ${section.input.minTokens}) is not in the context, the budget of ${maxTokens} tokens left out all of it. Dropped: ${names.join(", ")}. Raise budget.maxTokens, lower the priority or minTokens of the sections ahead of it, or shorten what its sources render.`,
    );
  }
  return warnings;
}
