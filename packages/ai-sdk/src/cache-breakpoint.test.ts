import {
  type AnySource,
  batch,
  createContextStore,
  defineEntity,
  type PackedSection,
  realtime,
  stream,
} from "@ctxstore/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ANTHROPIC_CACHE_CONTROL, contextSystemMessages } from "./cache-breakpoint.js";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const Text = z.object({ text: z.string() });

type Tier = "batch" | "stream" | "realtime";
interface SourcePlan {
  readonly tier: Tier;
  readonly section: number;
  readonly priority: number;
  readonly text: string;
}

const sourcePlan: fc.Arbitrary<SourcePlan> = fc.record({
  tier: fc.constantFrom<Tier>("batch", "stream", "realtime"),
  // Few section titles, so sections often mix tiers.
  section: fc.integer({ min: 0, max: 3 }),
  priority: fc.integer({ min: 1, max: 100 }),
  text: fc.string({ minLength: 1, maxLength: 40 }).filter((text) => text.trim().length > 0),
});

function defineSource(plan: SourcePlan, index: number): AnySource {
  const common = {
    entity: user,
    schema: Text,
    section: `Section ${plan.section}`,
    priority: plan.priority,
    render: (value: { text: string }) => value.text,
  };
  const name = `s${index}_${plan.tier}`;
  if (plan.tier === "batch") return batch(name, { ...common, maxAge: "2d" });
  if (plan.tier === "stream") return stream(name, { ...common, maxAge: "1h", window: 3 });
  return realtime(name, { ...common, timeout: "200ms", resolve: () => ({ text: plan.text }) });
}

/** A real store with these sources, each holding its planned value, and its assembly for one user. */
async function assembleMix(plans: readonly SourcePlan[], maxTokens: number) {
  const sources = plans.map(defineSource);
  const ctx = createContextStore({ sources, now: () => NOW });
  await ctx.ready();
  for (const [index, source] of sources.entries()) {
    const text = (plans[index] as SourcePlan).text;
    if (source.tier === "batch") await ctx.write(source as never, { userId: "u1" }, { text } as never);
    if (source.tier === "stream") await ctx.append(source as never, { userId: "u1" }, { text } as never);
  }
  const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens } });
  await ctx.close();
  return { ctx, result };
}

const isBatchOnly = (section: PackedSection, sources: ReadonlyMap<string, AnySource>) =>
  section.sources.every((name) => sources.get(name)?.tier === "batch");

describe("contextSystemMessages", () => {
  it("for any mix, the messages' texts concatenate to the packed text, none is empty, and only a non-empty batch prefix is marked (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sourcePlan, { minLength: 1, maxLength: 8 }), async (plans) => {
        const { ctx, result } = await assembleMix(plans, 400);
        const messages = contextSystemMessages(result, ctx.sources, "anthropic");
        expect(messages.map((message) => message.content).join("")).toBe(result.text);
        for (const message of messages) expect(message.content.length).toBeGreaterThan(0);
        const leadsWithBatch =
          result.sections[0] !== undefined && isBatchOnly(result.sections[0], ctx.sources);
        expect(messages[0]?.providerOptions).toEqual(leadsWithBatch ? ANTHROPIC_CACHE_CONTROL : undefined);
        expect(messages.slice(1).every((message) => message.providerOptions === undefined)).toBe(true);
        // "none": one unmarked message, the packed text as is.
        expect(contextSystemMessages(result, ctx.sources, "none")).toEqual([
          { role: "system", content: result.text },
        ]);
      }),
      { numRuns: 25 },
    );
  });

  it("marks with a fresh object each time, so a caller extending one message's options cannot change another's", () => {
    const sources = new Map([["profile", { tier: "batch" } as AnySource]]);
    const section = { title: "P", text: "## P\nAna\n", tokens: 4, sources: ["profile"], blocks: [] };
    const packed = { text: section.text, sections: [section] };
    const [first] = contextSystemMessages(packed, sources, "anthropic");
    const [second] = contextSystemMessages(packed, sources, "anthropic");
    expect(first?.providerOptions).toEqual(ANTHROPIC_CACHE_CONTROL);
    expect(first?.providerOptions).not.toBe(second?.providerOptions);
  });
});
