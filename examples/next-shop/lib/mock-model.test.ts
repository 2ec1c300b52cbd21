import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { composeAnswer, FIXED_ANSWER, mockShopModel } from "./mock-model";

const call = (context: string, question = "What did I look at?"): LanguageModelV4CallOptions =>
  ({
    prompt: [
      { role: "system", content: "You are the assistant." },
      { role: "system", content: context },
      { role: "user", content: [{ type: "text", text: question }] },
    ],
  }) as LanguageModelV4CallOptions;

describe("the offline mock model", () => {
  it("names the products viewed in the session, once each, in order", () => {
    const answer = composeAnswer(
      call(
        "## This session\n- 10:01 view: Trail Runner X\n- 10:02 click: size guide\n- 10:03 view: Summit GTX\n- 10:04 view: Trail Runner X",
      ),
    );
    expect(answer).toContain("In this session you looked at Trail Runner X and Summit GTX.");
  });

  it("says the session is unavailable when the context says unknown, and never that it is empty", () => {
    const answer = composeAnswer(
      call("## This session\nSession activity: unknown — the lookup failed. Do not assume there is none."),
    );
    expect(answer).toContain("Your recent activity is unavailable right now");
    expect(answer).not.toContain("not looked at anything");
  });

  it("tells a confirmed-empty session apart from an unknown one", () => {
    const answer = composeAnswer(
      call(
        "## This session\nNo session activity — confirmed, the stream is live and has no events for this session.",
      ),
    );
    expect(answer).toContain("You have not looked at anything yet in this session.");
  });

  it("gives stock only when it was looked up", () => {
    expect(
      composeAnswer(
        call("## Live inventory\n- Summit GTX (summit-gtx), units in stock by EU size: 42: sold out, 43: 2"),
      ),
    ).toContain("Stock right now: Summit GTX (summit-gtx), units in stock by EU size: 42: sold out, 43: 2.");
    expect(
      composeAnswer(
        call(
          "## Live inventory\nLive inventory: unknown — it was not looked up. Do not assume there is none.",
        ),
      ),
    ).not.toContain("Stock");
  });

  it("streams its answer in several text deltas, and a fixed answer when asked", async () => {
    const model = mockShopModel({ delayMs: 0, fixedAnswer: true });
    const { stream } = await model.doStream(call("## This session\n- view: X"));
    const deltas: string[] = [];
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.type === "text-delta") deltas.push(value.delta);
    }
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.join("")).toBe(FIXED_ANSWER);
  });
});
