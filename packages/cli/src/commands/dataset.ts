// `ctxstore dataset`: a point-in-time training dataset from a labels file, every prompt rendered by
// the same packer serving uses (@ctxstore/duckdb's buildTrainingDataset), with progress and a report
// (statuses per source, late writes excluded or not, the definition versions and their fingerprint).
//
// Nothing is half-written: the dataset is built in a temporary directory next to the target and
// renamed into place at the end. `--out train.jsonl` (a file) gets the chat messages, with
// `train.manifest.json` and `train.values.parquet` beside it; `--out train/` (a directory) gets the
// library's layout (messages.jsonl, values.parquet, manifest.json). Ctrl-C removes the temporary files.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { CtxError } from "@ctxstore/core";
import { checkMaxTokens } from "../inspection/request.js";
import { EXIT } from "../output/exit-codes.js";
import { createProgress } from "../output/progress.js";
import { table } from "../output/table.js";
import { count } from "../output/units.js";
import { offlineOf, principalOf, tenantOf } from "./offline.js";
import type { CommandContext } from "./run.js";

export interface DatasetCommandOptions {
  labels?: string;
  out?: string;
  timestamp?: string;
  key?: string[];
  input?: string;
  label?: string;
  maxTokens?: string;
  source?: string[];
  includeLateWrites?: boolean;
  realtime?: string;
  valuesFormat?: string;
  onRenderError?: string;
  tenant?: string;
  purpose?: string;
  principal?: string;
  role?: string[];
}

function usage(message: string): CtxError {
  return new CtxError("CTX_INVALID_REQUEST", message, { usage: true });
}

export async function datasetCommand(
  command: CommandContext,
  options: DatasetCommandOptions,
): Promise<number> {
  if (!options.labels)
    throw usage("--labels <file> is required: a .parquet, .csv or .jsonl file of label events.");
  if (!options.out) throw usage("--out <file.jsonl|dir> is required.");
  if (!options.input || !options.label)
    throw usage("--input <column> (the user turn) and --label <column> (the assistant turn) are required.");
  const labelsPath = resolve(options.labels);
  if (!existsSync(labelsPath)) throw usage(`--labels ${labelsPath} does not exist.`);
  const keys = parseKeyColumns(options.key ?? []);
  const realtime = oneOf(options.realtime ?? "history", ["history", "missing"] as const, "--realtime");
  const valuesFormat = oneOf(
    options.valuesFormat ?? "parquet",
    ["parquet", "jsonl"] as const,
    "--values-format",
  );
  const onRenderError = oneOf(
    options.onRenderError ?? "skip",
    ["skip", "fail"] as const,
    "--on-render-error",
  );
  const maxTokens = checkMaxTokens(options.maxTokens);
  const principal = principalOf(options.principal, options.role);
  if (options.purpose !== undefined && options.purpose.trim() === "")
    throw usage("--purpose must name a purpose of the context store (e.g. training).");
  const target = resolve(options.out);
  const asFile = extname(target) === ".jsonl";
  if (existsSync(target) && (asFile || readdirSync(target).length > 0))
    throw usage(
      `--out ${target} already exists; choose a new path or remove it first (nothing is overwritten).`,
    );

  const loaded = await command.config();
  const { duckdb, offline } = await offlineOf(loaded, "dataset");
  const tenant = tenantOf(offline, options.tenant, "dataset", loaded.path);
  const { context } = loaded.config;
  for (const name of options.source ?? []) {
    if (!context.sources.has(name))
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `Unknown source "${name}". This config's sources: ${[...context.sources.keys()].join(", ")}.`,
        { usage: true },
      );
  }
  const buildDir = asFile ? join(dirname(target), `.${basename(target)}.building-${process.pid}`) : target;
  // Ctrl-C: the library cannot be interrupted mid-build, so remove what it has written so far
  // (its `<dir>.partial-*` directory and ours) and stop; the target path is never touched.
  const cleanUp = () => {
    for (const entry of readdirSync(dirname(buildDir))) {
      if (entry === basename(buildDir) || entry.startsWith(`${basename(buildDir)}.partial-${process.pid}-`))
        rmSync(join(dirname(buildDir), entry), { recursive: true, force: true });
    }
  };
  const onAbort = () => {
    cleanUp();
    command.terminal.err.write("interrupted: no dataset written (temporary files removed)\n");
    process.exit(EXIT.interrupted);
  };
  command.signal.addEventListener("abort", onAbort, { once: true });
  const progress = createProgress(command.terminal);
  const task = progress.task("dataset", "labels");
  let report: Awaited<ReturnType<typeof duckdb.buildTrainingDataset>>;
  try {
    report = await duckdb.buildTrainingDataset({
      offline,
      contextStore: context,
      // Unknown purposes are the library's CTX_UNKNOWN_PURPOSE (a usage error, naming the declared ones).
      ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
      ...(principal === undefined ? {} : { principal }),
      ...(tenant === undefined ? {} : { tenant }),
      labels: { file: labelsPath, timestamp: options.timestamp ?? "timestamp", keys },
      outDir: buildDir,
      budget: { maxTokens },
      input: options.input,
      label: options.label,
      excludeLateWrites: options.includeLateWrites !== true,
      realtime,
      valuesFormat,
      onRenderError,
      ...(options.source ? { sources: options.source } : {}),
      onProgress: (step) => task.update(step.done, step.total),
    });
    task.finish(report.manifest.labels, report.manifest.labels);
  } catch (error) {
    cleanUp();
    throw error;
  } finally {
    progress.stop();
    command.signal.removeEventListener("abort", onAbort);
  }
  const { manifest } = report;
  const stem = asFile ? target.slice(0, -".jsonl".length) : undefined;
  const files = asFile
    ? {
        messages: target,
        manifest: `${stem}.manifest.json`,
        values: `${stem}.values.${valuesFormat}`,
      }
    : {
        messages: join(target, manifest.files.messages),
        manifest: join(target, "manifest.json"),
        values: join(target, manifest.files.values),
      };
  if (asFile) {
    await rename(join(buildDir, manifest.files.values), files.values);
    await rename(join(buildDir, "manifest.json"), files.manifest);
    await rename(join(buildDir, manifest.files.messages), files.messages);
    await rm(buildDir, { recursive: true, force: true });
  }
  const { terminal } = command;
  if (terminal.json) {
    terminal.printJson({ files, tenant: manifest.tenant, purpose: manifest.purpose, manifest });
    return EXIT.ok;
  }
  const { colors } = terminal;
  const statuses = ["ok", "empty", "missing", "stale", "timeout", "error", "invalid", "skipped"] as const;
  const rows = Object.entries(manifest.statusCounts).map(([source, counts]) => [
    source,
    ...statuses.map((status) => (counts[status] ? count(counts[status]) : "-")),
  ]);
  terminal.print(
    [
      `${colors.bold("dataset")} ${count(manifest.examples)} examples from ${count(manifest.labels)} labels (${count(manifest.skippedCount)} skipped) -> ${files.messages}`,
      `purpose: ${manifest.purpose}${manifest.tenant === null ? "" : ` · tenant ${manifest.tenant}`} · redacted sources: ${manifest.redactedSources.length > 0 ? `${manifest.redactedSources.join(", ")} (their tagged values follow the ${manifest.purpose} policy in prompts and values)` : "none (no source carries PII tags)"}`,
      `late writes: ${manifest.excludeLateWrites ? "excluded (history written after each label's time is hidden)" : colors.yellow("included (--include-late-writes: backfills can leak into training)")}`,
      ...(manifest.lateWrites?.advice
        ? [colors.yellow(`hidden by late writes: ${manifest.lateWrites.advice}`)]
        : []),
      `definitions: ${manifest.sources.map((source) => `${source.name}@v${source.version}`).join(", ")} · fingerprint ${manifest.fingerprint}`,
      "",
      table(["source", ...statuses], rows, colors.bold),
      ...manifest.skipped
        .slice(0, 5)
        .map((entry) => colors.yellow(`skipped label row ${entry.row}: ${entry.reason}`)),
      "",
      `manifest: ${files.manifest}`,
      `values:   ${files.values}`,
    ].join("\n"),
  );
  return EXIT.ok;
}

/** `--key customer.customerId=customer_id`: entity key field -> label column. */
function parseKeyColumns(pairs: readonly string[]) {
  if (pairs.length === 0)
    throw usage(
      "--key <entity.field=column> is required (repeatable): which label column holds each key field.",
    );
  const keys: Record<string, Record<string, string>> = {};
  for (const pair of pairs) {
    const match = /^([^.=]+)\.([^=]+)=(.+)$/.exec(pair);
    if (!match)
      throw usage(`--key ${JSON.stringify(pair)} is not entity.field=column (e.g. user.userId=user_id).`);
    const [, entity = "", field = "", column = ""] = match;
    keys[entity] = { ...keys[entity], [field]: column };
  }
  return keys;
}

function oneOf<const T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw usage(`${flag} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}.`);
  return value as T;
}
