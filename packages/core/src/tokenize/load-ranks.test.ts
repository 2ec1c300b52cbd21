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
    // Counted by hand, not one expect per entry: 400k assertions take longer than the load itself.
    const differing: string[] = [];
    for (const [bytes, rank] of reference.rankMap)
      if (sliced.rankMap.get(bytes) !== rank) differing.push(`rank of ${bytes}`);
    for (const [rank, bytes] of reference.textMap) {
      const other = sliced.textMap.get(rank);
      if (!other || other.length !== bytes.length || other.some((byte, index) => byte !== bytes[index]))
        differing.push(`bytes of rank ${rank}`);
    }
    expect(differing.slice(0, 5)).toEqual([]);

    const text = "Héllo wörld 😀, 42 trail shoes\n\tsize 10½ <|endoftext|>";
    const encoder = sliced as unknown as Tiktoken;
    expect(encoder.encode(text, [], [])).toEqual((reference as unknown as Tiktoken).encode(text, [], []));
  }, 120_000); // two full loads of o200k_base: seconds alone, much longer on a loaded machine
});
