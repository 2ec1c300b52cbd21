// `ctxstore materialize`: offline -> online in one library run over the sources, with a progress bar per source and
// the phantom-zero guard's report. Exit 3 when the guard held a source back.
//
// Ctrl-C: the source being published finishes (its writes are whole, its watermark is then stored)
// and the remaining sources are not started; a second Ctrl-C quits at once, and then that source's
// watermark is simply not advanced. Either way the next run resumes from the stored watermarks, and
// re-publishing a value is harmless (online writes are last-write-wins on event time).
import type { AnySource } from "@ctxstore/core";
import { CtxError } from "@ctxstore/core";
import { EXIT } from "../output/exit-codes.js";
import { createProgress } from "../output/progress.js";
import { table } from "../output/table.js";
import { count, percent } from "../output/units.js";
import { offlineOf, tenantOf } from "./offline.js";
import type { CommandContext } from "./run.js";

type MaterializeReport = import("@ctxstore/duckdb").MaterializeReport;
type SourceRunReport = import("@ctxstore/duckdb").SourceRunReport;

export interface MaterializeCommandOptions {
  source?: string[];
  force?: boolean | string[];
  batchSize?: string;
  noGuard?: boolean;
  guard?: boolean;
  dryRun?: boolean;
  since?: string;
  tenant?: string;
}

export interface MaterializeCommandReport {
  /** `--dry-run`: statuses say what a run would do; nothing was written or recorded. */
  readonly dryRun: boolean;
  readonly target: string;
  /** The tenant this run published (multi-tenant configs); null on a single-tenant config. */
  readonly tenant: string | null;
  readonly durationMs: number;
  readonly written: number;
  readonly valuesPerSecond: number;
  readonly held: readonly string[];
  /** Sources not started because the run was interrupted. */
  readonly notStarted: readonly string[];
  readonly interrupted: boolean;
  readonly runs: readonly MaterializeReport[];
  readonly sources: readonly SourceRunReport[];
}

export async function materializeCommand(
  command: CommandContext,
  options: MaterializeCommandOptions,
): Promise<number> {
  const loaded = await command.config();
  const { duckdb, offline } = await offlineOf(loaded, "materialize");
  const tenant = tenantOf(offline, options.tenant, "materialize", loaded.path);
  const { context } = loaded.config;
  const publishable = [...context.sources.values()].filter(
    (source) => source.tier === "batch" || source.tier === "stream",
  ) as AnySource[];
  const names = options.source ?? publishable.map((source) => source.name);
  for (const name of names) {
    if (!publishable.some((source) => source.name === name)) {
      const known = context.sources.get(name);
      throw new CtxError(
        known ? "CTX_INVALID_REQUEST" : "CTX_UNKNOWN_SOURCE",
        `${known ? `"${name}" is a ${known.tier} source: only batch and stream sources are materialized` : `Unknown source "${name}"`}. Sources materialize can publish: ${publishable.map((source) => source.name).join(", ") || "none"}.`,
        { source: name, valid: publishable.map((source) => source.name), usage: true },
      );
    }
  }
  const force = options.force === true ? true : Array.isArray(options.force) ? options.force : false;
  if (Array.isArray(force)) {
    for (const name of force)
      if (!names.includes(name))
        throw new CtxError(
          "CTX_UNKNOWN_SOURCE",
          `--force ${name}: not one of the sources of this run (${names.join(", ")}).`,
          {
            usage: true,
          },
        );
  }
  const batchSize = options.batchSize === undefined ? undefined : Number(options.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `--batch-size must be a positive integer; got ${options.batchSize}.`,
      {
        usage: true,
      },
    );

  // --since: ISO 8601 with an offset, or whole epoch ms (the library checks the form and says which it takes).
  let since: number | undefined;
  if (options.since !== undefined) {
    try {
      since = duckdb.materializeSince(/^\d+$/.test(options.since) ? Number(options.since) : options.since);
    } catch (error) {
      const reason = (error as Error).message.replace(/^CTX_[A-Z_]+: /, "");
      throw new CtxError("CTX_INVALID_REQUEST", `--since: ${reason}`, {
        since: options.since,
        usage: true,
      });
    }
  }
  const dryRun = options.dryRun === true;

  // Loading the tokenizer ranks is start-up, not publishing: the rate (like the library's) excludes it.
  await context.ready();
  const progress = createProgress(command.terminal);
  // One call for every source (the library's own rate); the signal stops it between sources.
  const tasks = new Map<string, { task: ReturnType<typeof progress.task>; written: number; total: number }>();
  let run: MaterializeReport;
  try {
    run = await duckdb.materialize({
      offline,
      contextStore: context,
      ...(tenant === undefined ? {} : { tenant }),
      sources: names,
      force,
      ...(options.guard === false ? { guard: false as const } : {}),
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(since === undefined ? {} : { since }),
      dryRun,
      signal: command.signal,
      onProgress: (step) => {
        let entry = tasks.get(step.source);
        if (!entry) {
          entry = { task: progress.task(step.source, "values"), written: 0, total: 0 };
          tasks.set(step.source, entry);
        }
        entry.written = step.written;
        entry.total = step.total;
        entry.task.update(step.written, step.total);
      },
    });
    for (const source of run.sources) {
      const entry = tasks.get(source.source);
      if (source.status === "published")
        (entry?.task ?? progress.task(source.source, "values")).finish(source.values, source.values);
      else if (entry && entry.total > 0) entry.task.finish(entry.written, entry.total);
    }
  } finally {
    progress.stop();
  }
  const report: MaterializeCommandReport = {
    dryRun,
    target: run.target,
    tenant: tenant ?? null,
    durationMs: run.durationMs,
    written: run.written,
    valuesPerSecond: run.valuesPerSecond,
    held: run.held,
    notStarted: run.notStarted,
    interrupted: command.signal.aborted,
    runs: [run],
    sources: run.sources,
  };
  const { terminal } = command;
  if (terminal.json) terminal.printJson(report);
  else terminal.print(formatReport(report, terminal.colors));
  if (report.interrupted) return EXIT.interrupted;
  return report.held.length > 0 ? EXIT.held : EXIT.ok;
}

function formatReport(
  report: MaterializeCommandReport,
  colors: import("../output/terminal.js").Colors,
): string {
  const paint = { published: colors.green, held: colors.red, unchanged: colors.dim };
  const word = (status: SourceRunReport["status"]) =>
    !report.dryRun || status === "unchanged"
      ? status
      : status === "published"
        ? "would publish"
        : "would hold";
  const rows = report.sources.map((source) => [
    source.source,
    paint[source.status](source.forced ? `${word(source.status)} (forced)` : word(source.status)),
    count(source.newRows),
    count(source.values),
    count(source.applied),
    `${percent(source.previousZeroRate)} -> ${percent(source.zeroRate)}`,
    source.reason ?? "",
  ]);
  const lines = [
    table(
      ["source", "status", "new rows", "values", "applied", "empty/zero share", "why"],
      rows,
      colors.bold,
    ),
    "",
    report.dryRun
      ? `${colors.bold("dry run")}${report.tenant === null ? "" : ` (tenant ${report.tenant})`}: nothing written to ${report.target} and no run recorded; ${count(report.sources.reduce((sum, source) => sum + source.publishedValues, 0))} values would be published`
      : `${colors.bold("written")} ${count(report.written)} values${report.tenant === null ? "" : ` of tenant ${report.tenant}`} to ${report.target} in ${(report.durationMs / 1_000).toFixed(1)}s (${count(report.valuesPerSecond)} values/s)`,
  ];
  for (const source of report.sources.filter((entry) => entry.status === "held")) {
    lines.push(
      colors.red(
        `${report.dryRun ? "would hold" : "held"}: ${source.source}: the online store keeps its last good values. Sample keys with an empty/zero value: ${source.sampleZeroKeys.join(", ") || "-"}. Check the upstream job, or publish anyway with --force ${source.source}.`,
      ),
    );
  }
  if (report.interrupted) {
    lines.push(
      colors.yellow(
        `interrupted: ${report.notStarted.length > 0 ? `not started: ${report.notStarted.join(", ")}. ` : ""}Run the same command again to resume from the stored watermarks${report.tenant === null ? "" : ` (tenant ${report.tenant}'s own; other tenants are untouched)`}.`,
      ),
    );
  }
  return lines.join("\n");
}
