#!/usr/bin/env node
// One command for the whole demo: the shop's Redis (scripts/redis.mjs) and `next dev`, stopped together.
// Then open http://localhost:3000, browse a couple of shoes, and ask the assistant.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  REDIS_URL: process.env.REDIS_URL ?? `redis://127.0.0.1:${process.env.REDIS_PORT ?? "6390"}`,
};
const children = [
  spawn(process.execPath, ["scripts/redis.mjs"], { cwd: root, env, stdio: "inherit" }),
  spawn(process.execPath, ["node_modules/next/dist/bin/next", "dev", "--webpack"], {
    cwd: root,
    env,
    stdio: "inherit",
  }),
];
let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  process.exitCode = code;
}
for (const child of children) child.on("exit", (code) => stop(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(0));
