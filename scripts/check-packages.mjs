#!/usr/bin/env node
// Checks what each published package would actually ship: packs it the way `pnpm publish` does
// (workspace: ranges rewritten to versions, only the "files" listed), then runs publint (the
// package.json fields and files a consumer resolves) and @arethetypeswrong/cli (types resolve to
// the code they describe) on the tarball. Every package is ESM-only with "engines": ">=22", so attw
// runs its esm-only profile: node10 and CommonJS `require` resolution are out of scope on purpose.
// Also fails when a tarball has no README.md, which npm would show as an empty package page.
// Run through `npm run check:packages`, which builds the packages first.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const packsDir = mkdtempSync(join(tmpdir(), "ctxstore-packs-"));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}

const packages = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .filter((dir) => existsSync(join(dir, "package.json")))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
  .filter(({ manifest }) => manifest.private !== true);

const failures = [];
try {
  for (const { dir, manifest } of packages) {
    const name = manifest.name;
    if (!existsSync(join(dir, "dist"))) {
      failures.push(
        `${name}: no dist/ in ${dir}; run \`npm run build\` first (npm run check:packages does).`,
      );
      continue;
    }
    const destination = mkdtempSync(join(packsDir, "pack-"));
    const packed = run(process.execPath, [
      join(root, "scripts/pnpm.mjs"),
      "--dir",
      dir,
      "pack",
      "--pack-destination",
      destination,
    ]);
    const tarball = readdirSync(destination).find((file) => file.endsWith(".tgz"));
    if (!packed.ok || tarball === undefined) {
      failures.push(`${name}: pnpm pack failed:\n${packed.output}`);
      continue;
    }
    const path = join(destination, tarball);
    const listing = run("tar", ["-tzf", path]);
    if (!listing.output.split("\n").includes("package/README.md")) {
      failures.push(`${name}: the tarball has no README.md; add packages/${dir.split("/").pop()}/README.md.`);
    }
    const publint = run(bin("publint"), ["run", path, "--strict"]);
    if (!publint.ok) failures.push(`${name}: publint found problems:\n${publint.output}`);
    const attw = run(bin("attw"), [path, "--profile", "esm-only", "--format", "ascii"]);
    if (!attw.ok) failures.push(`${name}: @arethetypeswrong/cli found problems:\n${attw.output}`);
    console.log(`${publint.ok && attw.ok ? "ok  " : "FAIL"} ${name} (${tarball})`);
  }
} finally {
  rmSync(packsDir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\n${failures.join("\n\n")}`);
  process.exit(1);
}
console.log(`\npublint and attw: all ${packages.length} published packages are clean.`);
