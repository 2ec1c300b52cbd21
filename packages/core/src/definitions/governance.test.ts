// previewPolicy: what a preview of one purpose under another may reveal, over random policies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionFor, type PurposePolicy, previewPolicy, type RedactionAction } from "./governance.js";

const ACTIONS: readonly RedactionAction[] = ["keep", "pseudonymize", "mask", "drop"];
const CATEGORIES = ["contact", "person_name", "free_text", "health"] as const;
const action = fc.constantFrom(...ACTIONS);
const policy: fc.Arbitrary<PurposePolicy> = fc.record(
  {
    redact: fc.dictionary(fc.constantFrom(...CATEGORIES), action),
    otherwise: action,
    unredactedFor: fc.constant(["privacy-officer"]),
  },
  { requiredKeys: [] },
);
const rank = (value: RedactionAction) => ACTIONS.indexOf(value);

describe("previewPolicy", () => {
  it("gives an ordinary principal, per category, the stricter of the two actions and no unredactedFor", () => {
    fc.assert(
      fc.property(policy, policy, fc.boolean(), (floor, preview, hasPrincipal) => {
        const principal = hasPrincipal ? { id: "agent", roles: ["support"] } : undefined;
        const combined = previewPolicy(floor, preview, principal);
        expect(combined.unredactedFor).toBeUndefined();
        for (const category of [...CATEGORIES, "untagged-elsewhere"]) {
          const expected = Math.max(rank(actionFor(floor, category)), rank(actionFor(preview, category)));
          expect(rank(actionFor(combined, category))).toBe(expected);
        }
      }),
    );
  });

  it("gives a principal the floor keeps everything for the previewed purpose's policy unchanged", () => {
    fc.assert(
      fc.property(policy, policy, (floor, preview) => {
        const officer = { id: "dpo", roles: ["privacy-officer"] };
        const combined = previewPolicy(floor, preview, officer);
        if (floor.unredactedFor === undefined) expect(combined.unredactedFor).toBeUndefined();
        else expect(combined).toBe(preview);
      }),
    );
  });
});
