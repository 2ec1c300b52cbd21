// A backfill recorded with past event times but today's write time (#16 item 14): with late writes
// excluded (datasets' default) every value it wrote is hidden at earlier labels. That must not be
// silent: pointInTime counts the hidden values per source, the dataset manifest reports them with
// what to do, and the count equals a brute-force oracle on random histories.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, createContextStore, defineEntity, memoryStore } from "@ctxstore/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildTrainingDataset, duckdbOfflineStore, pointInTime } from "../src/index.js";
import { customerProfile, recentActivity } from "./support-fixture.js";

const DAY = 86_400_000;
const LABELS_AT = Date.parse("2026-01-10T12:00:00Z");
const BACKFILL_RAN = Date.parse("2026-03-01T00:00:00Z");

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ctxstore-late-writes-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("values hidden by late writes", () => {
  it("a backfill with today's write time: the dataset reads missing and its manifest says why and what to do", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", now: () => BACKFILL_RAN });
    const customers = ["c1", "c2", "c3"];
    await offline.record(
      customers.flatMap((customerId) => [
        {
          source: customerProfile,
          key: { customerId },
          value: { plan: "Pro", since: "2024-01-01", summary: `Customer ${customerId}.` },
          eventTime: LABELS_AT - DAY,
        },
        {
          source: recentActivity,
          key: { customerId },
          value: { action: "Opened help" },
          eventTime: LABELS_AT - 60_000,
        },
      ]),
    );
    const context = createContextStore({ sources: [customerProfile, recentActivity], online: memoryStore() });
    const labels = customers.map((customerId) => ({
      timestamp: LABELS_AT,
      keys: { customer: { customerId } },
      question: "Where is my order?",
      answer: "Let me check.",
    }));
    const report = await buildTrainingDataset({
      offline,
      context,
      labels,
      budget: { maxTokens: 200 },
      input: "question",
      label: "answer",
      outDir: join(directory, "backfill"),
    });
    const { manifest } = report;
    expect(manifest.statusCounts.customer_profile).toEqual({ missing: 3 });
    expect(manifest.lateWrites).toEqual({
      hidden: 6,
      bySource: { customer_profile: 3, recent_activity: 3 },
      advice: expect.stringMatching(
        /^6 label values were hidden because the history behind them was written after the label's time \(customer_profile: 3, recent_activity: 3\); .*original write times \(writeTime\).*excludeLateWrites: false/,
      ),
    });
    const written = JSON.parse(await readFile(join(directory, "backfill", "manifest.json"), "utf8"));
    expect(written.lateWrites.hidden).toBe(6);

    // With the original write times recorded, nothing is hidden and the values are served.
    const fixed = await duckdbOfflineStore({ path: ":memory:", now: () => BACKFILL_RAN });
    await fixed.record(
      customers.map((customerId) => ({
        source: customerProfile,
        key: { customerId },
        value: { plan: "Pro", since: "2024-01-01", summary: `Customer ${customerId}.` },
        eventTime: LABELS_AT - DAY,
        writeTime: LABELS_AT - DAY,
      })),
    );
    const again = await buildTrainingDataset({
      offline: fixed,
      context,
      labels,
      budget: { maxTokens: 200 },
      input: "question",
      label: "answer",
      outDir: join(directory, "original-write-times"),
      sources: ["customer_profile"],
    });
    expect(again.manifest.statusCounts.customer_profile).toEqual({ ok: 3 });
    expect(again.manifest.lateWrites).toEqual({ hidden: 0, bySource: { customer_profile: 0 } });

    // Late writes included: nothing is hidden, so nothing is reported.
    const included = await pointInTime(offline, { labels, sources: [customerProfile] });
    expect(included.hiddenByLateWrites).toEqual({ customer_profile: 0 });
    await included.drop();
    await offline.close();
    await fixed.close();
  });

  it("counts exactly the labels whose answer a late write changed (property, brute-force oracle)", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const profile = batch("profile", { entity: user, schema: z.object({ n: z.number() }), section: "P" });
    const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const entry = fc.record({
      key: fc.constantFrom("a", "b"),
      eventTime: fc.integer({ min: 0, max: 30 }),
      writeTime: fc.integer({ min: 0, max: 60 }),
      n: fc.integer({ min: 0, max: 9 }),
    });
    const label = fc.record({ key: fc.constantFrom("a", "b", "c"), t: fc.integer({ min: 0, max: 60 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 12 }),
        fc.array(label, { minLength: 1, maxLength: 8 }),
        async (history, labels) => {
          await offline.connection.run("DELETE FROM ctx_history");
          await offline.record(
            history.map((row) => ({
              source: profile,
              key: { userId: row.key },
              value: { n: row.n },
              eventTime: row.eventTime,
              writeTime: row.writeTime,
            })),
          );
          const best = (key: string, t: number, excludeLate: boolean) => {
            let found: number | undefined;
            history.forEach((row, index) => {
              if (row.key !== key || row.eventTime > t || (excludeLate && row.writeTime > t)) return;
              const current = found === undefined ? undefined : history[found];
              if (
                current === undefined ||
                row.eventTime > current.eventTime ||
                (row.eventTime === current.eventTime && row.writeTime >= current.writeTime)
              )
                found = index;
            });
            return found;
          };
          const expected = labels.filter(({ key, t }) => {
            const withLate = best(key, t, false);
            return (
              withLate !== undefined &&
              (history[withLate]?.writeTime ?? 0) > t &&
              withLate !== best(key, t, true)
            );
          }).length;
          const result = await pointInTime(offline, {
            labels: labels.map(({ key, t }) => ({ timestamp: t, keys: { user: { userId: key } } })),
            excludeLateWrites: true,
          });
          expect(result.hiddenByLateWrites).toEqual({ profile: expected });
          await result.drop();
        },
      ),
      { numRuns: 60 },
    );
    await offline.close();
  });
});
