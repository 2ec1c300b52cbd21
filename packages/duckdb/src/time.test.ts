import { isCtxError } from "@ctxstore/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkTimestamp, MAX_EPOCH_MS, parseTimestamp, requireTimestamp } from "./time.js";

function problemOf(input: unknown): string {
  const checked = checkTimestamp(input);
  if (!("problem" in checked)) throw new Error(`expected ${String(input)} to be refused`);
  return checked.problem;
}

describe("parseTimestamp", () => {
  it("reads offsets, and no offset as UTC (never the machine's zone)", () => {
    const utc = Date.UTC(2026, 2, 2, 10, 0, 0);
    expect(parseTimestamp("2026-03-02T12:00:00+02:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02T12:00:00+0200")).toBe(utc);
    expect(parseTimestamp("2026-03-02T12:00:00+02")).toBe(utc);
    expect(parseTimestamp("2026-03-02T05:00:00-05:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02T15:30:00+05:30")).toBe(utc);
    expect(parseTimestamp("2026-03-02T10:00:00Z")).toBe(utc);
    expect(parseTimestamp("2026-03-02T10:00:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02 10:00")).toBe(utc);
    expect(parseTimestamp("2026-03-02T10:00:00.250")).toBe(utc + 250);
    expect(parseTimestamp("2026-03-02T10:00:00.25")).toBe(utc + 250);
    expect(parseTimestamp("2026-03-02T10:00:00.250000Z")).toBe(utc + 250);
    expect(parseTimestamp("2026-03-02")).toBe(Date.UTC(2026, 2, 2));
    expect(parseTimestamp("0001-01-01")).toBe(new Date("0001-01-01T00:00:00Z").getTime());
    expect(parseTimestamp(new Date(utc))).toBe(utc);
    expect(parseTimestamp(utc)).toBe(utc);
    expect(parseTimestamp(-utc)).toBe(-utc);
    expect(parseTimestamp(BigInt(utc))).toBe(utc);
    expect(parseTimestamp(MAX_EPOCH_MS)).toBe(MAX_EPOCH_MS);
  });

  it("refuses text forms JavaScript would read in the local time zone, naming the accepted ones", () => {
    for (const input of [
      "2025/01/01 10:00:00",
      "Jan 1 2025 10:00:00",
      "1 January 2025",
      "Wed, 01 Jan 2025 10:00:00 GMT",
      "01/02/2025",
      "2025-1-1",
      "1735725600000",
      "soon",
      "",
    ]) {
      expect(problemOf(input)).toMatch(
        /is not ISO 8601 \(e\.g\. .*no offset means UTC\): other text forms are refused, .* local time zone$/,
      );
    }
    expect(problemOf("2026-02-30")).toMatch(/not a date of the calendar/);
    expect(problemOf("2026-13-01")).toMatch(/not ISO 8601/);
    expect(problemOf("2026-03-02T24:00:00")).toMatch(/not ISO 8601/);
  });

  it("says honestly why a number is not a moment: NaN, Infinity, a fraction, beyond the Date range", () => {
    expect(problemOf(Number.NaN)).toBe("is NaN, not a moment");
    expect(problemOf(Number.POSITIVE_INFINITY)).toBe("is Infinity, not a moment");
    expect(problemOf(Number.NEGATIVE_INFINITY)).toBe("is -Infinity, not a moment");
    expect(problemOf(1.5)).toMatch(/^is 1\.5, a fraction of a millisecond/);
    expect(problemOf(1e20)).toMatch(
      /^is 100000000000000000000 epoch milliseconds, beyond the range of dates/,
    );
    expect(problemOf(9e15)).toMatch(/beyond the range of dates/);
    expect(problemOf(BigInt(1e20))).toMatch(/beyond the range of dates/);
    expect(problemOf("2026-03-02T10:00:00.2501Z")).toMatch(/digits below the millisecond/);
    expect(problemOf(new Date("nope"))).toBe("is an Invalid Date");
    expect(problemOf(null)).toBe("is missing");
    expect(problemOf(true)).toMatch(/^is true \(boolean\), not a Date/);
    expect(problemOf({})).toMatch(/\(object\)/);
  });

  it("reads every ISO string with an offset as the same moment as Date does (property)", () => {
    const moment = fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) });
    const offset = fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 });
    fc.assert(
      fc.property(moment, offset, (ms, minutes) => {
        const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 23);
        const sign = minutes < 0 ? "-" : "+";
        const abs = Math.abs(minutes);
        const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
        expect(parseTimestamp(text)).toBe(ms);
        expect(parseTimestamp(local)).toBe(ms + minutes * 60_000);
        expect(parseTimestamp(new Date(ms))).toBe(ms);
      }),
    );
  });

  it("requireTimestamp throws CTX_INVALID_REQUEST naming what and why", () => {
    const error = (() => {
      try {
        requireTimestamp("soon", "eventTime");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
    expect(String((error as Error).message)).toMatch(/: eventTime "soon" is not ISO 8601/);
  });
});
