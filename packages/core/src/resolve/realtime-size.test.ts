// A realtime answer over maxValueBytes is `invalid` with the reason (#15 item 2): one huge upstream
// answer cannot stall rendering, and what the model sees is ctxstore's note, not a partial value.
import { get_encoding } from "tiktoken";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createContextStore, defineEntity, realtime } from "../index.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });

function storeAnswering(answer: string, maxValueBytes?: number) {
  const live = realtime("live", {
    entity: user,
    schema: z.string(),
    section: "Live",
    timeout: "5s",
    resolve: () => answer,
  });
  return createContextStore({ sources: [live], ...(maxValueBytes === undefined ? {} : { maxValueBytes }) });
}

describe("realtime answers and maxValueBytes", () => {
  it("an answer over the limit is invalid, with its size and the limit in the reason", async () => {
    const ctx = storeAnswering("x".repeat(5_000), 4_096);
    await ctx.ready();
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 200 } });
    expect(result.values.live?.status).toBe("invalid");
    expect(result.values.live?.reason).toMatch(
      /answer is 5002 bytes, over the 4096-byte maxValueBytes limit/,
    );
    expect(result.text).toContain("Live: unknown");
  });

  it("an answer within the limit is ok and counted exactly, whatever it holds (8,000 tabs, #15)", async () => {
    const answer = `a${"\t".repeat(8_000)}b`;
    const ctx = storeAnswering(answer);
    await ctx.ready();
    const result = await ctx.assemble({
      keys: { user: { userId: "u1" } },
      budget: { maxTokens: 4_000 },
      deadline: "2s",
    });
    expect(result.values.live?.status).toBe("ok");
    const reference = get_encoding("o200k_base");
    try {
      expect(reference.encode_ordinary(result.text).length).toBe(result.tokens);
    } finally {
      reference.free();
    }
  });
});
