// The quickstart's promises, asserted: the loyalty timeout reads as unknown (never "no loyalty
// status"), a new customer's empty history is a fact, and the prompt stays within its budget.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS } from "../src/scenarios.js";
import { createShopContext, type ShopContext } from "../src/shop.js";

function scenario(index: number) {
  const found = SCENARIOS[index];
  if (!found) throw new Error(`no scenario ${index}`);
  return found.request;
}

let shop: ShopContext;
beforeAll(async () => {
  shop = await createShopContext();
  await shop.seed();
});
afterAll(() => shop.ctx.close());

describe("quickstart shop", () => {
  it("(a) returning customer: everything known is there; the timed-out loyalty lookup is unknown, not absent", async () => {
    const result = await shop.ctx.assemble(scenario(0));
    const status = Object.fromEntries(result.trace.sources.map((source) => [source.source, source.status]));
    expect(status).toEqual({
      customer_profile: "ok",
      order_history: "ok",
      session_activity: "ok",
      live_inventory: "ok",
      loyalty_status: "timeout",
      help_center: "ok",
    });
    expect(result.text).toContain(
      "Loyalty status: unknown — the lookup timed out. Do not assume there is none.",
    );
    expect(result.text).not.toMatch(/no loyalty|loyalty status: none/i);
    expect(result.text).toContain("Trail Runner X, EU 42.5");
    expect(result.text).toContain("42: 3, 42.5: sold out, 43: 7");
    // The help-center search finds the fit note that answers "too narrow", with its citation.
    expect(result.text).toContain("Sizing notes for Trail Runner X. It runs narrow in the forefoot");
    expect(result.text).toContain("(https://help.example-shop.com/product/trail-runner-x-fit-and-sizing)");
    expect(result.text.indexOf("## Customer profile")).toBeLessThan(result.text.indexOf("## This session"));
    expect(shop.ctx.tokenizer.count(result.text)).toBe(result.tokens);
    expect(result.tokens).toBeLessThanOrEqual(600);
  });

  it("(b) new customer: empty history and an empty session are stated as facts", async () => {
    const result = await shop.ctx.assemble(scenario(1));
    expect(result.values.customer_profile?.status).toBe("empty");
    expect(result.values.order_history?.status).toBe("empty");
    expect(result.values.session_activity?.status).toBe("empty");
    expect(result.text).toContain(
      "Order history: none — this customer has placed no orders yet (a confirmed fact).",
    );
    expect(result.text).toContain("Loyalty status: unknown");
  });

  it("a customer nobody computed a profile for reads as unknown, not as new", async () => {
    const result = await shop.ctx.assemble({
      keys: { user: { userId: "never-seen" } },
      budget: { maxTokens: 400 },
    });
    expect(result.values.customer_profile?.status).toBe("missing");
    expect(result.text).not.toContain("New customer");
    expect(result.text).toContain("Customer profile: unknown");
  });
});
