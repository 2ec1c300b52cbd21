// Every TypeScript code block in README.md, docs/*.md, packages/*/README.md and examples/*/README.md
// (see src/snippets.ts for the markers): complete blocks are type-checked with the repository's
// strict tsconfig and run (embedded default stores; `redis` blocks against a private redis-server
// started for them), with their printed output compared where the doc shows it;
// fragments are type-checked inside test/fragment-harness.d.ts; check-only blocks are type-checked
// and reported as skipped, with their reason, on every run. A failure names the Markdown file and line.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectSnippets, extractSnippets, markdownFiles, type Snippet } from "../src/snippets.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PACKAGE = fileURLToPath(new URL("../", import.meta.url));
// Inside this package, so the snippets resolve @ctxstore/* and zod from its node_modules.
const WORK = join(PACKAGE, ".snippets");
const HARNESS = [join(PACKAGE, "test/fragment-harness.d.ts"), join(PACKAGE, "test/fragment-modules.d.ts")];
const TSX = join(PACKAGE, "node_modules/.bin/tsx");

// SNIPPETS_FILE=docs/rag.md checks only the blocks of the Markdown files whose path contains it
// (quicker while editing a page); the full run checks every file.
const only = process.env.SNIPPETS_FILE;
const snippets = collectSnippets(ROOT).filter((snippet) => !only || snippet.file.includes(only));
const fileOf = new Map<Snippet, string>();
snippets.forEach((snippet, index) => {
  const name = `${snippet.file.replace(/[^a-z0-9]+/gi, "_")}_L${snippet.line}_${index}.ts`;
  fileOf.set(snippet, join(WORK, snippet.kind === "fragment" ? "fragments" : "programs", name));
});
const where = (snippet: Snippet, offset = 0) => `${snippet.file}:${snippet.line + offset}`;

beforeAll(() => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, "programs"), { recursive: true });
  mkdirSync(join(WORK, "fragments"), { recursive: true });
  // `export {}` (on the last line, so line numbers match) makes every block a module: top-level
  // await works, and a fragment's own declarations shadow the harness's instead of clashing.
  for (const [snippet, file] of fileOf) writeFileSync(file, `${snippet.code}\nexport {};\n`);
});
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

/** Type-checks files with the repository's strict options: each error, with its block and "file:line". */
function typeCheck(files: string[], extra: string[] = []): Array<[Snippet | undefined, string]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(PACKAGE, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("cannot read packages/docs-check/tsconfig.json");
  const program = ts.createProgram([...files, ...extra], { ...config.options, noEmit: true });
  const bySnippet = new Map([...fileOf].map(([snippet, file]) => [file, snippet]));
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    const snippet = diagnostic.file ? bySnippet.get(diagnostic.file.fileName) : undefined;
    if (!diagnostic.file || diagnostic.start === undefined) return [undefined, message];
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return snippet
      ? [snippet, `${where(snippet, line)}: TS${diagnostic.code} ${message}`]
      : [undefined, `${diagnostic.file.fileName}:${line + 1}: ${message}`];
  });
}

function run(
  file: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ["--conditions=@ctxstore/source", file], {
      cwd: WORK,
      env: { ...process.env, NODE_ENV: "test", OPENAI_API_KEY: "", ...extraEnv },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// A `redis` block gets its own private redis-server (no other block's keys), stopped after it.
// Without redis-server on PATH it is reported as not run (and under CI=true that is a failure).
const redisAvailable = snippets.some((snippet) => snippet.service === "redis") && redisServerAvailable();

async function runWithService(snippet: Snippet) {
  if (snippet.service !== "redis") return run(fileOf.get(snippet) as string);
  const server = await startRedisServer({ label: "docs-check" });
  try {
    return await run(fileOf.get(snippet) as string, { REDIS_URL: server.url });
  } finally {
    await server.stop();
  }
}

describe("code blocks in the Markdown", () => {
  const problems = new Map<Snippet, string[]>();
  const note = (snippet: Snippet, problem: string) =>
    problems.set(snippet, [...(problems.get(snippet) ?? []), problem]);

  it("finds the blocks of every checked file", () => {
    if (only) console.warn(`\n*** SNIPPETS_FILE=${only}: only ${snippets.length} block(s) checked\n`);
    else expect(snippets.length).toBeGreaterThanOrEqual(40);
    expect(markdownFiles(ROOT)).toEqual(
      expect.arrayContaining([
        "README.md",
        "docs/concepts.md",
        "packages/core/README.md",
        "examples/quickstart/README.md",
      ]),
    );
    for (const snippet of snippets) {
      if (snippet.kind !== "fragment" && !/^\s*import\s/m.test(snippet.code)) {
        note(snippet, `${where(snippet, -1)}: no imports; complete it, or mark it \`\`\`ts fragment`);
      }
    }
  });

  it("type-checks complete and check-only blocks with the strict tsconfig, fragments inside the harness", () => {
    const programs = snippets.filter((snippet) => snippet.kind !== "fragment");
    const fragments = snippets.filter((snippet) => snippet.kind === "fragment");
    for (const [snippet, problem] of [
      ...typeCheck(programs.map((snippet) => fileOf.get(snippet) as string)),
      ...typeCheck(
        fragments.map((snippet) => fileOf.get(snippet) as string),
        HARNESS,
      ),
    ]) {
      if (snippet) note(snippet, problem);
      else throw new Error(problem); // an error outside any block: the harness itself is wrong
    }
  });

  it("runs the complete blocks that type-check, and compares what they print with the doc", async () => {
    for (const snippet of snippets.filter(
      (candidate) =>
        candidate.kind === "run" &&
        !problems.has(candidate) &&
        (candidate.service !== "redis" || redisAvailable),
    )) {
      const result = await runWithService(snippet);
      if (result.code !== 0) {
        note(
          snippet,
          `${where(snippet)}: exited ${result.code}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        );
      } else if (
        snippet.expectedOutput !== undefined &&
        result.stdout.trimEnd() !== snippet.expectedOutput.trimEnd()
      ) {
        note(
          snippet,
          `${where(snippet)}: printed\n${result.stdout.trimEnd()}\nbut the doc shows\n${snippet.expectedOutput}`,
        );
      }
    }
  });

  it("fails on every block with a problem, naming its file and line", () => {
    const skipped = snippets.filter(
      (snippet) => snippet.kind === "check-only" || (snippet.service === "redis" && !redisAvailable),
    );
    if (skipped.length > 0) {
      console.warn(
        `\n*** ${skipped.length} code block(s) type-checked but NOT run:\n${skipped
          .map((snippet) => `  ${where(snippet, -1)}: ${snippet.reason ?? "redis-server is not on PATH"}`)
          .join("\n")}\n`,
      );
    }
    expect([...problems.values()].flat()).toEqual([]);
  });
});

describe("extractSnippets", () => {
  const doc = [
    "# t", // 1
    "```ts", // 2
    'import { x } from "y";', // 3
    "```", // 4
    "prints", // 5
    "```text", // 6
    "42", // 7
    "```", // 8
    "```ts fragment", // 9
    "ctx.close();", // 10
    "```", // 11
    "```ts check-only: needs Qdrant", // 12
    'import { q } from "q";', // 13
    "```", // 14
    "```sh", // 15
    "npm test", // 16
    "```", // 17
  ].join("\n");

  it("classifies blocks by marker, with the line of their first code line and the output shown", () => {
    expect(extractSnippets("doc.md", doc)).toEqual([
      { file: "doc.md", line: 3, kind: "run", code: 'import { x } from "y";', expectedOutput: "42" },
      { file: "doc.md", line: 10, kind: "fragment", code: "ctx.close();" },
      {
        file: "doc.md",
        line: 13,
        kind: "check-only",
        reason: "needs Qdrant",
        code: 'import { q } from "q";',
      },
    ]);
  });

  it("marks a `redis` block runnable against a server the test starts, with its output", () => {
    expect(extractSnippets("doc.md", '```ts redis\nimport { r } from "r";\n```\n```text\nok\n```')).toEqual([
      {
        file: "doc.md",
        line: 2,
        kind: "run",
        service: "redis",
        code: 'import { r } from "r";',
        expectedOutput: "ok",
      },
    ]);
  });

  it("refuses an unknown marker, naming file and line", () => {
    expect(() => extractSnippets("doc.md", "```ts runnable\nx\n```")).toThrow(
      /doc\.md:1: unknown code block marker "runnable"/,
    );
  });
});
