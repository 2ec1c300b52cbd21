// The middleware suite against ai@7 (language model specification v4).
import { OpenTelemetry } from "@ai-sdk/otel";
import {
  generateText,
  type LanguageModelMiddleware,
  stepCountIs,
  streamText,
  tool,
  wrapLanguageModel,
} from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { contextMiddleware } from "../src/index.js";
import { createShop } from "./fixture.js";
import { runMiddlewareSuite } from "./middleware-suite/index.js";
import { type CallOptions, echoSettings, type MockModel, type SdkUnderTest } from "./sdk.js";

// ai@7 calls the prompt's system text `instructions`; the suite says `system`.
const toAi7 = ({ system, ...options }: CallOptions) =>
  system === undefined ? options : { ...options, instructions: system };

const ai7: SdkUnderTest = {
  label: "ai@7 (specification v4)",
  specificationVersion: "v4",
  generateText: (options) => generateText(toAi7(options) as never) as never,
  streamText: (options) => {
    const result = streamText(toAi7(options) as never);
    // Getters: each of these promises rejects when the call fails, so only touch what a test awaits.
    return {
      get text() {
        return result.text;
      },
      get providerMetadata() {
        return result.providerMetadata as never;
      },
      get parts() {
        return result.stream as never;
      },
    };
  },
  wrapLanguageModel: (options) => wrapLanguageModel(options as never),
  echoModel: () => new MockLanguageModelV4(echoSettings() as never) as unknown as MockModel,
  mockModel: (settings) => new MockLanguageModelV4(settings as never) as unknown as MockModel,
  tool: (definition) => tool(definition as never),
  stepCountIs,
  // ai@7 emits OpenTelemetry spans through the @ai-sdk/otel integration; per call here, so calls
  // without it have no telemetry at all. Built per call: the integration binds the global tracer
  // provider when constructed, and the suite registers its provider in beforeAll.
  get telemetryOn() {
    return { telemetry: { integrations: [new OpenTelemetry()] } };
  },
  telemetryOff: { telemetry: { isEnabled: false } },
};

runMiddlewareSuite(ai7);

describe("types against ai@7", () => {
  it("contextMiddleware() is an ai@7 LanguageModelMiddleware, with typed call parameters", async () => {
    const ctx = await createShop();
    const middleware: LanguageModelMiddleware = contextMiddleware({
      contextStore: ctx,
      budget: { maxTokens: 100 },
      request: (params) => ({ keys: { user: { userId: String(params.headers?.["x-user-id"]) } } }),
    });
    expect(middleware.specificationVersion).toBe("v4");
    expect(wrapLanguageModel({ model: new MockLanguageModelV4(), middleware }).specificationVersion).toBe(
      "v4",
    );
    await ctx.close();
  });
});
