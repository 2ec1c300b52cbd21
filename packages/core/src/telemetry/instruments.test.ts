// Core tallies counters itself and hands the SDK the totals (instruments.ts). Property: for any
// sequence of resolutions and packer drops, what a real MeterProvider collects is exactly the naive
// count per attribute set, and every point's attributes are the documented ones.
import { type DataPoint, MeterProvider, type MetricReader } from "@opentelemetry/sdk-metrics";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Tier } from "../definitions/source.js";
import { STATUSES } from "../envelope.js";
import { coreInstruments, SourceCells } from "./instruments.js";
import { TestReader } from "./test-reader.fixtures.js";

const SOURCES: ReadonlyArray<readonly [string, Tier]> = [
  ["profile", "batch"],
  ["recent_activity", "stream"],
  ["inventory", "realtime"],
  ["help_center", "vector"],
];
const REASONS = ["budget", "section_max_tokens", "no_content", "other"] as const;

const event = fc.record({
  source: fc.integer({ min: 0, max: SOURCES.length - 1 }),
  status: fc.constantFrom(...STATUSES),
  packed: fc.option(
    fc.record({ outcome: fc.constantFrom("dropped", "truncated"), reason: fc.constantFrom(...REASONS) }),
    {
      nil: undefined,
    },
  ),
});

async function collected(reader: MetricReader, name: string): Promise<Map<string, number>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const points = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as ReadonlyArray<DataPoint<number>>);
  return new Map(points.map((point) => [JSON.stringify(point.attributes), point.value]));
}

describe("core's tallied counters", () => {
  it("property: collected counts are exactly the naive counts per attribute set", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 200 }), async (events) => {
        const reader = new TestReader();
        const instruments = coreInstruments(
          new MeterProvider({ readers: [reader] }).getMeter("test"),
          (error) => {
            throw error;
          },
        );
        const resolutions = new Map<string, number>();
        const items = new Map<string, number>();
        const bump = (counts: Map<string, number>, attributes: object) => {
          const key = JSON.stringify(attributes);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        };
        for (const { source, status, packed } of events) {
          const [name, tier] = SOURCES[source] as readonly [string, Tier];
          const cells = instruments.sources.get(name, tier);
          cells.resolved(status);
          bump(resolutions, { "ctxstore.source": name, "ctxstore.tier": tier, "ctxstore.status": status });
          if (packed) {
            cells.packed(packed.outcome, packed.reason);
            bump(items, {
              "ctxstore.source": name,
              "ctxstore.tier": tier,
              "ctxstore.outcome": packed.outcome,
              "ctxstore.reason": packed.reason,
            });
          }
        }
        expect(await collected(reader, "ctxstore.resolutions")).toEqual(resolutions);
        expect(await collected(reader, "ctxstore.packed.items")).toEqual(items);
      }),
      { numRuns: 50 },
    );
  });

  it("a source's attributes are built once and frozen: every age point shares one object", () => {
    const instruments = coreInstruments(new MeterProvider().getMeter("test"), () => {});
    const first = instruments.sources.get("profile", "batch");
    expect(instruments.sources.get("profile", "batch")).toBe(first);
    expect(first.ageAttributes).toEqual({ "ctxstore.source": "profile", "ctxstore.tier": "batch" });
    expect(Object.isFrozen(first.ageAttributes)).toBe(true);
    expect(new SourceCells("kb", "vector").ageAttributes).toEqual({
      "ctxstore.source": "kb",
      "ctxstore.tier": "vector",
    });
  });
});
