// What every group of the middleware suite shares: the shop store, the store's own assembly of the
// suite's question (what the model must see), the span exporter, and helpers to wrap a mock model.

import type { AssembleResult, ContextStore } from "@ctxstore/core";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { contextMiddleware } from "../../src/index.js";
import type { PromptMessage } from "../../src/prompt.js";
import { createShop, KEYS } from "../fixture.js";
import type { MockModel, SdkUnderTest } from "../sdk.js";

export const QUESTION = "Do you have the Trail Runner X in my size?";
export const BUDGET = { maxTokens: 400 };

export interface MiddlewareSuite {
  readonly sdk: SdkUnderTest;
  /** The shop store; set in beforeAll, so read it inside a test, not while the suite is collected. */
  readonly ctx: ContextStore;
  /**
   * What the model must see: the store's own assembly of the suite's request. One object for the whole
   * run, filled in beforeAll, so groups can hold it while their tests are collected.
   */
  readonly expected: AssembleResult;
  readonly exporter: InMemorySpanExporter;
  readonly provider: BasicTracerProvider;
  readonly providerOptions: { ctxstore: { keys: typeof KEYS } };
  /** The middleware under test on the shop store with the suite's budget; `options` override. */
  middleware(options?: Record<string, unknown>): unknown;
  /** `model` (an echo model by default) wrapped in `middleware(options)`. */
  wrapped(options?: Record<string, unknown>, model?: MockModel): { mock: MockModel; model: unknown };
  /** The prompt an unwrapped model receives for the same call: the baseline the middleware must preserve. */
  baselinePrompt(call: { system?: string; messages?: unknown[]; prompt?: string }): Promise<PromptMessage[]>;
}

/**
 * Registers the suite's lifecycle hooks where it is called (at the top of the test file, so they also
 * cover the file's own tests, as before the split) and returns what the groups share.
 */
export function setUpMiddlewareSuite(sdk: SdkUnderTest): MiddlewareSuite {
  let ctx: ContextStore | undefined;
  const expected = {} as AssembleResult;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    ctx = await createShop();
    Object.assign(expected, await ctx.assemble({ keys: KEYS, query: QUESTION, budget: BUDGET }));
  });
  afterAll(async () => {
    await provider.shutdown();
    await ctx?.close();
  });
  beforeEach(() => exporter.reset());

  function store(): ContextStore {
    if (ctx === undefined) throw new Error("the shop store is created in beforeAll; read it inside a test");
    return ctx;
  }

  const middleware = (options: Record<string, unknown> = {}) =>
    contextMiddleware({
      contextStore: store(),
      budget: BUDGET,
      specificationVersion: sdk.specificationVersion,
      ...options,
    } as never);

  return {
    sdk,
    get ctx() {
      return store();
    },
    expected,
    exporter,
    provider,
    providerOptions: { ctxstore: { keys: KEYS } },
    middleware,
    wrapped(options = {}, model = sdk.echoModel()) {
      return { mock: model, model: sdk.wrapLanguageModel({ model, middleware: middleware(options) }) };
    },
    async baselinePrompt(call) {
      const plain = sdk.echoModel();
      await sdk.generateText({ model: plain, ...call, maxRetries: 0 });
      return plain.doGenerateCalls[0]?.prompt as PromptMessage[];
    },
  };
}

export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}
