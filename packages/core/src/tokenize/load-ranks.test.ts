import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import { describe, expect, it } from "vitest";
import { buildTiktoken } from "./load-ranks.js";

interface Tables {
  rankMap: Map<string, number>;
  textMap: Map<number, Uint8Array>;
}

describe("buildTiktoken (the sliced loader)", () => {
  it("builds the same tables as js-tiktoken's constructor, and timers keep firing while it runs", async () => {
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 1);
    const sliced = (await buildTiktoken(o200k)) as unknown as Tables;
    clearInterval(ticker);
    // The constructor runs in one synchronous stretch: no timer could fire during it. The sliced
    // loader yields between slices, so the ticker ran many times.
    expect(ticks).toBeGreaterThan(10);

    const reference = new Tiktoken(o200k) as unknown as Tables;
    expect(sliced.rankMap.size).toBe(reference.rankMap.size);
    expect(sliced.textMap.size).toBe(reference.textMap.size);
    for (const [bytes, rank] of reference.rankMap) expect(sliced.rankMap.get(bytes)).toBe(rank);
    for (const [rank, bytes] of reference.textMap) expect(sliced.textMap.get(rank)).toEqual(bytes);

    const text = "Héllo wörld 😀, 42 trail shoes\n\tsize 10½ <|endoftext|>";
    const encoder = sliced as unknown as Tiktoken;
    expect(encoder.encode(text, [], [])).toEqual((reference as unknown as Tiktoken).encode(text, [], []));
  });
});
