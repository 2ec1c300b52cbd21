// The token budget for one call's packed context: fixed, or whatever the model's context window has
// left once the prompt and the reply are accounted for.
import { CtxError } from "@ctxstore/core";
import { type ContextPlacement, countPromptTokens, type PromptMessage } from "./prompt.js";
import type { TokenCounter } from "./token-count-cache.js";

/**
 * The middleware's `budget` option: a fixed `maxTokens`, a `contextWindow` the budget is derived from
 * per call (what the prompt leaves free), or both (then `maxTokens` caps it). Tokens are counted in
 * the context store's encoding.
 */
export interface BudgetOptions {
  /** Largest packed context in tokens. Alone, a fixed budget; with `contextWindow`, a cap. */
  maxTokens?: number;
  /**
   * The model's context window in tokens. The budget becomes the window minus the tokens already in
   * the prompt (messages and tool definitions) minus the reply's `maxOutputTokens` minus `reserveTokens`.
   */
  contextWindow?: number;
  /** Reply tokens to keep free when a call sets no `maxOutputTokens`. Default 1024. */
  defaultOutputTokens?: number;
  /** Headroom for what is estimated rather than counted exactly (framing, files, other model families). Default 64. */
  reserveTokens?: number;
  /** Framing tokens counted per message. Default 4. */
  tokensPerMessage?: number;
  /** Tokens assumed per file or image part. Default 1024. */
  tokensPerFile?: number;
}

export interface ResolvedBudgetOptions {
  readonly maxTokens: number | undefined;
  readonly contextWindow: number | undefined;
  readonly defaultOutputTokens: number;
  readonly reserveTokens: number;
  readonly tokensPerMessage: number;
  readonly tokensPerFile: number;
}

/** Validates the middleware's `budget` option once, at construction. */
export function resolveBudgetOptions(budget: BudgetOptions | undefined): ResolvedBudgetOptions {
  const fail = (message: string): never => {
    throw new CtxError("CTX_CONFIG", `contextMiddleware: ${message}`, { budget });
  };
  if (budget === null || typeof budget !== "object") {
    fail(
      "`budget` is required: { maxTokens: 1500 } for a fixed budget, or { contextWindow: 128000 } to use what the prompt leaves free.",
    );
  }
  const checked = budget as BudgetOptions;
  const positive = (name: keyof BudgetOptions, value: unknown, allowZero = false) => {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
      fail(
        `\`budget.${name}\` must be ${allowZero ? "a non-negative" : "a positive"} integer; got ${JSON.stringify(value)}.`,
      );
    }
  };
  positive("maxTokens", checked.maxTokens);
  positive("contextWindow", checked.contextWindow);
  positive("defaultOutputTokens", checked.defaultOutputTokens, true);
  positive("reserveTokens", checked.reserveTokens, true);
  positive("tokensPerMessage", checked.tokensPerMessage, true);
  positive("tokensPerFile", checked.tokensPerFile, true);
  if (checked.maxTokens === undefined && checked.contextWindow === undefined) {
    fail(
      "`budget` needs `maxTokens` (a fixed budget) or `contextWindow` (the budget is what the prompt leaves free), or both.",
    );
  }
  return {
    maxTokens: checked.maxTokens,
    contextWindow: checked.contextWindow,
    defaultOutputTokens: checked.defaultOutputTokens ?? 1024,
    reserveTokens: checked.reserveTokens ?? 64,
    tokensPerMessage: checked.tokensPerMessage ?? 4,
    tokensPerFile: checked.tokensPerFile ?? 1024,
  };
}

export interface BudgetInput {
  readonly prompt: readonly PromptMessage[];
  readonly tools: readonly unknown[] | undefined;
  readonly maxOutputTokens: number | undefined;
  readonly placement: ContextPlacement;
  /** From the call's request; replaces the configured `maxTokens`. */
  readonly requestedMaxTokens: number | undefined;
  /** System messages the context may take (2 with a cache breakpoint). Default 1. */
  readonly contextMessages?: number | undefined;
}

export interface BudgetDecision {
  readonly maxTokens: number;
  /** Present when the budget was derived from the context window. */
  readonly derivation?: {
    readonly contextWindow: number;
    readonly promptTokens: number;
    readonly outputTokens: number;
    readonly reserveTokens: number;
    readonly framingTokens: number;
  };
}

export function decideBudget(
  options: ResolvedBudgetOptions,
  input: BudgetInput,
  counter: TokenCounter,
): BudgetDecision {
  const fixed = input.requestedMaxTokens ?? options.maxTokens;
  if (options.contextWindow === undefined) return { maxTokens: fixed as number };
  const promptTokens = countPromptTokens(input.prompt, input.tools, counter, options).total;
  const outputTokens = input.maxOutputTokens ?? options.defaultOutputTokens;
  // The context's own framing: a new message, or the blank line that separates it from the user's text.
  const framingTokens =
    input.placement === "system" ? options.tokensPerMessage * (input.contextMessages ?? 1) : 1;
  const free = options.contextWindow - promptTokens - outputTokens - options.reserveTokens - framingTokens;
  const derivation = {
    contextWindow: options.contextWindow,
    promptTokens,
    outputTokens,
    reserveTokens: options.reserveTokens,
    framingTokens,
  };
  if (free < 1) {
    throw new CtxError(
      "CTX_BUDGET_TOO_SMALL",
      `No room for context: the ${options.contextWindow}-token window holds a prompt of about ${promptTokens} tokens, ` +
        `${outputTokens} reserved for the reply and ${options.reserveTokens} of headroom. Shorten the conversation, lower maxOutputTokens or raise budget.contextWindow.`,
      derivation,
    );
  }
  return { maxTokens: fixed === undefined ? free : Math.min(fixed, free), derivation };
}
