// Shared plumbing for every command: the terminal, the config (loaded once, closed at the end), the
// exit code from the outcome, errors as clear text (or JSON with --json), and Ctrl-C handling.
import { CtxError } from "@ctxstore/core";
import { findConfig, type LoadedConfig, loadConfig } from "../config/load.js";
import { EXIT, errorJson, exitCodeOf } from "../output/exit-codes.js";
import { createTerminal, type Terminal } from "../output/terminal.js";

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface CommandContext {
  readonly terminal: Terminal;
  /** Loads the config on first call (commands that need none never pay for it). */
  config(): Promise<LoadedConfig>;
  /** Aborted on the first Ctrl-C; a second Ctrl-C exits at once. */
  readonly signal: AbortSignal;
}

/** Runs a command body and exits with its code (a number it returns, or one derived from its error). */
export async function runCommand(
  globals: GlobalOptions,
  body: (command: CommandContext) => Promise<number | undefined>,
  options: {
    interruptNote?: string;
    /** Ctrl-C is how this command ends (inspect, freshness --watch): exit 0, not 130. */
    endsWithInterrupt?: boolean;
  } = {},
): Promise<never> {
  const terminal = createTerminal({ json: globals.json === true, quiet: globals.quiet === true });
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts === 1) {
      terminal.err.write(
        `\n${options.interruptNote ?? "stopping: finishing the step in progress so nothing is left half-done (Ctrl-C again to quit now)"}\n`,
      );
      controller.abort(new CtxError("CTX_INVALID_REQUEST", "interrupted (Ctrl-C)", { interrupted: true }));
    } else {
      terminal.err.write("\nquit\n");
      process.exit(EXIT.interrupted);
    }
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  let loaded: Promise<LoadedConfig> | undefined;
  const command: CommandContext = {
    terminal,
    signal: controller.signal,
    config: () => {
      loaded ??= loadConfig(findConfig(process.cwd(), globals.config));
      return loaded;
    },
  };
  let code: number;
  try {
    code = (await body(command)) ?? EXIT.ok;
    if (controller.signal.aborted && code === EXIT.ok && !options.endsWithInterrupt) code = EXIT.interrupted;
  } catch (error) {
    code = controller.signal.aborted ? EXIT.interrupted : exitCodeOf(error);
    if (terminal.json) terminal.printJson(errorJson(error));
    else terminal.err.write(`${terminal.errColors.red("error")} ${describeError(error)}\n`);
    if (process.env.CTXSTORE_DEBUG && error instanceof Error) terminal.err.write(`${error.stack}\n`);
  }
  if (loaded) await closeConfig(loaded, terminal);
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function closeConfig(loaded: Promise<LoadedConfig>, terminal: Terminal): Promise<void> {
  let config: LoadedConfig;
  try {
    config = await loaded;
  } catch {
    return;
  }
  // A config with its own close() owns the shutdown; otherwise the stores it exported are closed.
  const { close, offline, context } = config.config;
  const steps: Array<[string, () => Promise<unknown> | unknown]> = close
    ? [["config", () => close()]]
    : [
        ["offline store", () => offline?.close()],
        ["context store", () => context.close()],
      ];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      terminal.note(`note: closing the ${name} failed: ${describeError(error)}`);
    }
  }
}
