// The request deadline holds whatever a value contains (#15): a megabyte-sized hostile realtime
// answer is counted under the deadline and reported `timeout` when the deadline comes first, never
// `ok` after it. Bounds are ratios to counting the same value whole in the same run, not absolute times.
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createContextStore, defineEntity, realtime } from "../index.js";
import { countBefore, loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const MEGABYTE = 1 << 20;

/** Hostile answers of about 1 MB: one run of spaces (one huge piece), and Thai without a split point. */
const HOSTILE = {
  spaces: `a${" ".repeat(MEGABYTE)}b`,
  thai: "ภาษาไทยไม่มีช่องว่างระหว่างคำ".repeat(Math.floor(MEGABYTE / 29 / 3)),
};

beforeAll(async () => {
  await loadEncoding("o200k_base");
});
const tokenizer = tiktokenTokenizer("o200k_base");

/** Milliseconds to count `text` whole, the same run's reference. */
function countTime(text: string): number {
  const started = performance.now();
  tokenizer.count(`${text}\n`);
  return performance.now() - started;
}

describe("countBefore", () => {
  it("is the exact count when time allows, and undefined once the time has passed", () => {
    const text = "Ana runs trails every weekend.   \u0e20\u0e32\u0e29\u0e32 😀";
    expect(countBefore(tokenizer, text, performance.now() + 60_000)).toBe(tokenizer.count(text));
    expect(countBefore(tokenizer, text, performance.now() - 1)).toBeUndefined();
  });

  it("stops inside one huge piece instead of counting it to the end", () => {
    const whole = countTime(HOSTILE.spaces);
    const limit = whole / 10;
    const started = performance.now();
    expect(countBefore(tokenizer, `${HOSTILE.spaces}\n`, started + limit)).toBeUndefined();
    // Generous: it ran for its limit plus one clock check's worth, far from the whole count.
    expect(performance.now() - started).toBeLessThan(whole / 2);
  });
});

describe("a hostile realtime answer under the request deadline", () => {
  for (const [name, answer] of Object.entries(HOSTILE)) {
    it(`${name}: the request ends near its deadline and the source is timeout, not ok`, async () => {
      const live = realtime("live", {
        entity: user,
        schema: z.string(),
        section: "Live",
        timeout: "10s",
        maxValueBytes: 4 * MEGABYTE,
        resolve: () => answer,
      });
      const ctx = createContextStore({ sources: [live] });
      await ctx.ready();
      const whole = countTime(answer);
      // A deadline an eighth of what counting the answer takes (at least 20 ms), so rendering it
      // whole would overrun the deadline many times over.
      const deadlineMs = Math.max(20, Math.round(whole / 8));
      const started = performance.now();
      const result = await ctx.assemble({
        keys: { user: { userId: "u1" } },
        budget: { maxTokens: 500 },
        deadline: `${deadlineMs}ms`,
      });
      const elapsed = performance.now() - started;
      expect(result.values.live?.status).toBe("timeout");
      expect(result.values.live?.reason).toMatch(/request deadline reached while rendering its value/);
      expect(result.text).toContain("Live: unknown — the lookup timed out. Do not assume there is none.");
      // Generous same-run bound: well under what counting the answer whole takes.
      expect(elapsed).toBeLessThan(deadlineMs + (whole - deadlineMs) / 2);
    });
  }

  it("the same answer with time to spare is ok and counted exactly", async () => {
    const answer = HOSTILE.thai.slice(0, 20_000);
    const live = realtime("live", {
      entity: user,
      schema: z.string(),
      section: "Live",
      timeout: "10s",
      maxValueBytes: 4 * MEGABYTE,
      resolve: () => answer,
    });
    const ctx = createContextStore({ sources: [live] });
    await ctx.ready();
    const result = await ctx.assemble({
      keys: { user: { userId: "u1" } },
      budget: { maxTokens: 100_000 },
      deadline: "30s",
    });
    expect(result.values.live?.status).toBe("ok");
    expect(tokenizer.count(result.text)).toBe(result.tokens);
  });
});
