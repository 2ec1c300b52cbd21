// The prompt.cache bench's price arithmetic (bench/prompt-cache-prices.ts): worked examples checked
// by hand, and the invariants of every bill (its parts add up to the prompt, nothing is cached that
// the provider would not cache, caching never raises OpenAI's price).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { billRequest, inputCosts, PRICES } from "../bench/prompt-cache-prices.js";

const usd = (tokens: number, perMillion: number) => (tokens * perMillion) / 1_000_000;

describe("PRICES", () => {
  it("states its date and the published discounts (OpenAI cached input 75% off; Anthropic reads 10%, 5-minute writes 125%)", () => {
    expect(PRICES.date).toMatch(/2025-04.*2025-05/);
    expect(PRICES.openai.cachedInput / PRICES.openai.input).toBe(0.25);
    expect(PRICES.anthropic.cacheRead / PRICES.anthropic.input).toBeCloseTo(0.1, 10);
    expect(PRICES.anthropic.cacheWrite / PRICES.anthropic.input).toBe(1.25);
  });
});

describe("billRequest and inputCosts", () => {
  const request = { tokens: 2_000, prefix: 1_500, stable: 1_300, sameStable: true, warm: true };

  it("a warm request with an unchanged stable prefix: OpenAI caches 1,408 tokens (11 steps of 128), Anthropic reads the marked 1,300", () => {
    const bill = billRequest(request);
    expect(bill).toEqual({
      openai: { cached: 1_408, uncached: 592 },
      anthropic: { read: 1_300, write: 0, uncached: 700 },
    });
    const costs = inputCosts([bill]);
    expect(costs.openai.without).toBeCloseTo(usd(2_000, 2), 12);
    expect(costs.openai.with).toBeCloseTo(usd(592, 2) + usd(1_408, 0.5), 12);
    expect(costs.anthropic.without).toBeCloseTo(usd(2_000, 3), 12);
    expect(costs.anthropic.with).toBeCloseTo(usd(700, 3) + usd(1_300, 0.3), 12);
  });

  it("a cold request: nothing read; Anthropic writes the marked prefix at the write premium, so it costs more than no cache", () => {
    const bill = billRequest({ ...request, warm: false });
    expect(bill.openai).toEqual({ cached: 0, uncached: 2_000 });
    expect(bill.anthropic).toEqual({ read: 0, write: 1_300, uncached: 700 });
    const costs = inputCosts([bill]);
    expect(costs.anthropic.with).toBeCloseTo(usd(1_300, 3.75) + usd(700, 3), 12);
    expect(costs.anthropic.with).toBeGreaterThan(costs.anthropic.without);
  });

  it("the nightly rewrite (stable prefix changed): Anthropic reads nothing however long the shared part, OpenAI still caches it", () => {
    const bill = billRequest({ ...request, sameStable: false, prefix: 1_200 });
    expect(bill.anthropic).toEqual({ read: 0, write: 1_300, uncached: 700 });
    expect(bill.openai.cached).toBe(1_152);
  });

  it("below the providers' 1,024-token minimum nothing is cached or written", () => {
    expect(billRequest({ ...request, prefix: 1_023 }).openai.cached).toBe(0);
    expect(billRequest({ ...request, stable: 1_000, prefix: 1_000 }).anthropic).toEqual({
      read: 0,
      write: 0,
      uncached: 2_000,
    });
  });

  it("an empty day costs nothing", () => {
    expect(inputCosts([])).toEqual({ openai: { without: 0, with: 0 }, anthropic: { without: 0, with: 0 } });
  });

  it("property: every bill's parts add up to the prompt, OpenAI's cached part is whole 128-token steps within the shared prefix, Anthropic reads only an unchanged warm prefix", () => {
    const requests = fc
      .record({
        tokens: fc.integer({ min: 0, max: 200_000 }),
        prefixShare: fc.double({ min: 0, max: 1, noNaN: true }),
        stableShare: fc.double({ min: 0, max: 1, noNaN: true }),
        sameStable: fc.boolean(),
        warm: fc.boolean(),
      })
      .map(({ tokens, prefixShare, stableShare, sameStable, warm }) => ({
        tokens,
        prefix: Math.floor(tokens * prefixShare),
        stable: Math.floor(tokens * stableShare),
        sameStable,
        warm,
      }));
    fc.assert(
      fc.property(fc.array(requests, { maxLength: 20 }), (day) => {
        const bills = day.map(billRequest);
        for (const [index, bill] of bills.entries()) {
          const asked = day[index] as (typeof day)[number];
          expect(bill.openai.cached + bill.openai.uncached).toBe(asked.tokens);
          expect(bill.anthropic.read + bill.anthropic.write + bill.anthropic.uncached).toBe(asked.tokens);
          expect(bill.openai.cached % PRICES.openai.step).toBe(0);
          expect(bill.openai.cached).toBeLessThanOrEqual(asked.warm ? asked.prefix : 0);
          for (const part of [bill.openai.uncached, bill.anthropic.write, bill.anthropic.uncached])
            expect(part).toBeGreaterThanOrEqual(0);
          if (bill.anthropic.read > 0) {
            expect(asked.warm && asked.sameStable && asked.prefix >= asked.stable).toBe(true);
            expect(bill.anthropic.read).toBe(asked.stable);
          }
        }
        const costs = inputCosts(bills);
        expect(costs.openai.with).toBeLessThanOrEqual(costs.openai.without + 1e-9);
        const tokens = day.reduce((total, asked) => total + asked.tokens, 0);
        expect(costs.openai.without).toBeCloseTo(usd(tokens, PRICES.openai.input), 9);
      }),
    );
  });
});
