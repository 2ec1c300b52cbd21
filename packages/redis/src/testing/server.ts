// Spawns private `redis-server` processes for tests and benchmarks: a free port, no persistence, a temp
// directory, readiness awaited, and every process and directory cleaned up when the test process exits
// (even when a test fails before its own cleanup runs). Never touches the machine's system Redis.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sendCommand } from "./resp.js";

/**
 * Options of `startRedisServer`: extra arguments, port, executable, label, readiness timeout (ms),
 * the Cluster bus port, a config file and Sentinel mode.
 */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `["--maxmemory", "64mb"]`. */
  args?: readonly string[];
  /** Fixed port; default: a free one. */
  port?: number;
  /** Executable; default `redis-server` (Sentinel runs as `redis-server <conf> --sentinel`). */
  executable?: string;
  /** Label in error messages and the temp directory name. */
  label?: string;
  /** How long to wait for the server to answer PING. Default 10 s. */
  readyTimeoutMs?: number;
  /** Also keep port + 10000 free (Redis Cluster bus). */
  clusterBus?: boolean;
  /**
   * Config file contents written to `<dir>/server.conf` and passed as the first argument (Sentinel
   * needs a writable config file). The port/bind/dir arguments still come from the helper.
   */
  config?: string;
  /**
   * Sentinel mode: `redis-server <config> --sentinel` (no separate `redis-sentinel` binary needed)
   * and no persistence arguments (a sentinel rejects them). Needs `config`.
   */
  sentinel?: boolean;
}

/**
 * A private `redis-server` for tests, from `startRedisServer`: its address and directory, and the
 * controls that simulate failures (`kill`, `restart`, `pause`/`resume`); `stop()` is the final cleanup.
 */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's working directory (removed by `stop()`). */
  readonly dir: string;
  /** Process id of the running server; undefined while it is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGTERM, wait for exit, remove the temp directory. Idempotent; the final cleanup. */
  stop(): Promise<void>;
  /** SIGKILL (a crash): the port goes dead at once; `restart()` brings it back empty. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (killing it first when running); waits until it answers. */
  restart(): Promise<void>;
  /** SIGSTOP: the server accepts connections but answers nothing (a hung or overloaded Redis). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Last lines the server printed (for assertion messages). */
  log(): string;
}

const live = new Set<{ child: ChildProcess | undefined; dir: string }>();
let exitHookInstalled = false;

function killEverything(): void {
  for (const entry of live) {
    try {
      entry.child?.kill("SIGKILL");
    } catch {
      // already gone
    }
    rmSync(entry.dir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", killEverything);
  // Ctrl-C or a test runner terminating us: clean up, then let the signal do what it would have done
  // (only when nobody else handles it, so we never change another handler's decision).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killEverything();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

const availability = new Map<string, boolean>();

/** True when the executable runs here (`redis-server --version`). */
export function executableAvailable(executable: string): boolean {
  let known = availability.get(executable);
  if (known === undefined) {
    const probe = spawnSync(executable, ["--version"], { stdio: "ignore", timeout: 5_000 });
    known = probe.status === 0;
    availability.set(executable, known);
  }
  return known;
}

/**
 * Whether Redis-backed suites can run: true when `redis-server` and `redis-cli` are installed (a
 * Sentinel runs as `redis-server --sentinel`, so no `redis-sentinel` binary is needed; the
 * `sentinel` flag is accepted for older callers and changes nothing). When missing it warns loudly
 * and returns false so the suite can `describe.skipIf(!available)`; under CI (`CI=true`) it throws
 * instead, so CI never skips silently.
 */
export function redisServerAvailable(_options: { sentinel?: boolean } = {}): boolean {
  const missing = ["redis-server", "redis-cli"].filter((executable) => !executableAvailable(executable));
  if (missing.length === 0) return true;
  const message = `${missing.join(", ")} not found on PATH: Redis-backed tests need it (Debian/Ubuntu: apt-get install -y redis-server, which also brings redis-cli).`;
  if (process.env.CI === "true") throw new Error(`${message} CI=true, so this is a failure, not a skip.`);
  console.warn(`\n  SKIPPING Redis-backed tests: ${message}\n`);
  return false;
}

/** A port nobody listens on right now (and port + 10000 too when `clusterBus`). */
export async function freePort({ clusterBus = false }: { clusterBus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (!clusterBus) return port;
    if (port + 10_000 > 65_535) continue;
    try {
      await listenOnce(port + 10_000);
      return port;
    } catch {
      // bus port taken; try another
    }
  }
  throw new Error("could not find a free TCP port");
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const chosen = typeof address === "object" && address !== null ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

/**
 * Starts a private `redis-server` on a free port with `--save "" --appendonly no` (nothing written
 * to disk) and resolves once it answers PING.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  installExitHook();
  const label = options.label ?? "redis";
  const executable = options.executable ?? "redis-server";
  let lastError: unknown;
  // A free port can be taken between probing and binding; retry on a fresh one (fixed ports fail).
  for (let attempt = 0; attempt < (options.port === undefined ? 4 : 1); attempt++) {
    const port = options.port ?? (await freePort({ clusterBus: options.clusterBus === true }));
    const dir = mkdtempSync(join(tmpdir(), `ctxstore-${label}-`));
    const server = createHandle({ ...options, executable, label }, port, dir);
    try {
      await server.restart();
      return server;
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  throw lastError;
}

function createHandle(
  options: RedisServerOptions & { executable: string; label: string },
  port: number,
  dir: string,
) {
  const host = "127.0.0.1";
  const entry: { child: ChildProcess | undefined; dir: string } = { child: undefined, dir };
  live.add(entry);
  let output = "";
  let exited: Promise<void> = Promise.resolve();

  const configFile = join(dir, "server.conf");
  const serverArgs = [
    ...(options.config === undefined ? [] : [configFile]),
    ...(options.sentinel === true ? ["--sentinel"] : []),
    "--port",
    String(port),
    "--bind",
    host,
    ...(options.sentinel === true ? [] : ["--save", "", "--appendonly", "no"]),
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--protected-mode",
    "no",
    "--loglevel",
    "warning",
    ...(options.args ?? []),
  ];

  async function waitUntilDown(signal: NodeJS.Signals): Promise<void> {
    const child = entry.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    if (signal === "SIGTERM") child.kill("SIGCONT"); // a paused server cannot handle SIGTERM
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async function start(): Promise<void> {
    mkdirSync(dir, { recursive: true });
    // Written once: Sentinel rewrites its own file (e.g. after a failover) and a restart keeps that.
    if (options.config !== undefined && !existsSync(configFile)) writeFileSync(configFile, options.config);
    output = "";
    const child = spawn(options.executable, serverArgs, { stdio: ["ignore", "pipe", "pipe"] });
    entry.child = child;
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    exited = new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", (error) => {
        output += `\nspawn error: ${error.message}`;
        resolve();
      });
    });
    const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        await exited;
        throw new Error(`${options.label} on port ${port} exited before it was ready:\n${output.trim()}`);
      }
      try {
        const reply = await sendCommand(port, ["PING"], { host, timeoutMs: 500 });
        if (reply === "PONG") return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await exited;
        throw new Error(`${options.label} on port ${port} did not answer PING in time:\n${output.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const handle: RedisServer = {
    host,
    port,
    url: `redis://${host}:${port}`,
    dir,
    get pid() {
      const child = entry.child;
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    get running() {
      return handle.pid !== undefined;
    },
    async stop() {
      await waitUntilDown("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
      live.delete(entry);
    },
    async kill() {
      await waitUntilDown("SIGKILL");
    },
    async restart() {
      await waitUntilDown("SIGKILL");
      live.add(entry);
      await start();
    },
    pause() {
      entry.child?.kill("SIGSTOP");
    },
    resume() {
      entry.child?.kill("SIGCONT");
    },
    log: () => output,
  };
  return handle;
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes (then throws `message`). */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // keep polling
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
