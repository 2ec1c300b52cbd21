// Starts the shop for tests and benchmarks: a private redis-server, the production build (built once
// unless NEXT_SHOP_REUSE_BUILD=1 finds one), and `next start` on a free loopback port.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type RedisServer, startRedisServer } from "@ctxstore/redis/testing";

export const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const NEXT_BIN = join(APP_DIR, "node_modules", "next", "dist", "bin", "next");

const BASE_ENV = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  // The build's type check is `pnpm typecheck`'s job; skipping it keeps test and benchmark setup short.
  NEXT_SHOP_SKIP_TYPECHECK: "1",
  OPENAI_API_KEY: "",
  NEXT_SHOP_DIST_DIR: ".next-test",
};

export interface RunningShop {
  readonly baseUrl: string;
  readonly redis: RedisServer;
  log(): string;
  stop(): Promise<void>;
}

function runNext(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], {
      cwd: APP_DIR,
      env: BASE_ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`next ${args.join(" ")} exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

export async function buildShop(): Promise<void> {
  if (process.env.NEXT_SHOP_REUSE_BUILD === "1" && existsSync(join(APP_DIR, ".next-test", "BUILD_ID")))
    return;
  await runNext(["build", "--webpack"]);
}

export async function startShop(env: Record<string, string> = {}): Promise<RunningShop> {
  const redis = await startRedisServer({ label: "next-shop" });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let output = "";
  const server: ChildProcess = spawn(
    process.execPath,
    [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: APP_DIR,
      env: { ...BASE_ENV, REDIS_URL: redis.url, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so stopping it also stops the server process `next start` forks.
      detached: true,
    },
  );
  server.stdout?.on("data", (chunk) => (output += chunk));
  server.stderr?.on("data", (chunk) => (output += chunk));
  const stop = async () => {
    if (server.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
    await redis.stop();
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${baseUrl}/`, { redirect: "manual" })).status < 500) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`next start did not answer within 30 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, redis, log: () => output, stop };
}
