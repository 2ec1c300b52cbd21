import { isCtxError } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { parseTimestamp, requireTimestamp } from "./time.js";

describe("parseTimestamp", () => {
  it("reads offsets, and no offset as UTC (never the machine's zone)", () => {
    const utc = Date.UTC(2026, 2, 2, 10, 0, 0);
    expect(parseTimestamp("2026-03-02T12:00:00+02:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02T05:00:00-05:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02T10:00:00Z")).toBe(utc);
    expect(parseTimestamp("2026-03-02T10:00:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02 10:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02T10:00:00.250")).toBe(utc + 250);
    expect(parseTimestamp("2026-03-02")).toBe(Date.UTC(2026, 2, 2));
    expect(parseTimestamp(new Date(utc))).toBe(utc);
    expect(parseTimestamp(utc)).toBe(utc);
    expect(parseTimestamp(BigInt(utc))).toBe(utc);
  });

  it("rejects what is not a timestamp", () => {
    for (const input of [
      "",
      "soon",
      "2026-13-45",
      Number.NaN,
      Number.POSITIVE_INFINITY,
      null,
      undefined,
      {},
      new Date("nope"),
    ]) {
      expect(parseTimestamp(input)).toBeUndefined();
    }
    const error = (() => {
      try {
        requireTimestamp("soon", "eventTime");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
    expect(String((error as Error).message)).toMatch(/eventTime must be .* got "soon"/);
  });
});
