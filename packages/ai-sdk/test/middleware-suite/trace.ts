// The assembly trace in providerMetadata: on generateText and streamText results, on the model-level
// stream's finish part, and one per call when calls run concurrently.

import { batch, createContextStore, defineEntity, RESERVED_LEFT_OUT_PREFIX, section } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { contextTrace } from "../../src/index.js";
import { BUDGET, type MiddlewareSuite, QUESTION } from "./harness.js";

export function describeTrace(suite: MiddlewareSuite): void {
  const { sdk, expected, providerOptions, wrapped } = suite;

  describe("trace", () => {
    it("a budget that leaves out every source: the call's warnings and the trace say so (#15)", async () => {
      const { mock, model } = wrapped();
      // Optional sources only (a required one that does not fit is CTX_BUDGET_TOO_SMALL instead).
      const tiny = {
        ctxstore: { ...providerOptions.ctxstore, sources: ["session_activity"], budget: { maxTokens: 5 } },
      };
      const result = await sdk.generateText({
        model,
        prompt: QUESTION,
        providerOptions: tiny,
        maxRetries: 0,
      });
      const warnings = (result as { warnings?: { type: string; message?: string }[] }).warnings ?? [];
      expect(
        warnings.some((warning) => warning.type === "other" && /Nothing fits/.test(warning.message ?? "")),
      ).toBe(true);
      expect(contextTrace(result.providerMetadata)?.warnings.join(" ")).toContain("Nothing fits");
      expect(mock.doGenerateCalls).toHaveLength(1);
    });

    it("a budget that leaves out a whole reserved (minTokens) section: the call's warnings name it (#15)", async () => {
      const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
      const profile = batch("profile", {
        entity: user,
        schema: z.string(),
        section: "Profile",
        priority: 90,
        required: true,
      });
      const terms = batch("terms", {
        entity: user,
        schema: z.string(),
        section: section("Account terms", { minTokens: 30 }),
      });
      const contextStore = createContextStore({ sources: [profile, terms] });
      await contextStore.write(
        profile,
        { userId: "ana" },
        "Ana Lima, trail runner training for a 50 km race in the spring.",
      );
      await contextStore.write(
        terms,
        { userId: "ana" },
        "Returns accepted within 60 days. Free exchanges on shoes.",
      );
      const { mock, model } = wrapped({ contextStore, budget: { maxTokens: 24 } });
      const result = await sdk.generateText({
        model,
        prompt: QUESTION,
        providerOptions: { ctxstore: { keys: { user: { userId: "ana" } } } },
        maxRetries: 0,
      });
      const warnings = (result as { warnings?: { type: string; message?: string }[] }).warnings ?? [];
      const reserved = warnings.filter((warning) =>
        warning.message?.startsWith(`ctxstore: ${RESERVED_LEFT_OUT_PREFIX}`),
      );
      expect(reserved).toHaveLength(1);
      expect(reserved[0]?.type).toBe("other");
      expect(reserved[0]?.message).toContain('section "Account terms" (minTokens 30)');
      expect(contextTrace(result.providerMetadata)?.warnings.join(" ")).toContain(RESERVED_LEFT_OUT_PREFIX);
      // The model still got what fitted.
      expect(JSON.stringify(mock.doGenerateCalls[0]?.prompt)).toContain("## Profile");
      await contextStore.close();
    });

    it('format per call: providerOptions.ctxstore.format "xml" packs sections as elements (#15)', async () => {
      const { mock, model } = wrapped();
      const xml = { ctxstore: { ...providerOptions.ctxstore, format: "xml" } };
      await sdk.generateText({ model, prompt: QUESTION, providerOptions: xml, maxRetries: 0 });
      expect(JSON.stringify(mock.doGenerateCalls[0]?.prompt)).toContain('<section name=\\"');
    });

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
      const { ctx } = suite;
      const { mock, model } = wrapped();
      await ctx.write(
        (await import("../fixture.js")).profile,
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
}
