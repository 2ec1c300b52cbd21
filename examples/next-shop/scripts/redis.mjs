#!/usr/bin/env node
// Runs the shop's own Redis in the foreground: port 6390 (REDIS_PORT), data kept in ./.redis between
// runs (an append-only file), never the machine's default Redis on 6379. Stop it with Ctrl-C.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const port = process.env.REDIS_PORT ?? "6390";
const dir = fileURLToPath(new URL("../.redis/", import.meta.url));
mkdirSync(dir, { recursive: true });
const redis = spawn(
  "redis-server",
  ["--port", port, "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
  { stdio: "inherit" },
);
redis.on("error", (error) => {
  console.error(
    `Could not start redis-server (${error.message}). Install it (apt-get install redis-server, brew install redis) and retry.`,
  );
  process.exit(1);
});
redis.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => redis.kill("SIGTERM"));
