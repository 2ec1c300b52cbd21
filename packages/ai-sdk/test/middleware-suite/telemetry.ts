// The assembly span: when it is recorded (SDK telemetry, the application's own span, the telemetry
// option), where it nests, and the per-source attributes it carries.

import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { SPAN_NAME } from "../../src/index.js";
import { BUDGET, type MiddlewareSuite, QUESTION, rejection } from "./harness.js";

export function describeTelemetry(suite: MiddlewareSuite): void {
  const { sdk, expected, exporter, provider, providerOptions, wrapped } = suite;

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
}
