// splitStablePrefix on real assemblies: stable + rest is the text, the stable part is exactly the
// leading batch-only sections, and it does not move when only stream and realtime values change.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createContextStore } from "../context/create.js";
import { defineEntity } from "../definitions/entity.js";
import { type AnySource, batch, realtime, stream } from "../definitions/source.js";
import { splitStablePrefix } from "./stable-prefix.js";
import type { PackedSection } from "./types.js";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const Text = z.object({ text: z.string() });

type Tier = "batch" | "stream" | "realtime";
interface SourcePlan {
  readonly tier: Tier;
  readonly section: number;
  readonly priority: number;
}

const sourcePlan: fc.Arbitrary<SourcePlan> = fc.record({
  tier: fc.constantFrom<Tier>("batch", "stream", "realtime"),
  // Few section titles, so sections often mix tiers.
  section: fc.integer({ min: 0, max: 3 }),
  priority: fc.integer({ min: 1, max: 100 }),
});
const valueText = fc.string({ minLength: 1, maxLength: 40 }).filter((text) => text.trim().length > 0);

/** A real store with the planned sources; `values[i]` is source i's value (realtime resolvers answer it). */
async function assemble(
  plans: readonly SourcePlan[],
  values: readonly string[],
  options: { maxTokens: number; now: number; format?: "markdown" | "xml" },
) {
  const current = [...values];
  const sources: AnySource[] = plans.map((plan, index) => {
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
    return realtime(name, { ...common, timeout: "1s", resolve: () => ({ text: current[index] as string }) });
  });
  const ctx = createContextStore({ sources, now: () => options.now, format: options.format ?? "markdown" });
  await ctx.ready();
  for (const [index, source] of sources.entries()) {
    const text = values[index] as string;
    // Every value written at NOW: the assemblies compared differ in what they hold, not in when.
    if (source.tier === "batch")
      await ctx.write(source as never, { userId: "u1" }, { text } as never, { eventTime: NOW });
    if (source.tier === "stream")
      await ctx.append(source as never, { userId: "u1" }, { text } as never, { eventTime: NOW });
  }
  const result = await ctx.assemble({
    keys: { user: { userId: "u1" } },
    budget: { maxTokens: options.maxTokens },
  });
  await ctx.close();
  return { sources: ctx.sources, result };
}

const batchOnly = (section: PackedSection, sources: ReadonlyMap<string, AnySource>) =>
  section.sources.length > 0 && section.sources.every((name) => sources.get(name)?.tier === "batch");

describe("splitStablePrefix", () => {
  it("for any mix of tiers and sections, stable + rest is the text and stable is exactly the leading batch-only sections (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(sourcePlan, valueText), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 20, max: 400 }),
        async (mix, maxTokens) => {
          const { sources, result } = await assemble(
            mix.map(([plan]) => plan),
            mix.map(([, text]) => text),
            { maxTokens, now: NOW },
          );
          const { stable, rest } = splitStablePrefix(result, sources);
          expect(stable + rest).toBe(result.text);
          const leading: PackedSection[] = [];
          for (const section of result.sections) {
            if (!batchOnly(section, sources)) break;
            leading.push(section);
          }
          expect(stable).toBe(leading.map((section) => section.text).join(""));
          const next = result.sections[leading.length];
          if (next) expect(rest.startsWith(next.text)).toBe(true);
          else expect(rest).toBe("");
        },
      ),
      { numRuns: 40 },
    );
  });

  it("is byte-identical between two assemblies that differ only in stream and realtime values, minutes apart, in both formats (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(sourcePlan, valueText, valueText), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 30 * 60_000 }),
        fc.constantFrom<"markdown" | "xml">("markdown", "xml"),
        async (mix, later, format) => {
          const plans = mix.map(([plan]) => plan);
          const first = mix.map(([, text]) => text);
          // The second assembly: every stream and realtime value replaced, every batch value kept.
          const second = mix.map(([plan, text, other]) => (plan.tier === "batch" ? text : other));
          // A budget that holds everything: what fits is then not a function of the volatile values.
          const options = { maxTokens: 100_000, format };
          const a = await assemble(plans, first, { ...options, now: NOW });
          const b = await assemble(plans, second, { ...options, now: NOW + later });
          const prefixA = splitStablePrefix(a.result, a.sources).stable;
          expect(splitStablePrefix(b.result, b.sources).stable).toBe(prefixA);
          if (plans.some((plan) => plan.tier === "batch") && a.result.sections[0] !== undefined)
            expect(prefixA.length > 0).toBe(batchOnly(a.result.sections[0], a.sources));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("calls nothing stable when the sections do not spell out the text from its start", () => {
    const sources = new Map([["profile", { tier: "batch" } as AnySource]]);
    const section = { title: "P", text: "## P\nAna\n", tokens: 4, sources: ["profile"], blocks: [] };
    expect(splitStablePrefix({ text: `intro\n${section.text}`, sections: [section] }, sources)).toEqual({
      stable: "",
      rest: `intro\n${section.text}`,
    });
  });

  it("ends the prefix at a section holding a source the store does not know", () => {
    const sources = new Map([["profile", { tier: "batch" } as AnySource]]);
    const known = { title: "P", text: "## P\nAna\n", tokens: 4, sources: ["profile"], blocks: [] };
    const unknown = { title: "Q", text: "## Q\nx\n", tokens: 3, sources: ["gone"], blocks: [] };
    expect(
      splitStablePrefix({ text: known.text + unknown.text, sections: [known, unknown] }, sources),
    ).toEqual({ stable: known.text, rest: unknown.text });
  });
});
