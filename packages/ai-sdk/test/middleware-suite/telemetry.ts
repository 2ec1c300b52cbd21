// The assembly span is core's `ctxstore.assemble`: when it is recorded (SDK telemetry, the
// application's own span, the telemetry option), that it nests under the SDK's model-call span, the
// per-source statuses core puts on it and the attributes only the middleware knows.

import { ASSEMBLE_SPAN, isCtxError, REALTIME_SPAN } from "@ctxstore/core";
import { trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { contextMiddleware, SPAN_NAME } from "../../src/index.js";
import { BUDGET, type MiddlewareSuite, QUESTION, rejection } from "./harness.js";

/** Each source's entry in core's parallel attribute arrays, by source name. */
function perSource(span: ReadableSpan | undefined, attribute: "statuses" | "outcomes" | "tokens") {
  const names = span?.attributes["ctxstore.sources.names"] as string[];
  const values = span?.attributes[`ctxstore.sources.${attribute}`] as unknown[];
  return Object.fromEntries(names.map((name, index) => [name, values[index]]));
}

export function describeTelemetry(suite: MiddlewareSuite): void {
  const { sdk, expected, exporter, provider, providerOptions, wrapped } = suite;

  describe("telemetry", () => {
    it("with the SDK's telemetry on, core's assembly span is a child of the SDK's model-call span, with per-source statuses and the call's attributes", async () => {
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
      expect(parent?.instrumentationScope.name).not.toBe("@ctxstore/core");
      expect(span?.instrumentationScope.name).toBe("@ctxstore/core");
      // What only the middleware knows, then core's totals.
      expect(span?.attributes).toMatchObject({
        "ctxstore.operation": "generate",
        "ctxstore.placement": "system",
        "ctxstore.cache_breakpoint": "none",
        "ctxstore.budget.max_tokens": BUDGET.maxTokens,
        "ctxstore.tokens": expected.tokens,
        "ctxstore.sources.unavailable": 1,
      });
      expect(perSource(span, "statuses")).toEqual({
        customer_profile: "ok",
        session_activity: "ok",
        live_stock: "ok",
        loyalty_status: "timeout",
      });
      expect(perSource(span, "outcomes").customer_profile).toBe("included");
      const tokens = perSource(span, "tokens");
      for (const source of ["customer_profile", "session_activity", "live_stock", "loyalty_status"]) {
        expect(typeof tokens[source]).toBe("number");
      }
      // Each realtime lookup is a child span of the assembly with its status and latency.
      const lookups = spans.filter((candidate) => candidate.name === REALTIME_SPAN);
      expect(lookups.map((lookup) => lookup.attributes["ctxstore.source.name"]).sort()).toEqual([
        "live_stock",
        "loyalty_status",
      ]);
      for (const lookup of lookups) {
        expect(lookup.parentSpanContext?.spanId).toBe(span?.spanContext().spanId);
        expect(typeof lookup.attributes["ctxstore.source.latency_ms"]).toBe("number");
      }
      const loyalty = lookups.find(
        (lookup) => lookup.attributes["ctxstore.source.name"] === "loyalty_status",
      );
      expect(loyalty?.attributes["ctxstore.source.status"]).toBe("timeout");
      expect(loyalty?.attributes["ctxstore.source.latency_ms"]).toBeGreaterThanOrEqual(20);
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
      // Core's attribute for the failure (the adapter's own span said ctxstore.error.code).
      expect(span?.attributes["error.type"]).toBe("CTX_REQUIRED_UNAVAILABLE");
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
      // No assembly span from core either, nor its lookups' child spans.
      expect(exporter.getFinishedSpans().filter((span) => span.name.startsWith("ctxstore."))).toHaveLength(0);
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
      expect(spans.map((span) => span.name).sort()).toEqual(
        ["POST /chat", SPAN_NAME, REALTIME_SPAN, REALTIME_SPAN].sort(),
      );
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
      const assembly = spans.filter((span) => span.name === SPAN_NAME);
      expect(assembly).toHaveLength(1);
      expect(assembly[0]?.parentSpanContext).toBeUndefined();
      for (const span of spans.filter((candidate) => candidate.name !== SPAN_NAME)) {
        expect(span.name).toBe(REALTIME_SPAN);
        expect(span.parentSpanContext?.spanId).toBe(assembly[0]?.spanContext().spanId);
      }
    });

    it("telemetry.tracer is rejected with what to do instead (the span is core's: the store's tracer provider)", () => {
      const error = (() => {
        try {
          contextMiddleware({
            contextStore: suite.ctx,
            budget: BUDGET,
            telemetry: { tracer: provider.getTracer("shop-assistant") } as never,
          });
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(isCtxError(error, "CTX_CONFIG")).toBe(true);
      expect((error as Error).message).toContain("createContextStore({ telemetry: { tracerProvider } })");
      expect(SPAN_NAME).toBe(ASSEMBLE_SPAN);
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
}
