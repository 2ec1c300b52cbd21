// The middleware's behaviour through the real generateText/streamText of one AI SDK major, against
// the SDK's own mock models. `middleware.ai7.test.ts` and `middleware.ai6.test.ts` run it.

import { type AssembleResult, type ContextStore, isCtxError } from "@ctxstore/core";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { contextMiddleware, contextTrace, SPAN_NAME } from "../src/index.js";
import { countPromptTokens, type PromptMessage } from "../src/prompt.js";
import { createShop, KEYS } from "./fixture.js";
import { echo, finishReason, type MockModel, type SdkUnderTest, usage } from "./sdk.js";

const QUESTION = "Do you have the Trail Runner X in my size?";
const BUDGET = { maxTokens: 400 };

export function runMiddlewareSuite(sdk: SdkUnderTest): void {
  let ctx: ContextStore;
  let expected: AssembleResult;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    ctx = await createShop();
    // What the model must see: the store's own assembly of the same request.
    expected = await ctx.assemble({ keys: KEYS, query: QUESTION, budget: BUDGET });
  });
  afterAll(async () => {
    await provider.shutdown();
    await ctx.close();
  });
  beforeEach(() => exporter.reset());

  const middleware = (options: Record<string, unknown> = {}) =>
    contextMiddleware({
      context: ctx,
      budget: BUDGET,
      specificationVersion: sdk.specificationVersion,
      ...options,
    } as never);

  function wrapped(options: Record<string, unknown> = {}, model: MockModel = sdk.echoModel()) {
    return { mock: model, model: sdk.wrapLanguageModel({ model, middleware: middleware(options) }) };
  }

  const providerOptions = { ctxstore: { keys: KEYS } };

  /** The prompt an unwrapped model receives for the same call: the baseline the middleware must preserve. */
  async function baselinePrompt(call: {
    system?: string;
    messages?: unknown[];
    prompt?: string;
  }): Promise<PromptMessage[]> {
    const plain = sdk.echoModel();
    await sdk.generateText({ model: plain, ...call, maxRetries: 0 });
    return plain.doGenerateCalls[0]?.prompt as PromptMessage[];
  }

  async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error("expected the call to fail");
  }

  describe(`contextMiddleware with ${sdk.label}`, () => {
    describe("the prompt the model received", () => {
      it("generateText: the packed context as a system message after the caller's system prompt, nothing else changed", async () => {
        const { mock, model } = wrapped();
        const call = {
          system: "You are the shop's assistant.",
          messages: [{ role: "user", content: QUESTION }],
        };
        const result = await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
        const baseline = await baselinePrompt(call);
        expect(mock.doGenerateCalls).toHaveLength(1);
        const received = mock.doGenerateCalls[0]?.prompt;
        expect(received).toEqual([
          baseline[0],
          { role: "system", content: expected.text },
          ...baseline.slice(1),
        ]);
        expect(expected.text).toContain("## Customer profile\nAna Lima. Trail runner, EU 42, wide feet.");
        expect(expected.text).toContain("Units by EU size: 42: 3, 43: 0");
        // The echo reply is exactly what the model saw.
        expect(result.text).toBe(echo(received as PromptMessage[]));
      });

      it("streamText: the same prompt, and the reply streams through untouched", async () => {
        const { mock, model } = wrapped();
        const call = {
          system: "You are the shop's assistant.",
          messages: [{ role: "user", content: QUESTION }],
        };
        const result = sdk.streamText({ model, ...call, providerOptions, maxRetries: 0 });
        const text = await result.text;
        const baseline = await baselinePrompt(call);
        expect(mock.doStreamCalls).toHaveLength(1);
        const received = mock.doStreamCalls[0]?.prompt;
        expect(received).toEqual([
          baseline[0],
          { role: "system", content: expected.text },
          ...baseline.slice(1),
        ]);
        expect(text).toBe(echo(received as PromptMessage[]));
      });

      it("keeps a multi-turn conversation intact and uses the last user message as the query", async () => {
        const { mock, model } = wrapped();
        const call = {
          system: "Be brief.",
          messages: [
            { role: "user", content: "Hi, I need running shoes." },
            { role: "assistant", content: "Happy to help! Road or trail?" },
            { role: "user", content: QUESTION },
          ],
        };
        const result = await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
        const baseline = await baselinePrompt(call);
        expect(mock.doGenerateCalls[0]?.prompt).toEqual([
          baseline[0],
          { role: "system", content: expected.text },
          ...baseline.slice(1),
        ]);
        expect(contextTrace(result.providerMetadata)?.query).toBe(QUESTION);
      });

      it("for any conversation, the model sees the caller's prompt plus exactly one context message (property)", async () => {
        const turn = fc.string({ minLength: 1, maxLength: 60 }).filter((text) => text.trim().length > 0);
        const conversation = fc.array(fc.tuple(turn, turn), { minLength: 0, maxLength: 4 }).chain((pairs) =>
          turn.map((last) => [
            ...pairs.flatMap(([question, answer]) => [
              { role: "user", content: question },
              { role: "assistant", content: answer },
            ]),
            { role: "user", content: last },
          ]),
        );
        // Without the slow loyalty lookup, so each run takes a couple of milliseconds.
        const fast = {
          ctxstore: { keys: KEYS, sources: ["customer_profile", "session_activity", "live_stock"] },
        };
        await fc.assert(
          fc.asyncProperty(fc.option(turn, { nil: undefined }), conversation, async (system, messages) => {
            const { mock, model } = wrapped();
            const call = { ...(system === undefined ? {} : { system }), messages };
            await sdk.generateText({ model, ...call, providerOptions: fast, maxRetries: 0 });
            const baseline = await baselinePrompt(call);
            const received = mock.doGenerateCalls[0]?.prompt ?? [];
            const at = system === undefined ? 0 : 1;
            expect(received).toHaveLength(baseline.length + 1);
            expect(received[at]?.role).toBe("system");
            expect(received.filter((_, index) => index !== at)).toEqual(baseline);
          }),
          { numRuns: 25 },
        );
      });

      it("a tool loop: every step carries the context exactly once, and each step has its own trace", async () => {
        const mock = sdk.mockModel({
          provider: "mock",
          modelId: "tool-caller",
          doGenerate: async (params: { prompt: PromptMessage[] }) =>
            params.prompt.some((message) => message.role === "tool")
              ? { content: [{ type: "text", text: echo(params.prompt) }], finishReason, usage, warnings: [] }
              : {
                  content: [
                    {
                      type: "tool-call",
                      toolCallId: "call-1",
                      toolName: "checkStock",
                      input: JSON.stringify({ size: "42" }),
                    },
                  ],
                  finishReason: { unified: "tool-calls", raw: "tool_calls" },
                  usage,
                  warnings: [],
                },
        });
        const model = sdk.wrapLanguageModel({ model: mock, middleware: middleware() });
        const checkStock = sdk.tool({
          description: "Units in stock for a size",
          inputSchema: z.object({ size: z.string() }),
          execute: async ({ size }: { size: string }) => ({ size, units: 3 }),
        });
        const result = await sdk.generateText({
          model,
          system: "Be brief.",
          prompt: QUESTION,
          tools: { checkStock },
          stopWhen: sdk.stepCountIs(3),
          providerOptions,
          maxRetries: 0,
        });
        expect(mock.doGenerateCalls).toHaveLength(2);
        for (const call of mock.doGenerateCalls) {
          const contextMessages = call.prompt.filter(
            (message) => message.role === "system" && message.content === expected.text,
          );
          expect(contextMessages).toHaveLength(1);
          expect(call.prompt[1]).toEqual({ role: "system", content: expected.text });
        }
        expect(mock.doGenerateCalls[1]?.prompt.map((message) => message.role)).toEqual([
          "system",
          "system",
          "user",
          "assistant",
          "tool",
        ]);
        const traces = result.steps.map((step) => contextTrace(step.providerMetadata)?.id);
        expect(traces).toHaveLength(2);
        expect(new Set(traces).size).toBe(2);
        expect(contextTrace(result.providerMetadata)?.id).toBe(traces[1]);
      });

      it('placement "user-prefix": the context is prefixed to the last user message only', async () => {
        const { mock, model } = wrapped({ placement: "user-prefix" });
        const call = {
          system: "Be brief.",
          messages: [
            { role: "user", content: "Hi" },
            { role: "assistant", content: "Hello!" },
            { role: "user", content: QUESTION },
          ],
        };
        await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
        const baseline = await baselinePrompt(call);
        const received = mock.doGenerateCalls[0]?.prompt as PromptMessage[];
        expect(received.slice(0, 3)).toEqual(baseline.slice(0, 3));
        const last = baseline[3] as Extract<PromptMessage, { content: ReadonlyArray<unknown> }>;
        expect(received[3]).toEqual({
          ...last,
          content: [{ type: "text", text: `${expected.text}\n\n` }, ...last.content],
        });
      });

      it("a realtime timeout reaches the model as an explicit unknown, never as an absence", async () => {
        const { mock, model } = wrapped();
        const result = await sdk.generateText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
        const contextMessage = mock.doGenerateCalls[0]?.prompt[0];
        expect(contextMessage?.role).toBe("system");
        const text = contextMessage?.content as string;
        const loyaltyTrace = contextTrace(result.providerMetadata)?.sources.find(
          (source) => source.source === "loyalty_status",
        );
        expect(loyaltyTrace).toMatchObject({ status: "timeout", rendered: "note", outcome: "included" });
        const loyaltySection = text.slice(text.indexOf("## Loyalty"));
        expect(loyaltySection).toMatch(/loyalty status/i);
        expect(loyaltySection).toMatch(/unknown/i);
        expect(loyaltySection).not.toMatch(/status: none|no loyalty/i);
      });
    });

    describe("trace", () => {
      it("generateText: providerMetadata.ctxstore carries the assembly trace, next to the provider's own metadata", async () => {
        const { model } = wrapped();
        const result = await sdk.generateText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
        const metadata = result.providerMetadata;
        expect(metadata?.mock).toEqual({ echoed: true });
        const assembly = contextTrace(metadata);
        expect(assembly).toBeDefined();
        expect(assembly?.budget).toEqual(BUDGET);
        expect(assembly?.keys).toEqual({
          user: "userId=ana",
          session: "sessionId=s1",
          product: "productId=trail-runner-x",
        });
        expect(assembly?.totals.tokens).toBe(expected.tokens);
        expect(
          Object.fromEntries(assembly?.sources.map((source) => [source.source, source.status]) ?? []),
        ).toEqual({
          customer_profile: "ok",
          session_activity: "ok",
          live_stock: "ok",
          loyalty_status: "timeout",
        });
        // Plain JSON, as provider metadata must be.
        expect(JSON.parse(JSON.stringify(metadata?.ctxstore))).toEqual(metadata?.ctxstore);
      });

      it("streamText: the trace is on the finish part and in the result's providerMetadata", async () => {
        const { model } = wrapped();
        const result = sdk.streamText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
        const finishing: Array<Record<string, unknown>> = [];
        for await (const part of result.parts) {
          if (part.type === "finish-step" || part.type === "finish") finishing.push(part);
        }
        const metadata = await result.providerMetadata;
        expect(metadata?.mock).toEqual({ echoed: true });
        expect(contextTrace(metadata)?.totals.tokens).toBe(expected.tokens);
        const step = finishing.find((part) => part.type === "finish-step") as
          | { providerMetadata?: Record<string, unknown> }
          | undefined;
        expect(contextTrace(step?.providerMetadata)?.id).toBe(contextTrace(metadata)?.id);
      });

      it("the model-level stream: the finish part carries providerMetadata.ctxstore", async () => {
        const { model } = wrapped();
        const languageModel = model as {
          doStream(params: unknown): PromiseLike<{
            stream: ReadableStream<{ type: string; providerMetadata?: Record<string, unknown> }>;
          }>;
        };
        const { stream } = await languageModel.doStream({
          prompt: [{ role: "user", content: [{ type: "text", text: QUESTION }] }],
          providerOptions,
        });
        const parts: Array<{ type: string; providerMetadata?: Record<string, unknown> }> = [];
        for await (const part of stream as unknown as AsyncIterable<{
          type: string;
          providerMetadata?: Record<string, unknown>;
        }>)
          parts.push(part);
        expect(parts.map((part) => part.type)).toEqual([
          "stream-start",
          "text-start",
          "text-delta",
          "text-end",
          "finish",
        ]);
        const finish = parts.at(-1);
        expect(finish?.providerMetadata?.mock).toEqual({ echoed: true });
        expect(contextTrace(finish?.providerMetadata)?.sources).toHaveLength(4);
        expect(parts.slice(0, -1).every((part) => part.providerMetadata === undefined)).toBe(true);
      });

      it("concurrent calls each get their own context and trace", async () => {
        const { mock, model } = wrapped();
        await ctx.write(
          (await import("./fixture.js")).profile,
          { userId: "ben" },
          { name: "Ben Okafor", summary: "Road runner, EU 44." },
          { eventTime: Date.parse("2026-11-21T11:00:00Z") },
        );
        const people = ["ana", "ben", "ana", "ben"];
        const results = await Promise.all(
          people.map((userId) =>
            sdk.generateText({
              model,
              prompt: `${QUESTION} (${userId})`,
              providerOptions: { ctxstore: { keys: { user: { userId } } } },
              maxRetries: 0,
            }),
          ),
        );
        results.forEach((result, index) => {
          const userId = people[index];
          expect(contextTrace(result.providerMetadata)?.keys).toEqual({ user: `userId=${userId}` });
          expect(result.text).toContain(userId === "ana" ? "Ana Lima" : "Ben Okafor");
          expect(result.text).not.toContain(userId === "ana" ? "Ben Okafor" : "Ana Lima");
        });
        expect(mock.doGenerateCalls).toHaveLength(4);
      });
    });

    describe("ordering with other middlewares", () => {
      function recorder(seen: PromptMessage[][]) {
        return {
          specificationVersion: sdk.specificationVersion,
          transformParams: async ({ params }: { params: { prompt: PromptMessage[] } }) => {
            seen.push(params.prompt);
            return params;
          },
          wrapGenerate: async ({
            doGenerate,
          }: {
            doGenerate: () => PromiseLike<{ providerMetadata?: Record<string, unknown> }>;
          }) => {
            const result = await doGenerate();
            return { ...result, providerMetadata: { ...result.providerMetadata, recorder: { seen: true } } };
          },
        };
      }

      it("listed first, its context is visible to the middlewares after it; both metadata entries survive", async () => {
        const seen: PromptMessage[][] = [];
        const mock = sdk.echoModel();
        const model = sdk.wrapLanguageModel({ model: mock, middleware: [middleware(), recorder(seen)] });
        const result = await sdk.generateText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
        expect(seen[0]?.[0]).toEqual({ role: "system", content: expected.text });
        expect(mock.doGenerateCalls[0]?.prompt).toEqual(seen[0]);
        expect(result.providerMetadata?.recorder).toEqual({ seen: true });
        expect(contextTrace(result.providerMetadata)).toBeDefined();
      });

      it("listed last, the middlewares before it see the caller's prompt and the model sees the context", async () => {
        const seen: PromptMessage[][] = [];
        const mock = sdk.echoModel();
        const model = sdk.wrapLanguageModel({ model: mock, middleware: [recorder(seen), middleware()] });
        const result = await sdk.generateText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
        expect(seen[0]).toEqual([{ role: "user", content: [{ type: "text", text: QUESTION }] }]);
        expect(mock.doGenerateCalls[0]?.prompt).toEqual([
          { role: "system", content: expected.text },
          ...(seen[0] ?? []),
        ]);
        expect(result.providerMetadata?.recorder).toEqual({ seen: true });
        expect(contextTrace(result.providerMetadata)).toBeDefined();
      });

      it("two context middlewares with their own providerKey each add their context and trace, in list order", async () => {
        const mock = sdk.echoModel();
        const model = sdk.wrapLanguageModel({
          model: mock,
          middleware: [middleware(), middleware({ placement: "user-prefix", providerKey: "catalog" })],
        });
        const result = await sdk.generateText({
          model,
          system: "Be brief.",
          prompt: QUESTION,
          providerOptions: { ...providerOptions, catalog: { keys: KEYS } },
          maxRetries: 0,
        });
        const received = mock.doGenerateCalls[0]?.prompt as PromptMessage[];
        expect(received.map((message) => message.role)).toEqual(["system", "system", "user"]);
        expect(received[1]).toEqual({ role: "system", content: expected.text });
        expect(
          (received[2] as Extract<PromptMessage, { content: ReadonlyArray<unknown> }>).content.map(
            (part) => part.text,
          ),
        ).toEqual([`${expected.text}\n\n`, QUESTION]);
        expect(contextTrace(result.providerMetadata)?.totals.tokens).toBe(expected.tokens);
        expect(contextTrace(result.providerMetadata, "catalog")?.totals.tokens).toBe(expected.tokens);
        expect(contextTrace(result.providerMetadata)?.id).not.toBe(
          contextTrace(result.providerMetadata, "catalog")?.id,
        );
      });
    });

    describe("per-call input", () => {
      it("a request function of the call parameters replaces providerOptions", async () => {
        const seenTypes: string[] = [];
        const { mock, model } = wrapped({
          request: (params: { headers?: Record<string, string | undefined> }, type: string) => {
            seenTypes.push(type);
            const userId = params.headers?.["x-user-id"];
            return userId ? { keys: { user: { userId } }, query: "override query" } : null;
          },
        });
        const result = await sdk.generateText({
          model,
          prompt: QUESTION,
          headers: { "x-user-id": "ana" },
          maxRetries: 0,
        });
        expect(seenTypes).toEqual(["generate"]);
        expect(contextTrace(result.providerMetadata)).toMatchObject({
          keys: { user: "userId=ana" },
          query: "override query",
        });
        expect(mock.doGenerateCalls[0]?.prompt[0]?.role).toBe("system");
        // null: the model is called without context and without a trace.
        const plain = await sdk.generateText({ model, prompt: QUESTION, maxRetries: 0 });
        expect(mock.doGenerateCalls[1]?.prompt).toEqual([
          { role: "user", content: [{ type: "text", text: QUESTION }] },
        ]);
        expect(contextTrace(plain.providerMetadata)).toBeUndefined();
      });

      it("the request is not forwarded to the provider; the caller's other provider options are, unchanged", async () => {
        const { mock, model } = wrapped();
        const openaiOptions = { user: "hashed-user-id", parallelToolCalls: false };
        await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions: { ...providerOptions, openai: openaiOptions },
          maxRetries: 0,
        });
        expect(mock.doGenerateCalls[0]?.providerOptions).toEqual({ openai: openaiOptions });
        const streamed = sdk.streamText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
        await streamed.text;
        expect(mock.doStreamCalls[0]?.providerOptions ?? {}).toEqual({});
      });

      it("per-call maxTokens, sources and query from providerOptions.ctxstore", async () => {
        const { mock, model } = wrapped();
        const result = await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions: {
            ctxstore: {
              keys: KEYS,
              maxTokens: 120,
              sources: ["customer_profile", "live_stock"],
              query: "stock?",
            },
          },
          maxRetries: 0,
        });
        const assembly = contextTrace(result.providerMetadata);
        expect(assembly?.budget).toEqual({ maxTokens: 120 });
        expect(assembly?.query).toBe("stock?");
        expect(assembly?.sources.map((source) => source.source).sort()).toEqual([
          "customer_profile",
          "live_stock",
        ]);
        const contextText = mock.doGenerateCalls[0]?.prompt[0]?.content as string;
        expect(ctx.tokenizer.count(contextText)).toBeLessThanOrEqual(120);
        expect(contextText).not.toContain("## Loyalty");
      });

      it("a budget derived from the context window shrinks as the conversation grows", async () => {
        const window = { contextWindow: 1_000, reserveTokens: 20 };
        const { mock, model } = wrapped({ budget: window });
        const longTurn = "I run on rocky trails most weekends and I am looking at several models. ".repeat(
          40,
        );
        const messages = [
          { role: "user", content: longTurn },
          { role: "assistant", content: "Noted." },
          { role: "user", content: QUESTION },
        ];
        const result = await sdk.generateText({
          model,
          system: "Be brief.",
          messages,
          providerOptions,
          maxOutputTokens: 300,
          maxRetries: 0,
        });
        const callerPrompt = (mock.doGenerateCalls[0]?.prompt ?? []).filter((_, index) => index !== 1);
        const promptTokens = countPromptTokens(callerPrompt, undefined, ctx.tokenizer, {
          tokensPerMessage: 4,
          tokensPerFile: 1024,
        }).total;
        const assembly = contextTrace(result.providerMetadata);
        expect(assembly?.budget.maxTokens).toBe(1_000 - promptTokens - 300 - 20 - 4);
        expect(promptTokens + 4 + (assembly?.totals.tokens ?? 0) + 300).toBeLessThanOrEqual(1_000);
        expect(assembly?.totals.tokens).toBeLessThan(expected.tokens);
      });
    });

    describe("failing closed, before the model is called", () => {
      it("a required source that is unavailable rejects generateText with CTX_REQUIRED_UNAVAILABLE", async () => {
        const { mock, model } = wrapped();
        const error = await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: { user: { userId: "ghost" } } } },
            maxRetries: 0,
          }),
        );
        expect(isCtxError(error, "CTX_REQUIRED_UNAVAILABLE")).toBe(true);
        expect((error as Error).message).toContain("customer_profile");
        expect(mock.doGenerateCalls).toHaveLength(0);
        expect(mock.doStreamCalls).toHaveLength(0);
      });

      it("streamText reports the same error and never opens the model stream", async () => {
        const { mock, model } = wrapped();
        const errors: unknown[] = [];
        const result = sdk.streamText({
          model,
          prompt: QUESTION,
          providerOptions: { ctxstore: { keys: { user: { userId: "ghost" } } } },
          maxRetries: 0,
          onError: ({ error }) => {
            errors.push(error);
          },
        });
        const parts: string[] = [];
        for await (const part of result.parts) parts.push(part.type);
        await expect(result.text).rejects.toThrow();
        expect(parts).toContain("error");
        expect(parts).not.toContain("text-delta");
        expect(errors.some((error) => isCtxError(error, "CTX_REQUIRED_UNAVAILABLE"))).toBe(true);
        expect(mock.doStreamCalls).toHaveLength(0);
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it("a call aborted while its context is assembled never reaches the model", async () => {
        const { mock, model } = wrapped();
        const controller = new AbortController();
        // The loyalty lookup keeps the assembly busy for its 25 ms timeout; abort in the middle.
        setTimeout(() => controller.abort(new Error("the user closed the chat")), 5);
        const error = await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions,
            abortSignal: controller.signal,
            maxRetries: 0,
          }),
        );
        expect(String(error)).toMatch(/closed the chat|abort/i);
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it("a budget smaller than the required content is CTX_BUDGET_TOO_SMALL", async () => {
        const { mock, model } = wrapped();
        const error = await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: KEYS, maxTokens: 3 } },
            maxRetries: 0,
          }),
        );
        expect(isCtxError(error, "CTX_BUDGET_TOO_SMALL")).toBe(true);
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it("a context window the prompt already fills is CTX_BUDGET_TOO_SMALL with the arithmetic", async () => {
        const { mock, model } = wrapped({ budget: { contextWindow: 200 } });
        const error = await rejection(
          sdk.generateText({ model, prompt: QUESTION, providerOptions, maxOutputTokens: 190, maxRetries: 0 }),
        );
        expect(isCtxError(error, "CTX_BUDGET_TOO_SMALL")).toBe(true);
        expect((error as Error).message).toContain("200-token window");
        expect(mock.doGenerateCalls).toHaveLength(0);
      });
    });

    describe("bad input", () => {
      it("missing providerOptions.ctxstore: CTX_INVALID_REQUEST naming the expected shape", async () => {
        const { mock, model } = wrapped();
        const error = await rejection(sdk.generateText({ model, prompt: QUESTION, maxRetries: 0 }));
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain(
          "providerOptions: { ctxstore: { keys: { <entity>: <key> }",
        );
        expect((error as Error).message).toContain('whenMissing: "pass-through"');
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it('whenMissing: "pass-through" calls the model unchanged, without a trace', async () => {
        const { mock, model } = wrapped({ whenMissing: "pass-through" });
        const call = { system: "Be brief.", prompt: QUESTION };
        const result = await sdk.generateText({ model, ...call, maxRetries: 0 });
        expect(mock.doGenerateCalls[0]?.prompt).toEqual(await baselinePrompt(call));
        expect(contextTrace(result.providerMetadata)).toBeUndefined();
        expect(result.providerMetadata?.mock).toEqual({ echoed: true });
      });

      it.each([
        ["keys missing", { query: "x" }, "keys"],
        ["keys not an object", { keys: "ana" }, "keys"],
        ["a misspelt option", { keys: KEYS, maxToken: 100 }, "maxToken"],
        ["a negative budget", { keys: KEYS, maxTokens: -1 }, "maxTokens"],
      ])(
        "malformed providerOptions.ctxstore (%s): CTX_INVALID_REQUEST naming the shape and the field",
        async (_, ctxstore, field) => {
          const { mock, model } = wrapped();
          const error = await rejection(
            sdk.generateText({ model, prompt: QUESTION, providerOptions: { ctxstore }, maxRetries: 0 }),
          );
          expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
          expect((error as Error).message).toContain(
            "providerOptions.ctxstore must be { keys: { <entity>: <key> }",
          );
          expect((error as Error).message).toContain(field);
          expect(mock.doGenerateCalls).toHaveLength(0);
        },
      );

      it("keys for an unknown entity: CTX_UNKNOWN_ENTITY", async () => {
        const { mock, model } = wrapped();
        const error = await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: { ...KEYS, tenant: { id: "t1" } } } },
            maxRetries: 0,
          }),
        );
        expect(isCtxError(error, "CTX_UNKNOWN_ENTITY")).toBe(true);
        expect((error as Error).message).toContain("tenant");
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it("a key that fails its entity's schema: CTX_INVALID_KEY", async () => {
        const { mock, model } = wrapped();
        const error = await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: { user: { id: 7 } } } },
            maxRetries: 0,
          }),
        );
        expect(isCtxError(error, "CTX_INVALID_KEY")).toBe(true);
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it("a prompt with no user message: CTX_INVALID_REQUEST unless the query is given", async () => {
        const { mock, model } = wrapped();
        const messages = [{ role: "assistant", content: "Welcome back! Anything I can help with?" }];
        const error = await rejection(
          sdk.generateText({ model, system: "Be brief.", messages, providerOptions, maxRetries: 0 }),
        );
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain("no user message");
        expect(mock.doGenerateCalls).toHaveLength(0);
        const withQuery = { ctxstore: { keys: KEYS, query: QUESTION } };
        const result = await sdk.generateText({
          model,
          system: "Be brief.",
          messages,
          providerOptions: withQuery,
          maxRetries: 0,
        });
        expect(contextTrace(result.providerMetadata)?.query).toBe(QUESTION);
      });

      it("a request function returning undefined: CTX_INVALID_REQUEST, the model is not called", async () => {
        const { mock, model } = wrapped({ request: () => undefined });
        const error = await rejection(sdk.generateText({ model, prompt: QUESTION, maxRetries: 0 }));
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain("returned undefined");
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it('placement "user-prefix" with no user message: CTX_INVALID_REQUEST even with a query', async () => {
        const { mock, model } = wrapped({ placement: "user-prefix" });
        const messages = [{ role: "assistant", content: "Welcome back!" }];
        const withQuery = { ctxstore: { keys: KEYS, query: QUESTION } };
        const error = await rejection(
          sdk.generateText({
            model,
            system: "Be brief.",
            messages,
            providerOptions: withQuery,
            maxRetries: 0,
          }),
        );
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain('placement: "system"');
        expect(mock.doGenerateCalls).toHaveLength(0);
      });

      it("bad middleware options fail at construction with CTX_CONFIG", () => {
        for (const options of [
          { budget: undefined },
          { budget: {} },
          { placement: "footer" },
          { whenMissing: "ignore" },
          { request: "user" },
          { deadline: "soon" },
          { providerKey: "two words" },
          { telemetry: { enabled: "yes" } },
        ]) {
          let caught: unknown;
          try {
            middleware(options);
          } catch (error) {
            caught = error;
          }
          expect(isCtxError(caught), JSON.stringify(options)).toBe(true);
        }
        expect(() => contextMiddleware({ budget: BUDGET } as never)).toThrow(
          /`context` must be a ContextStore/,
        );
      });
    });

    describe("telemetry", () => {
      it("with the SDK's telemetry on, assembly is its own span under the model call, with per-source attributes", async () => {
        const { model } = wrapped();
        await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions,
          maxRetries: 0,
          ...sdk.telemetryOn,
        });
        const spans = exporter.getFinishedSpans();
        const assembly = spans.filter((span) => span.name === SPAN_NAME);
        expect(assembly).toHaveLength(1);
        const span = assembly[0];
        const parent = spans.find(
          (candidate) => candidate.spanContext().spanId === span?.parentSpanContext?.spanId,
        );
        expect(parent, `parent of ${SPAN_NAME} among ${spans.map((s) => s.name).join(", ")}`).toBeDefined();
        expect(parent?.name).not.toBe(SPAN_NAME);
        expect(span?.attributes).toMatchObject({
          "ctxstore.operation": "generate",
          "ctxstore.budget.max_tokens": BUDGET.maxTokens,
          "ctxstore.tokens": expected.tokens,
          "ctxstore.source.customer_profile.status": "ok",
          "ctxstore.source.customer_profile.outcome": "included",
          "ctxstore.source.loyalty_status.status": "timeout",
          "ctxstore.source.live_stock.status": "ok",
          "ctxstore.sources.unavailable": 1,
        });
        for (const source of ["customer_profile", "session_activity", "live_stock", "loyalty_status"]) {
          expect(typeof span?.attributes[`ctxstore.source.${source}.tokens`]).toBe("number");
          expect(typeof span?.attributes[`ctxstore.source.${source}.latency_ms`]).toBe("number");
        }
        expect(span?.attributes["ctxstore.source.loyalty_status.latency_ms"]).toBeGreaterThanOrEqual(20);
      });

      it("streamText with telemetry on gets the span too", async () => {
        const { model } = wrapped();
        await sdk.streamText({ model, prompt: QUESTION, providerOptions, maxRetries: 0, ...sdk.telemetryOn })
          .text;
        expect(
          exporter.getFinishedSpans().filter((span) => span.name === SPAN_NAME)[0]?.attributes[
            "ctxstore.operation"
          ],
        ).toBe("stream");
      });

      it("a failed assembly is an error span carrying the error code", async () => {
        const { model } = wrapped();
        await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: { user: { userId: "ghost" } } } },
            maxRetries: 0,
            ...sdk.telemetryOn,
          }),
        );
        const span = exporter.getFinishedSpans().find((candidate) => candidate.name === SPAN_NAME);
        expect(span?.status.code).toBe(2);
        expect(span?.attributes["ctxstore.error.code"]).toBe("CTX_REQUIRED_UNAVAILABLE");
      });

      it("with the SDK's telemetry off, no span is recorded", async () => {
        const { model } = wrapped();
        await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions,
          maxRetries: 0,
          ...sdk.telemetryOff,
        });
        expect(exporter.getFinishedSpans().filter((span) => span.name === SPAN_NAME)).toHaveLength(0);
      });

      it("auto: inside the application's own recording span, the span nests there even with SDK telemetry off", async () => {
        const { model } = wrapped();
        const tracer = trace.getTracer("app");
        await tracer.startActiveSpan("POST /chat", async (request) => {
          await sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions,
            maxRetries: 0,
            ...sdk.telemetryOff,
          });
          request.end();
        });
        const spans = exporter.getFinishedSpans();
        const application = spans.find((span) => span.name === "POST /chat");
        const assembly = spans.find((span) => span.name === SPAN_NAME);
        expect(spans.map((span) => span.name).sort()).toEqual(["POST /chat", SPAN_NAME]);
        expect(assembly?.parentSpanContext?.spanId).toBe(application?.spanContext().spanId);
      });

      it("telemetry.enabled: true records the span even when the SDK does not trace", async () => {
        const { model } = wrapped({ telemetry: { enabled: true } });
        await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions,
          maxRetries: 0,
          ...sdk.telemetryOff,
        });
        const spans = exporter.getFinishedSpans();
        expect(spans.map((span) => span.name)).toEqual([SPAN_NAME]);
        expect(spans[0]?.parentSpanContext).toBeUndefined();
      });

      it("telemetry.tracer: the span comes from the given tracer", async () => {
        const { model } = wrapped({ telemetry: { tracer: provider.getTracer("shop-assistant") } });
        await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions,
          maxRetries: 0,
          ...sdk.telemetryOn,
        });
        const span = exporter.getFinishedSpans().find((candidate) => candidate.name === SPAN_NAME);
        expect(span?.instrumentationScope.name).toBe("shop-assistant");
      });

      it("telemetry.enabled: false suppresses the span even when the SDK traces", async () => {
        const { model } = wrapped({ telemetry: { enabled: false } });
        await sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions,
          maxRetries: 0,
          ...sdk.telemetryOn,
        });
        const names = exporter.getFinishedSpans().map((span) => span.name);
        expect(names.length).toBeGreaterThan(0);
        expect(names).not.toContain(SPAN_NAME);
      });
    });
  });
}
