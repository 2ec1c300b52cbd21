// The `ctxstore` command line: argument parsing (commander), one module per command under commands/.
import { Command, CommanderError } from "commander";
import { explainCommand } from "./commands/explain.js";
import { type GlobalOptions, runCommand } from "./commands/run.js";
import { EXIT } from "./output/exit-codes.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export function buildProgram(): Command {
  const program = new Command("ctxstore")
    .description("Inspect and operate a ctxstore context store (docs/cli.md).")
    .option("-c, --config <file>", "config file (default: the nearest ctxstore.config.{ts,mts,js,mjs})")
    .option("--json", "print one JSON document on stdout (progress still goes to stderr)")
    .option("-q, --quiet", "no progress or notes on stderr")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("explain")
    .description("assemble one request: packed prompt, trace table, token share by tier, warnings")
    .option("-k, --key <entity.field=value>", "an entity key (repeatable)", collect)
    .option("--query <text>", "the user's question (vector sources search with it)")
    .option("--max-tokens <n>", "token budget (default 1500)")
    .option("--tenant <tenant>", "tenant for vector sources that read it from the request")
    .option("--source <name>", "restrict to this source (repeatable)", collect)
    .option("--request <name>", "use a request named in the config's `requests`")
    .action((options, command: Command) =>
      runCommand(globals(command), (run) => explainCommand(run, options)),
    );

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    throw error;
  }
}

await main(process.argv.slice(2));
