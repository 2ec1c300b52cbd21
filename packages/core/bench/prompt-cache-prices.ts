// The price arithmetic of the prompt.cache bench, apart from the simulation so it can be tested:
// how one request's input tokens are billed by each provider's prompt cache, and what a day of such
// requests costs with and without it.

/**
 * Published list prices at launch (USD per million input tokens): OpenAI GPT-4.1 (April 2025; cached
 * input 75% off, automatic for prefixes of 1,024 tokens or more, reused in 128-token steps) and
 * Anthropic Claude Sonnet 4 (May 2025; cache reads 10% of input, 5-minute cache writes 125%, a
 * breakpoint marks where the cached prefix ends, 1,024 tokens at least). Not re-checked from this
 * machine (no internet): check the providers' pages before quoting a cost.
 */
export const PRICES = {
  date: "launch list prices, 2025-04 (OpenAI) and 2025-05 (Anthropic)",
  openai: { model: "gpt-4.1", input: 2.0, cachedInput: 0.5, minPrefix: 1_024, step: 128, ttlMs: 5 * 60_000 },
  anthropic: {
    model: "claude-sonnet-4",
    input: 3.0,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    minPrefix: 1_024,
    ttlMs: 5 * 60_000,
  },
} as const;

/** One request, as the caches see it. */
export interface CacheRequest {
  /** The prompt's tokens. */
  readonly tokens: number;
  /** Tokens of the prompt that are a byte-identical prefix of the same user's previous prompt (whole lines). */
  readonly prefix: number;
  /** Tokens up to the end of the stable prefix, where the Anthropic breakpoint is placed. */
  readonly stable: number;
  /** Whether the stable prefix (system prompt included) is byte-identical to the previous request's. */
  readonly sameStable: boolean;
  /** Whether the previous request was within the cache's lifetime (5 minutes for both). */
  readonly warm: boolean;
}

/** How a request's input tokens are billed. Each provider's parts add up to `tokens`. */
export interface CacheBill {
  readonly openai: { readonly cached: number; readonly uncached: number };
  readonly anthropic: { readonly read: number; readonly write: number; readonly uncached: number };
}

/**
 * OpenAI caches automatically: a warm prefix of 1,024 tokens or more is billed at the cached price,
 * rounded down to 128-token steps. Anthropic caches only at the breakpoint: a warm request whose
 * marked prefix is the one the previous request wrote reads all of it; otherwise the marked prefix
 * is written (when it is long enough to be cached at all) and nothing is read, however long the
 * shared part, because a cache entry exists only where a breakpoint was.
 */
export function billRequest(request: CacheRequest): CacheBill {
  const { tokens, prefix, stable } = request;
  const openaiCached =
    request.warm && prefix >= PRICES.openai.minPrefix
      ? Math.floor(Math.min(prefix, tokens) / PRICES.openai.step) * PRICES.openai.step
      : 0;
  const cacheable = stable >= PRICES.anthropic.minPrefix;
  const hit = cacheable && request.warm && request.sameStable && prefix >= stable;
  const anthropic = hit
    ? { read: stable, write: 0, uncached: tokens - stable }
    : cacheable
      ? { read: 0, write: stable, uncached: tokens - stable }
      : { read: 0, write: 0, uncached: tokens };
  return { openai: { cached: openaiCached, uncached: tokens - openaiCached }, anthropic };
}

/** USD of the billed tokens, without any cache (every token at the input price) and with it. */
export function inputCosts(bills: readonly CacheBill[]): {
  openai: { without: number; with: number };
  anthropic: { without: number; with: number };
} {
  const million = 1_000_000;
  let tokens = 0;
  let openaiWith = 0;
  let anthropicWith = 0;
  for (const bill of bills) {
    tokens += bill.openai.cached + bill.openai.uncached;
    openaiWith += bill.openai.uncached * PRICES.openai.input + bill.openai.cached * PRICES.openai.cachedInput;
    anthropicWith +=
      bill.anthropic.uncached * PRICES.anthropic.input +
      bill.anthropic.read * PRICES.anthropic.cacheRead +
      bill.anthropic.write * PRICES.anthropic.cacheWrite;
  }
  return {
    openai: { without: (tokens * PRICES.openai.input) / million, with: openaiWith / million },
    anthropic: { without: (tokens * PRICES.anthropic.input) / million, with: anthropicWith / million },
  };
}
