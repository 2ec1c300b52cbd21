import { describe, expect, it } from "vitest";
import { runChat } from "./chat.js";

describe("the AI SDK chat example, offline", () => {
  it("shows the prompt the model received, the traces, and the fail-closed error", async () => {
    let output = "";
    await runChat({ write: (text) => (output += text) });
    const [, returning = "", newcomer = "", failing = ""] = output.split(/^=== /m);

    // (a) The caller's instructions first, then the packed context, then the question, untouched.
    expect(returning).toMatch(
      /^\[system\]\nYou are the trail-running shop's assistant\.[^\n]*\n\n\[system\]\n## Customer profile\nAna Lima\./m,
    );
    expect(returning).toContain("Usual shoe size: EU 42.");
    expect(returning).toContain(
      "Trail Runner X (trail-runner-x), units in stock by EU size: 42: 3, 42.5: sold out, 43: 7",
    );
    expect(returning).toContain(
      "Loyalty status: unknown — the lookup timed out. Do not assume there is none.",
    );
    expect(returning).toContain(
      "[user]\nDo you have the Trail Runner X in my size, and can I return it if it is too narrow?",
    );
    expect(returning).toMatch(/loyalty_status\s+realtime timeout/);
    expect(returning).toMatch(/customer_profile\s+batch\s+ok/);

    // (b) Streamed: a new customer's empty history is stated as a fact.
    expect(newcomer).toContain("New customer: no profile yet (first visit, signed up today).");
    expect(newcomer).toContain(
      "Order history: none — this customer has placed no orders yet (a confirmed fact).",
    );
    expect(newcomer).toMatch(/order_history\s+batch\s+empty/);

    // (c) No keys: the typed error, and no model output.
    expect(failing).toContain("CTX_INVALID_REQUEST: This call has no providerOptions.ctxstore");
    expect(failing).not.toContain("[user]");
  });
});
