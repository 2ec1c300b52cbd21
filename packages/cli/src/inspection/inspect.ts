// Runs one assembly for inspection and shapes it for people and machines: the packed text, each
// section with its tier(s) and each source block with its status, the tokens by tier against the
// budget, and the full trace. `explain --json` and the inspector page read exactly this object.
import type { AssemblyTrace, ContextStore, SourceTrace, Status, Tier } from "@ctxstore/core";
import { type InspectionRequest, toAssembleRequest } from "./request.js";

export const TIERS: readonly Tier[] = ["batch", "stream", "realtime", "vector"];

/** One source's block in an inspected section: its tier, status, what was rendered, its text and tokens. */
export interface InspectedBlock {
  readonly source: string;
  readonly tier: Tier;
  readonly status: Status;
  readonly rendered: SourceTrace["rendered"];
  readonly text: string;
  readonly tokens: number;
}

/** One section of an inspected prompt: title, tiers, tokens and its source blocks in prompt order. */
export interface InspectedSection {
  readonly title: string;
  /** Tiers of the sources in this section, most stable first. */
  readonly tiers: readonly Tier[];
  readonly tokens: number;
  readonly blocks: readonly InspectedBlock[];
}

export interface InspectedSource extends SourceTrace {
  /** The source's freshness limit, for "age vs maxAge". */
  readonly maxAgeMs: number | undefined;
}

/**
 * What `inspect` returns, and what `ctxstore explain --json` prints and the inspector page shows: the
 * request, the packed text and its tokens against the budget, sections and sources with status and
 * freshness, tokens by tier, warnings and the full trace.
 */
export interface InspectionResult {
  readonly request: InspectionRequest;
  readonly text: string;
  readonly tokens: number;
  readonly budget: number;
  readonly sections: readonly InspectedSection[];
  readonly sources: readonly InspectedSource[];
  /** Included tokens per tier (the token bar). */
  readonly tokensByTier: Readonly<Record<Tier, number>>;
  readonly warnings: readonly string[];
  readonly trace: AssemblyTrace;
}

/**
 * Runs one assembly for inspection (waiting for the tokenizer first, not spending the request's
 * deadline on it) and shapes the result for people and machines. Errors are the assembly's
 * `CtxError`s (`CTX_REQUIRED_UNAVAILABLE`, `CTX_INVALID_KEY`...).
 *
 * ```ts
 * const result = await inspect(ctx, { keys: { user: { userId: "ana" } }, maxTokens: 1500 });
 * result.tokensByTier; // { batch, stream, realtime, vector }
 * ```
 */
export async function inspect(
  context: ContextStore,
  request: InspectionRequest,
  signal?: AbortSignal,
): Promise<InspectionResult> {
  // An operator's tool, not a request path: a freshly started process waits for the tokenizer
  // first, instead of spending the request's deadline on it (CTX_TIMEOUT).
  await context.ready();
  const result = await context.assemble(
    toAssembleRequest(request, signal),
    request.previewPurpose === undefined ? {} : { previewPurpose: request.previewPurpose },
  );
  const bySource = new Map(result.trace.sources.map((source) => [source.source, source]));
  const sections = result.sections.map((section): InspectedSection => {
    const blocks = section.blocks.map((block): InspectedBlock => {
      const trace = bySource.get(block.source);
      return {
        source: block.source,
        tier: trace?.tier ?? "batch",
        status: trace?.status ?? "ok",
        rendered: trace?.rendered ?? "value",
        text: block.text,
        tokens: block.tokens,
      };
    });
    const tiers = TIERS.filter((tier) => blocks.some((block) => block.tier === tier));
    return { title: section.title, tiers, tokens: section.tokens, blocks };
  });
  const tokensByTier = { batch: 0, stream: 0, realtime: 0, vector: 0 } as Record<Tier, number>;
  for (const source of result.trace.sources) {
    if (source.outcome === "included" || source.outcome === "truncated")
      tokensByTier[source.tier] += source.tokens;
  }
  return {
    request,
    text: result.text,
    tokens: result.tokens,
    budget: request.maxTokens,
    sections,
    sources: result.trace.sources.map((source) => ({
      ...source,
      maxAgeMs: context.sources.get(source.source)?.maxAgeMs,
    })),
    tokensByTier,
    warnings: result.trace.warnings,
    trace: result.trace,
  };
}
