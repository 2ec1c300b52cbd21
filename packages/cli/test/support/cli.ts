// Runs the real `ctxstore` bin as a child process (the way a user's shell does): piped, under a
// pseudo-terminal (util-linux `script`), or as a long-running inspector whose URL it reads back.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLI_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const REPO_ROOT = join(CLI_DIR, "..", "..");
export const BIN = join(CLI_DIR, "bin", "ctxstore.mjs");
export const QUICKSTART = join(REPO_ROOT, "examples", "quickstart");
export const WAREHOUSE = join(CLI_DIR, "examples", "warehouse");
export const FIXTURES = join(CLI_DIR, "test", "fixtures");

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Called with the child once it is spawned (e.g. to send SIGINT). */
  onSpawn?: (child: ChildProcess, output: { stdout: () => string; stderr: () => string }) => void;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, ...extra };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

/** `ctxstore <args>` with stdout and stderr piped (not a TTY). */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? QUICKSTART,
      env: childEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `ctxstore ${args.join(" ")} did not exit within ${options.timeoutMs ?? 60_000} ms\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export const scriptAvailable = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * `ctxstore <args>` with stdout and stderr on a pseudo-terminal (`script -qec`): what a user sees in
 * a terminal. Both streams arrive merged, as on a screen.
 */
export function runCliInTty(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  // `script` gives the child a pseudo-terminal whose size is the parent's, or 0x0 (read as 80
  // columns) when the parent has no terminal, as in CI; set it, so bars are drawn whole.
  const command = `stty cols 120 rows 40 2>/dev/null; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qefc", command, "/dev/null"], {
      cwd: options.cwd ?? QUICKSTART,
      env: childEnv({ TERM: "xterm-256color", COLUMNS: "120", ...options.env }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ctxstore ${args.join(" ")} (tty) did not exit in time\n${stdout}`));
    }, options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr: "" });
    });
  });
}

export interface RunningCli {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `ctxstore --json inspect --port 0` and resolves with the URL it prints. */
export function startInspector(
  options: { cwd?: string; args?: readonly string[] } = {},
): Promise<RunningCli> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, "--json", "inspect", "--port", "0", ...(options.args ?? [])],
      {
        cwd: options.cwd ?? QUICKSTART,
        env: childEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the inspector did not start\n${stderr}`));
    }, 60_000);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) {
        clearTimeout(timer);
        const { url } = JSON.parse(line) as { url: string };
        resolve({
          url,
          child,
          stop: async () => {
            if (child.exitCode === null) child.kill("SIGINT");
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!stdout.includes("\n")) reject(new Error(`the inspector exited with ${code}\n${stderr}`));
    });
  });
}
