// prompt.cache: how much of each prompt a provider's prompt cache can reuse. A simulated day of a
// shop assistant: profiles and order summaries recomputed nightly (batch), session events every few
// seconds (stream), live stock and loyalty looked up on every request (realtime). Every request's
// prompt (a fixed system prompt, then ctxstore's context) is compared with the same user's previous
// prompt: the byte-identical prefix is what a provider can serve from its cache. Reported: the share
// of prompt tokens in that prefix, and the input cost with and without caching at the providers'
// published prices (PRICES in prompt-cache-prices.ts, with their date). The simulation is deterministic (seeded), so the
// shares are the same on every machine; only the time per request is the machine's.
import type { BenchFigure } from "@ctxstore/bench-fixtures";
import { z } from "zod";
import {
  batch,
  createContextStore,
  defineEntity,
  realtime,
  splitStablePrefix,
  stream,
  tiktokenTokenizer,
} from "../src/index.js";
import { billRequest, type CacheBill, inputCosts, PRICES } from "./prompt-cache-prices.js";

export { PRICES };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse("2026-03-02T00:00:00Z");

/** A small deterministic PRNG (mulberry32), so every run simulates the same day. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SYSTEM_PROMPT = [
  "You are the assistant of an outdoor-gear shop. Answer in the customer's language.",
  "Use only the context below for facts about the customer, their orders, stock and loyalty status.",
  "When the context says a value is unknown, say you cannot see it right now; never guess.",
  ...Array.from(
    { length: 40 },
    (_, index) =>
      `Policy ${index + 1}: returns within 30 days with receipt; store credit after that; sizes exchange free of charge.`,
  ),
].join("\n");

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });

export async function runPromptCacheBench(options: { users?: number } = {}): Promise<BenchFigure[]> {
  const users = options.users ?? (process.env.BENCH_QUICK === "1" ? 20 : 100);
  let now = START;
  const rand = random(20_260_302);
  const stock = new Map<string, number>();
  const sources = [
    batch("profile", {
      entity: user,
      schema: z.object({ name: z.string(), summary: z.string(), size: z.string() }),
      maxAge: "2d",
      section: "Customer",
      priority: 90,
      render: (profile) => `${profile.name}. ${profile.summary} Shoe size ${profile.size}.`,
    }),
    batch("orders", {
      entity: user,
      schema: z.object({ count: z.number(), last: z.string(), lines: z.array(z.string()) }),
      maxAge: "2d",
      section: "Orders",
      priority: 80,
      render: (orders) => [`${orders.count} orders; the last: ${orders.last}.`, ...orders.lines],
    }),
    stream("activity", {
      entity: session,
      schema: z.object({ action: z.string(), item: z.string() }),
      window: 20,
      maxAge: "30m",
      section: "This session",
      priority: 60,
      render: (event) => `${event.action} ${event.item}`,
    }),
    realtime("inventory", {
      entity: user,
      schema: z.object({ items: z.array(z.string()) }),
      timeout: "50ms",
      section: "Live",
      priority: 50,
      resolve: (key) => ({
        items: ["trail shoe", "rain jacket", "headlamp"].map(
          (item) => `${item}: ${stock.get(`${key.userId}:${item}`) ?? 3} in stock`,
        ),
      }),
      render: (value) => value.items,
    }),
    realtime("loyalty", {
      entity: user,
      schema: z.object({ tier: z.string(), points: z.number() }),
      timeout: "50ms",
      section: "Live",
      priority: 40,
      resolve: () => ({ tier: "gold", points: 1_000 + Math.floor(rand() * 50) }),
      render: (value) => `Loyalty ${value.tier}, ${value.points} points.`,
    }),
  ];
  const ctx = createContextStore({ sources, now: () => now, deadline: "1s" });
  await ctx.ready();
  const tokenizer = tiktokenTokenizer("o200k_base");
  const count = (text: string) => tokenizer.count(text);

  const nightly = async (day: number) => {
    for (let index = 0; index < users; index++) {
      const key = { userId: `u${index}` };
      await ctx.write(
        sources[0] as never,
        key,
        {
          name: `Customer ${index}`,
          summary: `Hikes most weekends; asked about waterproof boots on day ${day % 3}. Prefers wide fits and neutral colours.`,
          size: String(38 + (index % 9)),
        },
        { eventTime: now },
      );
      await ctx.write(
        sources[1] as never,
        key,
        {
          count: 3 + day,
          last: `order ${1_000 + index * 10 + day}, a ${day % 2 ? "headlamp" : "rain jacket"}`,
          lines: Array.from(
            { length: 12 },
            (_, line) => `Order ${900 + line}: delivered, ${line + 1} items.`,
          ),
        },
        { eventTime: now },
      );
    }
  };

  // The day's requests: each user has 1–3 sessions; a session is 4–12 turns, 5–90 s apart, with
  // 0–3 session events between turns.
  type Turn = { at: number; userId: string; sessionId: string; events: number };
  const turns: Turn[] = [];
  for (let index = 0; index < users; index++) {
    const sessions = 1 + Math.floor(rand() * 3);
    for (let s = 0; s < sessions; s++) {
      let at = START + 7 * HOUR + Math.floor(rand() * 14 * HOUR);
      const length = 4 + Math.floor(rand() * 9);
      for (let turn = 0; turn < length; turn++) {
        turns.push({ at, userId: `u${index}`, sessionId: `u${index}-s${s}`, events: Math.floor(rand() * 4) });
        at += 5_000 + Math.floor(rand() * 85_000);
      }
    }
  }
  turns.sort((a, b) => a.at - b.at);

  await nightly(0);
  const previous = new Map<string, { prompt: string; stable: string; at: number }>();
  const totals = { requests: 0, promptTokens: 0, prefixTokens: 0 };
  const bills: CacheBill[] = [];
  const started = performance.now();
  let nextNight = START + DAY + 2 * HOUR;
  for (const turn of turns) {
    now = turn.at;
    if (now >= nextNight) {
      await nightly(Math.floor((now - START) / DAY));
      nextNight += DAY;
    }
    for (let event = 0; event < turn.events; event++) {
      await ctx.append(
        sources[2] as never,
        { sessionId: turn.sessionId },
        { action: rand() < 0.5 ? "viewed" : "added to cart", item: `product ${Math.floor(rand() * 40)}` },
        { eventTime: now - (turn.events - event) * 1_000 },
      );
    }
    if (rand() < 0.2) stock.set(`${turn.userId}:trail shoe`, Math.floor(rand() * 5));
    const result = await ctx.assemble({
      keys: { user: { userId: turn.userId }, session: { sessionId: turn.sessionId } },
      budget: { maxTokens: 1_500 },
    });
    const prompt = `${SYSTEM_PROMPT}\n\n${result.text}`;
    const tokens = count(prompt);
    const last = previous.get(turn.userId);
    let prefix = 0;
    if (last) {
      const shared = commonPrefix(last.prompt, prompt);
      // Count whole lines only: a cache boundary inside a token would not be reused either.
      const cut = prompt.lastIndexOf("\n", shared);
      prefix = cut > 0 ? count(prompt.slice(0, cut + 1)) : 0;
    }
    // The Anthropic breakpoint goes where core's splitStablePrefix ends (after the leading
    // batch-only sections), as the AI SDK middleware puts it.
    const stableText = `${SYSTEM_PROMPT}\n\n${splitStablePrefix(result, ctx.sources).stable}`;
    bills.push(
      billRequest({
        tokens,
        prefix,
        stable: count(stableText),
        sameStable: last?.stable === stableText,
        warm: last !== undefined && now - last.at <= PRICES.openai.ttlMs,
      }),
    );
    totals.requests += 1;
    totals.promptTokens += tokens;
    if (last) totals.prefixTokens += prefix;
    previous.set(turn.userId, { prompt, stable: stableText, at: now });
  }
  const elapsedMs = performance.now() - started;
  await ctx.close();

  const costs = inputCosts(bills);
  const openaiPlain = costs.openai.without;
  const openaiCachedCost = costs.openai.with;
  const anthropicPlain = costs.anthropic.without;
  const anthropicCachedCost = costs.anthropic.with;
  const extra = { users, requests: totals.requests, prices: PRICES.date };
  return [
    {
      bench: "prompt.cache",
      metric: "prefix_share",
      value: totals.prefixTokens / totals.promptTokens,
      unit: "share",
      note: "prompt tokens that are a byte-identical prefix of the same user's previous prompt",
      ...extra,
    },
    {
      bench: "prompt.cache",
      metric: "openai_saved_share",
      value: 1 - openaiCachedCost / openaiPlain,
      unit: "share",
      model: PRICES.openai.model,
      usd_without: round(openaiPlain),
      usd_with: round(openaiCachedCost),
      ...extra,
    },
    {
      bench: "prompt.cache",
      metric: "anthropic_saved_share",
      value: 1 - anthropicCachedCost / anthropicPlain,
      unit: "share",
      model: PRICES.anthropic.model,
      usd_without: round(anthropicPlain),
      usd_with: round(anthropicCachedCost),
      ...extra,
    },
    {
      bench: "prompt.cache",
      metric: "mean_prompt_tokens",
      value: totals.promptTokens / totals.requests,
      unit: "tokens",
      ...extra,
    },
    {
      bench: "prompt.cache",
      metric: "ms_per_request",
      value: elapsedMs / totals.requests,
      unit: "ms",
      ...extra,
    },
  ];
}

function commonPrefix(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  return index;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import("@ctxstore/bench-fixtures");
  report(await runPromptCacheBench());
}
