// The Next adapter has no span code: core's `ctxstore.assemble` span opens under the span that is
// active while the route handler runs. Next makes its route span active around the handler
// (`AppRouteRouteHandlers.runHandler`); here the test plays that part with the real OTel SDK and an
// in-memory exporter, and calls the route helpers as Next would.

import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { ASSEMBLE_SPAN } from "@ctxstore/core";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chatRoute } from "../src/chat/index.js";
import { withContext } from "../src/index.js";
import { createFixture, identifyFromCookies, jsonRequest } from "./fixtures.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

/** Runs `handler` the way Next runs a route handler: inside an active route span. */
async function inRouteSpan(route: string, handler: () => Promise<Response>): Promise<Response> {
  return trace
    .getTracer("next.js")
    .startActiveSpan(
      `executing api route (app) ${route}`,
      { attributes: { "next.span_type": "AppRouteRouteHandlers.runHandler", "next.route": route } },
      async (span) => {
        try {
          const response = await handler();
          await response.clone().text();
          return response;
        } finally {
          span.end();
        }
      },
    );
}

function assemblyUnder(route: string): { assembly: ReadableSpan; routeSpan: ReadableSpan } {
  const spans = exporter.getFinishedSpans();
  const assemblies = spans.filter((span) => span.name === ASSEMBLE_SPAN);
  expect(assemblies).toHaveLength(1);
  const routeSpan = spans.find((span) => span.attributes["next.route"] === route) as ReadableSpan;
  return { assembly: assemblies[0] as ReadableSpan, routeSpan };
}

describe("Next adapter spans", () => {
  it("withContext: the assembly span is a child of the route span", async () => {
    const { ctx } = await createFixture();
    const handler = withContext(
      { contextStore: ctx, identify: identifyFromCookies, budget: { maxTokens: 300 } },
      (_request, { context: packed }) => Response.json({ tokens: packed.tokens }),
    );
    const request = new Request("http://shop.test/api/recommend?q=shoes", {
      headers: { cookie: "uid=ana; sid=s1" },
    });
    const response = await inRouteSpan("/api/recommend", () => handler(request, undefined));
    expect(response.status).toBe(200);
    const { assembly, routeSpan } = assemblyUnder("/api/recommend");
    expect(assembly.instrumentationScope.name).toBe("@ctxstore/core");
    expect(assembly.parentSpanContext?.spanId).toBe(routeSpan.spanContext().spanId);
    expect(assembly.spanContext().traceId).toBe(routeSpan.spanContext().traceId);
    await ctx.close();
  });

  it("chatRoute: the assembly (through the AI SDK middleware) nests under the route span, with the middleware's attributes", async () => {
    const { ctx } = await createFixture();
    const model = new MockLanguageModelV4({
      doStream: async () => ({
        stream: simulateReadableStream<LanguageModelV4StreamPart>({
          chunks: [
            { type: "stream-start", warnings: [] },
            { type: "text-start", id: "t1" },
            { type: "text-delta", id: "t1", delta: "Hi" },
            { type: "text-end", id: "t1" },
            {
              type: "finish",
              finishReason: { unified: "stop", raw: "stop" },
              usage: {
                inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
                outputTokens: { total: 1, text: 1, reasoning: undefined },
              },
            },
          ],
        }),
      }),
    });
    const handler = chatRoute({ contextStore: ctx, identify: identifyFromCookies, model });
    const request = jsonRequest(
      "http://shop.test/api/chat",
      { messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "Trail shoes?" }] }] },
      { cookie: "uid=ana; sid=s1" },
    );
    const response = await inRouteSpan("/api/chat", () => handler(request));
    expect(response.status).toBe(200);
    const { assembly, routeSpan } = assemblyUnder("/api/chat");
    expect(assembly.parentSpanContext?.spanId).toBe(routeSpan.spanContext().spanId);
    expect(assembly.attributes["ctxstore.operation"]).toBe("stream");
    await ctx.close();
  });
});
