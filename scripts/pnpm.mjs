#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's `packageManager`, on any machine that has Node >= 22
// and npm. It installs that exact pnpm into ~/.cache/ctxstore-pnpm (corepack is not required, and
// its signature check fails on some registries), puts it and the current Node first on PATH so that
// turbo and package scripts use the same binaries, then runs the given pnpm arguments.
// `--ensure-install` first runs `pnpm install` (a no-op when node_modules is already up to date).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `ctxstore needs Node >= 22 (this is ${process.version}). Install a newer Node, for example:\n` +
      `  npm install --prefix "$HOME/.cache/ctxstore-node" node@24 && export PATH="$HOME/.cache/ctxstore-node/node_modules/.bin:$PATH"`,
  );
  process.exit(1);
}

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pinned = /^pnpm@(\d+\.\d+\.\d+)/.exec(manifest.packageManager ?? "")?.[1];
if (!pinned) {
  console.error('package.json must pin pnpm as "packageManager": "pnpm@X.Y.Z"');
  process.exit(1);
}

const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  TURBO_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
};
const pnpmPrefix = join(process.env.CTXSTORE_PNPM_HOME ?? join(homedir(), ".cache", "ctxstore-pnpm"), pinned);
const pnpmBin = join(pnpmPrefix, "node_modules", ".bin");
if (!existsSync(join(pnpmBin, "pnpm"))) {
  mkdirSync(pnpmPrefix, { recursive: true });
  console.error(`installing pnpm@${pinned} into ${pnpmPrefix} ...`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(
    npm,
    ["install", "--silent", "--no-audit", "--no-fund", "--prefix", pnpmPrefix, `pnpm@${pinned}`],
    {
      stdio: ["ignore", "inherit", "inherit"],
      env,
    },
  );
}
env.PATH = [dirname(process.execPath), pnpmBin, env.PATH ?? ""].join(delimiter);

function pnpm(args) {
  const result = spawnSync(join(pnpmBin, "pnpm"), args, { cwd: root, stdio: "inherit", env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

let args = process.argv.slice(2);
if (args[0] === "--ensure-install") {
  args = args.slice(1);
  const status = pnpm(["install", "--frozen-lockfile", "--prefer-offline", "--reporter=append-only"]);
  if (status !== 0) process.exit(status);
}
if (args.length > 0) process.exit(pnpm(args));
