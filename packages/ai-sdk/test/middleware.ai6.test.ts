// The middleware suite against ai@6 (language model specification v3), installed as "ai-v6".
import {
  generateText,
  type LanguageModelMiddleware,
  stepCountIs,
  streamText,
  tool,
  wrapLanguageModel,
} from "ai-v6";
import { MockLanguageModelV3 } from "ai-v6/test";
import { describe, expect, it } from "vitest";
import { contextMiddleware } from "../src/index.js";
import { createShop } from "./fixture.js";
import { runMiddlewareSuite } from "./middleware-suite/index.js";
import { echoSettings, type MockModel, type SdkUnderTest } from "./sdk.js";

const ai6: SdkUnderTest = {
  label: "ai@6 (specification v3)",
  specificationVersion: "v3",
  generateText: (options) => generateText(options as never) as never,
  streamText: (options) => {
    const result = streamText(options as never);
    // Getters: each of these promises rejects when the call fails, so only touch what a test awaits.
    return {
      get text() {
        return result.text;
      },
      get providerMetadata() {
        return result.providerMetadata as never;
      },
      get parts() {
        return result.fullStream as never;
      },
    };
  },
  wrapLanguageModel: (options) => wrapLanguageModel(options as never),
  echoModel: () => new MockLanguageModelV3(echoSettings() as never) as unknown as MockModel,
  mockModel: (settings) => new MockLanguageModelV3(settings as never) as unknown as MockModel,
  tool: (definition) => tool(definition as never),
  stepCountIs,
  // ai@6 has OpenTelemetry built in and opt-in per call.
  telemetryOn: { experimental_telemetry: { isEnabled: true } },
  telemetryOff: { experimental_telemetry: { isEnabled: false } },
};

runMiddlewareSuite(ai6);

describe("types against ai@6", () => {
  it('contextMiddleware({ specificationVersion: "v3" }) is an ai@6 LanguageModelMiddleware', async () => {
    const ctx = await createShop();
    const middleware: LanguageModelMiddleware = contextMiddleware({
      contextStore: ctx,
      budget: { maxTokens: 100 },
      specificationVersion: "v3",
      request: (params) => ({ keys: { user: { userId: String(params.headers?.["x-user-id"]) } } }),
    });
    expect(middleware.specificationVersion).toBe("v3");
    expect(wrapLanguageModel({ model: new MockLanguageModelV3(), middleware }).specificationVersion).toBe(
      "v3",
    );
    await ctx.close();
  });
});
