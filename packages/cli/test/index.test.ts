// `ctxstore index` as a child process: chunk, embed and upsert files into a vector source whose store
// persists between processes (test/fixtures/docs), skipping unchanged files, re-indexing changed
// ones, pruning deleted ones, resuming after Ctrl-C; and the searched chunks then serve.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { beforeEach, describe, expect, it } from "vitest";
import { FIXTURES, runCli, runCliInTty, scriptAvailable } from "./support/cli.js";

const CONFIG = join(FIXTURES, "docs", "ctxstore.config.ts");

describe("ctxstore index", () => {
  let dir: string;
  let docs: string;
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) =>
    runCli(["--config", CONFIG, ...args], { cwd: dir, env: { CTXSTORE_TEST_DIR: dir }, ...extra });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ctxstore-cli-index-"));
    docs = join(dir, "docs");
    mkdirSync(docs);
    const topics = ["returns", "shipping", "sizing", "warranty"];
    for (const topic of topics)
      writeFileSync(
        join(docs, `${topic}.md`),
        `# About ${topic}\n\n${`Everything about ${topic}: how ${topic} work in our shop, step by step. `.repeat(12)}\n`,
      );
  });

  it("indexes, skips unchanged files, re-indexes changed ones and prunes deleted ones", async () => {
    const first = await cli(["--json", "index", "docs/*.md", "--source", "docs"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^progress index docs 4\/4 files \(100%\)/m);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({
      source: "docs",
      store: "json-file",
      files: 4,
      unchanged: [],
      interrupted: false,
    });
    expect(report.indexed).toEqual([
      "docs/returns.md",
      "docs/shipping.md",
      "docs/sizing.md",
      "docs/warranty.md",
    ]);
    expect(report.chunks).toBeGreaterThanOrEqual(4);
    const state = JSON.parse(readFileSync(join(dir, "state", "index", "docs.json"), "utf8"));
    expect(Object.keys(state.files)).toHaveLength(4);
    expect(state.embedder).toBe("local-hash-64");

    const served = JSON.parse((await cli(["--json", "explain", "--request", "ask"])).stdout);
    expect(served.sources[0]).toMatchObject({ source: "docs", status: "ok" });
    expect(["included", "truncated"]).toContain(served.sources[0].outcome);
    expect(served.text).toContain("returns");

    writeFileSync(
      join(docs, "sizing.md"),
      "# Sizing, rewritten\n\nOur sizing guide changed: order half a size up.\n",
    );
    rmSync(join(docs, "warranty.md"));
    const second = await cli(["--json", "index", "docs/*.md", "--source", "docs", "--prune"]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      indexed: ["docs/sizing.md"],
      unchanged: ["docs/returns.md", "docs/shipping.md"],
      pruned: ["docs/warranty.md"],
    });
    const vectors = JSON.parse(readFileSync(join(dir, "vectors.json"), "utf8")) as Array<{
      documentId: string;
      text: string;
    }>;
    expect(vectors.some((record) => record.documentId === "docs/warranty.md")).toBe(false);
    expect(
      vectors
        .filter((record) => record.documentId === "docs/sizing.md")
        .map((record) => record.text)
        .join(" "),
    ).toContain("half a size up");

    const text = await cli(["index", "docs/*.md", "--source", "docs"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/indexed 0 file\(s\) into docs \(json-file, local-hash-64\)/);
    expect(text.stdout).toMatch(/unchanged \(skipped\): 3/);
  });

  it("resumes after Ctrl-C: finished batches are recorded, the rest is indexed by the next run", async () => {
    for (let index = 0; index < 120; index += 1)
      writeFileSync(
        join(docs, `extra-${String(index).padStart(3, "0")}.md`),
        `# Extra ${index}\n\n${"A sentence about trail shoes. ".repeat(200)}\n`,
      );
    const interrupted = await cli(["--json", "index", "docs/*.md", "--source", "docs"], {
      env: { CTXSTORE_TEST_DIR: dir, CTXSTORE_TEST_UPSERT_DELAY_MS: "50" },
      onSpawn: (child, output) => {
        const timer = setInterval(() => {
          if (/progress index docs [1-9]/.test(output.stderr())) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 10);
      },
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const partial = JSON.parse(interrupted.stdout);
    expect(partial.interrupted).toBe(true);
    expect(partial.indexed.length).toBeGreaterThan(0);
    expect(partial.indexed.length).toBeLessThan(124);
    const resumed = JSON.parse((await cli(["--json", "index", "docs/*.md", "--source", "docs"])).stdout);
    expect(resumed.unchanged).toEqual(partial.indexed);
    expect(resumed.indexed.length + partial.indexed.length).toBe(124);
  });

  it.skipIf(!scriptAvailable)("draws a progress bar with rate and ETA on a terminal", async () => {
    const result = await runCliInTty(["--config", CONFIG, "index", "docs/*.md", "--source", "docs"], {
      cwd: dir,
      env: { CTXSTORE_TEST_DIR: dir },
    });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/index docs .*█+.* 100% \| 4\/4 files \| (?:[\d.,]+|-) files\/s \| ETA/);
    expect(result.stdout).not.toMatch(/^progress /m);
    expect(stripVTControlCharacters(result.stdout)).toMatch(/indexed 4 file\(s\) into docs/);
  });

  it("rejects bad input with what is valid", async () => {
    const noSource = await cli(["index", "docs/*.md"]);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/--source <name> is required: the vector source to index into \(docs\)/);
    const unknown = await cli(["index", "docs/*.md", "--source", "doc"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown source "doc"\. Vector sources of this config: docs/);
    const nothing = await cli(["index", "nothing/*.md", "--source", "docs"]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/No files match nothing\/\*\.md/);
    writeFileSync(join(docs, "blank.md"), "  \n");
    const blank = await cli(["index", "docs/*.md", "--source", "docs"]);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toMatch(/These files are empty, nothing to index: docs\/blank\.md/);
  });

  it("says a memory vector store keeps nothing, and records no state for it", async () => {
    const result = await runCli(["index", join(docs, "returns.md"), "--source", "help_center"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /help_center's vector store is in-process memory: the index lasts only for this command/,
    );
    expect(result.stdout).toMatch(/indexed 1 file\(s\) into help_center \(memory, local-hash-384\)/);
  });
});
