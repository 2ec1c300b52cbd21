#!/usr/bin/env node
// Builds the docs site (`npm run docs`): the guides in docs/, the root README as the home page, the
// package and example READMEs, and the TypeDoc API reference, to static HTML with VitePress (local
// search, no network). Output: dist/site/ (open dist/site/index.html through any static server, e.g.
// `npx vitepress preview docs`).
//
// The Markdown is staged into docs/.site-src/ first, because the READMEs live outside docs/ and
// link to repository paths: a link to a staged page is rewritten to that page, a link to another
// repository file (an example config, the alert rules) to a copy served under /repo/, so every
// internal link of the site resolves.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stage = join(root, "docs/.site-src");

/** Repository path of each staged page → its path in the site. */
const pages = new Map([["README.md", "index.md"]]);
for (const file of readdirSync(join(root, "docs"))) if (file.endsWith(".md")) pages.set(`docs/${file}`, file);
for (const group of ["packages", "examples"]) {
  for (const name of readdirSync(join(root, group))) {
    if (existsSync(join(root, group, name, "README.md")))
      pages.set(`${group}/${name}/README.md`, `${group}/${name}.md`);
  }
}

const copies = new Set();

/** Where a relative link from `fromRepoPath` to `target` should point in the staged site. */
function rewriteLink(fromRepoPath, target) {
  if (/^[a-z]+:|^#|^\//i.test(target)) return target;
  const [pathPart, hash] = target.split("#");
  let repoPath = posix.normalize(posix.join(posix.dirname(fromRepoPath), decodeURIComponent(pathPart ?? "")));
  repoPath = repoPath.replace(/\/$/, "");
  if (existsSync(join(root, repoPath)) && statSync(join(root, repoPath)).isDirectory()) {
    repoPath = existsSync(join(root, repoPath, "README.md")) ? `${repoPath}/README.md` : repoPath;
  }
  const fromPage = pages.get(fromRepoPath) ?? "index.md";
  const suffix = hash === undefined ? "" : `#${hash}`;
  const page = pages.get(repoPath);
  if (page) return `${posix.relative(posix.dirname(fromPage), page) || posix.basename(page)}${suffix}`;
  if (existsSync(join(root, repoPath)) && statSync(join(root, repoPath)).isFile()) {
    copies.add(repoPath);
    return `/repo/${repoPath}`;
  }
  throw new Error(
    `${fromRepoPath}: link "${target}" points at ${repoPath}, which does not exist; fix the link.`,
  );
}

rmSync(stage, { recursive: true, force: true });
for (const [repoPath, page] of pages) {
  const markdown = readFileSync(join(root, repoPath), "utf8");
  // Links and images outside code blocks: [text](target) and ![alt](target).
  let inFence = false;
  const lines = markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) return line;
    return line.replace(/(\]\()([^)\s]+)(\))/g, (_match, open, target, close) => {
      const rewritten = rewriteLink(repoPath, target);
      // Images are assets, served as-is from /repo/.
      return `${open}${rewritten}${close}`;
    });
  });
  const out = join(stage, page);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, lines.join("\n"));
}
for (const repoPath of copies) {
  const out = join(stage, "public/repo", repoPath);
  mkdirSync(dirname(out), { recursive: true });
  cpSync(join(root, repoPath), out);
}

const api = spawnSync(
  process.execPath,
  [join(root, "scripts/api-docs.mjs"), "--out", join(stage, "public/api")],
  {
    stdio: "inherit",
  },
);
if (api.status !== 0) process.exit(api.status ?? 1);

const vitepress = spawnSync(join(root, "node_modules/.bin/vitepress"), ["build", "docs"], {
  cwd: root,
  stdio: "inherit",
});
if (vitepress.status !== 0) process.exit(vitepress.status ?? 1);
console.log(
  `docs site: ${pages.size} pages and the API reference in ${relative(root, join(root, "dist/site"))}/`,
);
