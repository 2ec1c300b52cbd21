// loadFile into a source whose schema takes only text (#16 item 13): a text cell is the value as
// written, even when it would parse as JSON ("42", "{\"a\":1}", "null", "true").
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, defineEntity } from "@ctxstore/core";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type DuckdbOfflineStore, duckdbOfflineStore, loadFile } from "../src/index.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const summary = batch("summary", { entity: user, schema: z.string(), section: "Summary" });
const mood = batch("mood", { entity: user, schema: z.enum(["42", "null", "calm"]), section: "Mood" });
const stats = batch("stats", { entity: user, schema: z.object({ a: z.number() }), section: "Stats" });

let directory: string;
let store: DuckdbOfflineStore | undefined;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ctxstore-text-values-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const csvCell = (text: string) => `"${text.replaceAll('"', '""')}"`;

describe("text values in loadFile", () => {
  it("keeps JSON-looking text cells of a z.string() source as text (CSV and JSON Lines)", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [summary, mood, stats] });
    const cells = ["42", '{"a":1}', "null", "true", "[1,2]", "plain words", " padded "];
    const csv = join(directory, "summaries.csv");
    await writeFile(
      csv,
      [
        "userId,text,event_time",
        ...cells.map((cell, index) => `u${index},${csvCell(cell)},2025-01-01T00:00:00Z`),
      ].join("\n"),
    );
    const report = await loadFile(store, { source: summary, file: csv, value: "text" });
    expect(report).toMatchObject({ rows: cells.length, loaded: cells.length, rejectedCount: 0 });
    const stored = (await store.history(summary)).map((row) => JSON.parse(String(row.value)));
    expect(stored).toEqual(cells);

    const jsonl = join(directory, "summaries.jsonl");
    await writeFile(
      jsonl,
      cells
        .map((cell, index) => JSON.stringify({ userId: `j${index}`, text: cell, event_time: 0 }))
        .join("\n"),
    );
    await loadFile(store, { source: summary, file: jsonl, value: "text" });
    expect(
      (await store.history(summary)).slice(cells.length).map((row) => JSON.parse(String(row.value))),
    ).toEqual(cells);

    // A column of numbers-as-text: CSV would guess BIGINT; the text source gets the text as written.
    const numbers = join(directory, "numbers.csv");
    await writeFile(numbers, "userId,text,event_time\nn1,042,0\nn2,7,0\n");
    await loadFile(store, { source: mood, file: numbers, value: "text", partial: true });
    await loadFile(store, { source: summary, file: numbers, value: "text" });
    expect((await store.history(summary, { userId: "n1" })).map((row) => row.value)).toEqual(['"042"']);

    const noColumn = await loadFile(store, { source: summary, file: numbers, value: "nope" }).catch(
      (error: Error) => error,
    );
    expect(String(noColumn)).toMatch(/has no column "nope" \(value\)/);

    const enums = join(directory, "mood.csv");
    await writeFile(enums, "userId,text,event_time\nm1,42,0\nm2,null,0\nm3,calm,0\n");
    expect(await loadFile(store, { source: mood, file: enums, value: "text" })).toMatchObject({ loaded: 3 });
    expect((await store.history(mood)).map((row) => row.value)).toEqual(['"42"', '"null"', '"calm"']);
  });

  it("still parses JSON text cells for a source whose schema is not text", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [stats] });
    const csv = join(directory, "stats.csv");
    await writeFile(csv, `userId,payload,event_time\nu1,${csvCell('{"a":1}')},0\n`);
    expect(await loadFile(store, { source: stats, file: csv, value: "payload" })).toMatchObject({
      loaded: 1,
    });
    expect((await store.history(stats)).map((row) => row.value)).toEqual(['{"a":1}']);
  });

  it("stores any text cell of a text source unchanged (property)", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [summary] });
    const offline = store;
    let file = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.json(),
            fc.string().filter((text) => !/[\r\n]/.test(text)),
          ),
          { minLength: 1, maxLength: 5 },
        ),
        async (texts) => {
          file += 1;
          const path = join(directory, `property-${file}.jsonl`);
          await writeFile(
            path,
            texts
              .map((text, index) => JSON.stringify({ userId: `p${file}-${index}`, text, event_time: 0 }))
              .join("\n"),
          );
          await loadFile(offline, { source: summary, file: path, value: "text" });
          for (const [index, text] of texts.entries()) {
            const rows = await offline.history(summary, { userId: `p${file}-${index}` });
            expect(rows.map((row) => JSON.parse(String(row.value)))).toEqual([text]);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
