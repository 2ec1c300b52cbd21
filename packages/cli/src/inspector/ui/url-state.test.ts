// The page's URL holds both requests of a comparison: any pair of forms survives the round trip.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FormState, pageFromSearch, pageToSearch } from "./url-state.js";

const text = fc.string({ maxLength: 16 });
const forms: fc.Arbitrary<FormState> = fc.record({
  keys: fc
    .dictionary(
      fc.constantFrom("user.userId", "session.sessionId", "product.productId"),
      text.filter((value) => value !== ""),
    )
    .filter((keys) => Object.keys(keys).length > 0),
  query: text,
  maxTokens: fc.integer({ min: 1, max: 10_000 }).map(String),
  tenant: text,
  deadline: fc.constantFrom("", "150ms", "2s"),
  format: fc.constantFrom("", "markdown", "xml"),
  purpose: fc.oneof(fc.constantFrom("", "inspection", "serving", "training"), text),
});

describe("the inspector's URL state", () => {
  it("round-trips one request, and two side by side", () => {
    fc.assert(
      fc.property(forms, fc.option(forms, { nil: undefined }), (a, b) => {
        const state = pageFromSearch(pageToSearch({ a, b }));
        expect(state.a).toEqual(a);
        expect(state.b).toEqual(b);
        expect(state.hasRequest).toBe(true);
      }),
    );
  });

  it("opens empty without parameters", () => {
    expect(pageFromSearch("")).toMatchObject({ b: undefined, hasRequest: false });
  });
});
