// The `ctxstore` command line: argument parsing (commander), one module per command under commands/,
// each imported only when its command runs (startup time).
import { Command, CommanderError } from "commander";
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
    .option("--tenant <tenant>", "the request's tenant (required on a multi-tenant context store)")
    .option("--source <name>", "restrict to this source (repeatable)", collect)
    .option("--request <name>", "use a request named in the config's `requests`")
    .option("--deadline <duration>", "whole-request deadline, e.g. 2s (default: the context store's)")
    .option("--format <format>", "render the prompt as markdown or xml (default: the context store's)")
    .option("--purpose <purpose>", "the purpose whose redaction policy applies (default: serving)")
    .option("--principal <id>", "who asks (sources with readers, a purpose's unredactedFor)")
    .option("--role <role>", "a role of --principal (repeatable)", collect)
    .action((options, command: Command) =>
      runCommand(globals(command), async (run) =>
        (await import("./commands/explain.js")).explainCommand(run, options),
      ),
    );

  program
    .command("validate")
    .description(
      "check the definitions: duplicates, realtime lookups, budgets, token mix; findings with advice",
    )
    .action((_options, command: Command) =>
      runCommand(globals(command), async (run) =>
        (await import("./commands/validate.js")).validateCommand(run),
      ),
    );

  program
    .command("materialize")
    .description(
      "publish new offline history to the online store under the phantom-zero guard (exit 3 when held)",
    )
    .option("--source <name>", "only this batch/stream source (repeatable)", collect)
    .option("--force [source]", "publish held sources anyway: all, or this one (repeatable)", collectOrTrue)
    .option("--no-guard", "turn the phantom-zero guard off for this run")
    .option("--batch-size <n>", "values per online write call (default 1000)")
    .option("--dry-run", "say what a run would publish or hold, writing and recording nothing")
    .option(
      "--since <time>",
      "also re-publish history written since this ISO 8601 time (with offset) or epoch ms, e.g. after the online store lost data",
    )
    .option("--tenant <tenant>", "the tenant to publish (required on a multi-tenant config; one per run)")
    .action((options, command: Command) =>
      runCommand(globals(command), async (run) =>
        (await import("./commands/materialize.js")).materializeCommand(run, options),
      ),
    );

  program
    .command("dataset")
    .description("build a point-in-time training dataset from a labels file (rendered like serving)")
    .option("--labels <file>", "label events: .parquet, .csv or .jsonl")
    .option("--out <path>", "train.jsonl (a file; manifest and values beside it) or a new directory")
    .option("--timestamp <column>", "label column with the point in time (default timestamp)")
    .option(
      "-k, --key <entity.field=column>",
      "label column holding an entity key field (repeatable)",
      collect,
    )
    .option("--input <column>", "label column with the user turn (also the assembly's query)")
    .option("--label <column>", "label column with the assistant turn")
    .option("--max-tokens <n>", "token budget of each prompt (default 1500)")
    .option("--source <name>", "restrict to this source (repeatable)", collect)
    .option("--include-late-writes", "do not hide history written after each label's time")
    .option("--realtime <mode>", "realtime values: history (recorded offline) or missing", "history")
    .option("--values-format <format>", "raw values file: parquet or jsonl", "parquet")
    .option("--on-render-error <mode>", "a label that cannot be rendered: skip or fail", "skip")
    .option("--tenant <tenant>", "the labels' tenant (required on a multi-tenant config)")
    .option(
      "--purpose <purpose>",
      "the purpose whose redaction policy shapes prompts and values (default: training)",
    )
    .option("--principal <id>", "who builds the dataset (sources with readers, unredactedFor)")
    .option("--role <role>", "a role of --principal (repeatable)", collect)
    .action((options, command: Command) =>
      runCommand(globals(command), async (run) =>
        (await import("./commands/dataset.js")).datasetCommand(run, options),
      ),
    );

  program
    .command("index")
    .description(
      "chunk, embed and upsert files into a vector source; unchanged files are skipped, runs resume",
    )
    .argument("[files...]", "files or glob patterns (quote globs to let ctxstore expand them)")
    .option("--source <name>", "the vector source to index into")
    .option("--tenant <tenant>", "tenant of these documents (multi-tenant vector stores)")
    .option("--chunk-tokens <n>", "largest chunk in tokens (default 256)")
    .option("--url-prefix <url>", "each document's url: this prefix + its path")
    .option("--prune", "delete documents of files that no longer exist from the store")
    .option(
      "--base <dir>",
      "document ids are paths relative to this (default: the config's directory, else cwd)",
    )
    .action((files: string[], options, command: Command) =>
      runCommand(globals(command), async (run) =>
        (await import("./commands/index-files.js")).indexCommand(run, files, options),
      ),
    );

  program
    .command("freshness")
    .description("per source: share fresh/stale, age percentiles vs maxAge, ingest lag, last materialization")
    .option("--watch", "refresh until Ctrl-C")
    .option("--interval <duration>", "refresh interval with --watch (default 5s)")
    .action((options, command: Command) =>
      runCommand(
        globals(command),
        async (run) => (await import("./commands/freshness.js")).freshnessCommand(run, options),
        {
          interruptNote: "stopped",
          endsWithInterrupt: true,
        },
      ),
    );

  program
    .command("inspect")
    .description("serve the inspector page locally (http://127.0.0.1:4317/)")
    .option("-p, --port <port>", "port (0: any free port)", String(4317))
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .action((options, command: Command) =>
      runCommand(
        globals(command),
        async (run) => (await import("./commands/inspect.js")).inspectCommand(run, options),
        {
          interruptNote: "stopping the inspector",
          endsWithInterrupt: true,
        },
      ),
    );

  return program;
}

function collectOrTrue(value: string | boolean, previous: string[] | boolean | undefined) {
  if (previous === true || value === true) return true;
  return [...(Array.isArray(previous) ? previous : []), String(value)];
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
