// The context middleware chained with other middlewares (and with a second context middleware): who
// sees the context, and that every middleware's metadata survives.

import { describe, expect, it } from "vitest";
import { contextTrace } from "../../src/index.js";
import type { PromptMessage } from "../../src/prompt.js";
import { KEYS } from "../fixture.js";
import { type MiddlewareSuite, QUESTION } from "./harness.js";

export function describeOrdering(suite: MiddlewareSuite): void {
  const { sdk, expected, providerOptions, middleware } = suite;

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
}
