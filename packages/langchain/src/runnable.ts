// contextRunnable: the packed context as an LCEL step. Its input is the chain's input (a question
// string, or an object holding one), its output the packed text, so it slots into
// `RunnablePassthrough.assign({ context: contextRunnable(...) })` ahead of a ChatPromptTemplate.
// invoke, batch and stream all work (batch runs one assembly per input, each with its own keys).
import { CtxError, mergeRequestLayers } from "@ctxstore/core";
import { type Runnable, type RunnableConfig, RunnableLambda } from "@langchain/core/runnables";
import {
  type CallOptions,
  type ContextRequestOptions,
  checkAdapterOptions,
  type EntityKeys,
  readCallOptions,
} from "./request.js";
import { emitTrace } from "./trace-event.js";

/**
 * What the runnable accepts: the question itself, or a request-shaped object such as the chain's
 * input. From an object it reads the question from `query`, `question` or `input` (first string
 * found), entity keys from `keys`, and other per-call request fields from `ctxstore` (same shape as
 * `config.configurable.ctxstore`).
 */
export type ContextInput =
  | string
  | {
      readonly query?: string;
      readonly question?: string;
      readonly input?: string;
      /** Entity keys for this input (a request-shaped input: `{ query, keys }`). */
      readonly keys?: EntityKeys;
      /** Per-input request fields, same shape as `config.configurable.ctxstore`. */
      readonly ctxstore?: CallOptions;
      readonly [field: string]: unknown;
    };

export interface ContextRunnableOptions<Input> extends ContextRequestOptions {
  /** Picks the question from the input, when the default (string, `query`, `question`, `input`) does not fit. */
  query?: ((input: Input) => string | undefined) | undefined;
  /** Run name in traces. Default "ctxstore_context". */
  runName?: string | undefined;
}

const QUESTION_FIELDS = ["query", "question", "input"] as const;

/** `contextRunnable({ contextStore, budget: { maxTokens: 1500 } })`: the packed text for the chain's input. */
export function contextRunnable<Input = ContextInput>(
  options: ContextRunnableOptions<Input>,
): Runnable<Input, string> {
  const { query: pickQuery, runName, ...requestOptions } = options ?? ({} as ContextRunnableOptions<Input>);
  const defaults = checkAdapterOptions(requestOptions, "contextRunnable");
  const store = requestOptions.contextStore;
  if (pickQuery !== undefined && typeof pickQuery !== "function") {
    throw new CtxError(
      "CTX_CONFIG",
      "contextRunnable option `query` must be a function (input) => string | undefined.",
      {},
    );
  }
  const assemble = async (input: Input, config?: RunnableConfig): Promise<string> => {
    const query = pickQuery ? pickQuery(input) : defaultQuery(input);
    if (query !== undefined && typeof query !== "string") {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `contextRunnable: the question must be a string; got ${typeof query}.`,
        {},
      );
    }
    // Later layers win (keys entity by entity): the options, config, the input's ctxstore field, its
    // keys, then the question read from the input and the run's signal.
    const request = mergeRequestLayers([
      defaults,
      readCallOptions(config?.configurable, "config.configurable"),
      readCallOptions(input, "input"),
      inputKeys(input),
      { query, signal: config?.signal },
    ]);
    const result = await store.assemble(request);
    await emitTrace(result.trace, config);
    return result.text;
  };
  return RunnableLambda.from<Input, string>(assemble).withConfig({ runName: runName ?? "ctxstore_context" });
}

function defaultQuery(input: unknown): string | undefined {
  if (typeof input === "string") return input;
  if (input === null || typeof input !== "object") {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `contextRunnable input must be the question string or an object with a \`query\`, \`question\` or \`input\` string; got ${input === null ? "null" : typeof input}. Pass option query: (input) => ... to read it from elsewhere.`,
      {},
    );
  }
  for (const field of QUESTION_FIELDS) {
    const value = (input as Record<string, unknown>)[field];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** The `keys` field of a request-shaped input, checked to be entity keys by entity name. */
function inputKeys(input: unknown): CallOptions | undefined {
  if (input === null || typeof input !== "object") return undefined;
  const keys = (input as Record<string, unknown>).keys;
  if (keys === undefined) return undefined;
  if (keys === null || typeof keys !== "object" || Array.isArray(keys)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `contextRunnable input.keys must be entity keys by entity name, e.g. { customer: { customerId: "c1" } }; got ${Array.isArray(keys) ? "an array" : JSON.stringify(keys)}.`,
      {},
    );
  }
  return { keys: keys as Record<string, unknown> };
}
