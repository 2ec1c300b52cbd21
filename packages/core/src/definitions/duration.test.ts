// Durations are whole milliseconds (#16 item 9): exact for every unit, fractions refused, never rounded.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isCtxError } from "../errors.js";
import { parseDuration } from "./duration.js";
import { defineEntity } from "./entity.js";
import { batch } from "./source.js";

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("parseDuration", () => {
  it("is exact for whole amounts of every unit, and for decimals that come to whole milliseconds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...Object.keys(UNITS)),
        (n, unit) => {
          expect(parseDuration(`${n}${unit}`, "x")).toBe(n * UNITS[unit as keyof typeof UNITS]);
        },
      ),
    );
    // Whole milliseconds written as seconds with up to three decimals: exactly those milliseconds.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (milliseconds) => {
        const text = `${Math.floor(milliseconds / 1000)}.${String(milliseconds % 1000).padStart(3, "0")}s`;
        expect(parseDuration(text, "x")).toBe(milliseconds);
      }),
    );
    expect(parseDuration("1.1s", "x")).toBe(1100);
    expect(parseDuration(250, "x")).toBe(250);
  });

  it("refuses fractions of a millisecond with CTX_INVALID_DURATION, never rounds them", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 1e9, noNaN: true }).filter((value) => !Number.isInteger(value)),
        (value) => {
          const error = refusal(() => parseDuration(value, "maxAge"));
          expect(isCtxError(error, "CTX_INVALID_DURATION")).toBe(true);
          expect((error as Error).message).toMatch(/whole number of milliseconds/);
        },
      ),
    );
    for (const input of [10.5, "10.5ms", "0.0001s", "1.0005s"]) {
      expect(
        isCtxError(
          refusal(() => parseDuration(input, "maxAge")),
          "CTX_INVALID_DURATION",
        ),
      ).toBe(true);
    }
    expect((refusal(() => parseDuration(10.5, "maxAge")) as Error).message).toContain("Use 10 or 11");
  });

  it("a source with a fractional maxAge is refused at definition", () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const error = refusal(() =>
      batch("profile", { entity: user, schema: z.string(), maxAge: 10.5, section: "Profile", priority: 1 }),
    );
    expect(isCtxError(error, "CTX_INVALID_DURATION")).toBe(true);
    expect((error as Error).message).toContain('maxAge of source "profile"');
  });
});
