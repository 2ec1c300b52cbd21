// Extracts the TypeScript code blocks of the repository's Markdown and classifies them by their
// fence's info string:
//   ```ts                       a complete program: imports included; type-checked and run
//   ```ts redis                 complete, and needs a Redis server: the test starts a private
//                               redis-server for it and runs it with REDIS_URL set
//   ```ts check-only: <reason>  complete, but needs something the test cannot start (Qdrant, an
//                               API key): type-checked, and listed as skipped with the reason
//   ```ts fragment              a piece of a program: type-checked inside the harness
//                               (fragment-harness.d.ts declares the names fragments use)
// A complete block followed by a ```text block (only a short line such as "prints" between them)
// must print exactly that text.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export type SnippetKind = "run" | "check-only" | "fragment";

export interface Snippet {
  /** Repository-relative Markdown path. */
  readonly file: string;
  /** 1-based line of the first code line (the line after the opening fence). */
  readonly line: number;
  readonly kind: SnippetKind;
  /** A service the test starts for a runnable block (`redis`: a private redis-server, as REDIS_URL). */
  readonly service?: "redis";
  /** Why a check-only block is not run. */
  readonly reason?: string;
  readonly code: string;
  /** The output the doc shows for it, when it does. */
  readonly expectedOutput?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/;

/**
 * The Markdown files whose code blocks are checked: README.md, docs/*.md, packages/*\/README.md and
 * examples/*\/README.md.
 */
export function markdownFiles(root: string): string[] {
  const files = ["README.md"];
  for (const file of readdirSync(join(root, "docs")).sort())
    if (file.endsWith(".md")) files.push(`docs/${file}`);
  for (const group of ["packages", "examples"]) {
    for (const name of readdirSync(join(root, group)).sort()) {
      // a package or example without a README has no snippets (check:packages catches a missing one)
      if (existsSync(join(root, group, name, "README.md"))) files.push(`${group}/${name}/README.md`);
    }
  }
  return files;
}

interface Block {
  readonly language: string;
  readonly info: string;
  readonly line: number;
  readonly code: string;
  /** Lines of prose between the previous block's closing fence and this block's opening one. */
  readonly gap: string;
}

function blocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const found: Block[] = [];
  let gapStart = 0;
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index] ?? "");
    if (!open) continue;
    const fence = open[2] ?? "```";
    let end = index + 1;
    while (end < lines.length && !(lines[end] ?? "").trim().startsWith(fence)) end++;
    found.push({
      language: open[3] ?? "",
      info: (open[4] ?? "").trim(),
      line: index + 2,
      code: lines.slice(index + 1, end).join("\n"),
      gap: lines.slice(gapStart, index).join("\n"),
    });
    index = end;
    gapStart = end + 1;
  }
  return found;
}

/** Every TypeScript block of one Markdown text; throws, naming file and line, on a bad info string. */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const all = blocks(markdown);
  const snippets: Snippet[] = [];
  all.forEach((block, index) => {
    if (!["ts", "typescript", "tsx"].includes(block.language)) return;
    const next = all[index + 1];
    const shown =
      next &&
      next.language === "text" &&
      next.gap.trim().split("\n").length <= 1 &&
      next.gap.trim().length <= 40
        ? next.code
        : undefined;
    const base = { file, line: block.line, code: block.code };
    if (block.info === "")
      snippets.push({ ...base, kind: "run", ...(shown === undefined ? {} : { expectedOutput: shown }) });
    else if (block.info === "redis")
      snippets.push({
        ...base,
        kind: "run",
        service: "redis",
        ...(shown === undefined ? {} : { expectedOutput: shown }),
      });
    else if (block.info === "fragment") snippets.push({ ...base, kind: "fragment" });
    else if (/^check-only:\s*\S/.test(block.info)) {
      snippets.push({ ...base, kind: "check-only", reason: block.info.replace(/^check-only:\s*/, "") });
    } else {
      throw new Error(
        `${file}:${block.line - 1}: unknown code block marker "${block.info}"; use nothing (a complete, runnable program), "redis" (runnable against a redis-server the test starts), "fragment", or "check-only: <why it cannot run here>".`,
      );
    }
  });
  return snippets;
}

export function collectSnippets(root: string): Snippet[] {
  return markdownFiles(root).flatMap((file) =>
    extractSnippets(relative(root, join(root, file)), readFileSync(join(root, file), "utf8")),
  );
}
