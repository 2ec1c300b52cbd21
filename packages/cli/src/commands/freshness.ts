// `ctxstore freshness [--watch]`: the freshness snapshot per source (see freshness/snapshot.ts).
import { CtxError, parseDuration } from "@ctxstore/core";
import { freshnessReader, isUnavailable, type SourceFreshness } from "../freshness/snapshot.js";
import { EXIT } from "../output/exit-codes.js";
import { table } from "../output/table.js";
import type { Colors } from "../output/terminal.js";
import { age, percent } from "../output/units.js";
import type { CommandContext } from "./run.js";

export interface FreshnessOptions {
  watch?: boolean;
  interval?: string;
}

export async function freshnessCommand(command: CommandContext, options: FreshnessOptions): Promise<number> {
  let intervalMs = 5_000;
  if (options.interval !== undefined) {
    try {
      intervalMs = parseDuration(options.interval as never, "--interval");
    } catch {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `--interval must be a duration like 5s or 1m; got ${options.interval}.`,
        {
          usage: true,
        },
      );
    }
  }
  const loaded = await command.config();
  const { terminal } = command;
  const reader = freshnessReader(loaded.config);
  try {
    return await report(reader);
  } finally {
    reader.stop();
  }

  async function report(reader: ReturnType<typeof freshnessReader>): Promise<number> {
    for (;;) {
      const snapshot = await reader.snapshot();
      if (terminal.json) terminal.out.write(`${JSON.stringify(snapshot, null, options.watch ? 0 : 2)}\n`);
      else {
        if (options.watch && terminal.out.isTTY) terminal.out.write("\u001b[2J\u001b[H");
        terminal.print(
          `freshness at ${new Date(snapshot.at).toISOString()} (measured by: ${snapshot.provider})\n\n${formatSnapshot(snapshot.sources, terminal.colors)}`,
        );
      }
      if (!options.watch) return EXIT.ok;
      const stopped = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), intervalMs);
        command.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            resolve(true);
          },
          { once: true },
        );
      });
      // Ctrl-C is how a watch ends: that is success, not an interruption of work.
      if (stopped) return EXIT.ok;
    }
  }
}

export function formatSnapshot(sources: readonly SourceFreshness[], colors: Colors): string {
  const unknown = (text: string) => colors.yellow(text);
  const rows = sources.map((source) => {
    const sample = source.sample;
    const last = source.lastMaterialization;
    return [
      source.source,
      source.tier,
      source.maxAgeMs === undefined ? "-" : age(source.maxAgeMs),
      isUnavailable(sample)
        ? unknown(shortReason(sample.unavailable))
        : `${percent(sample.freshShare)} / ${percent(sample.staleShare)}`,
      isUnavailable(sample)
        ? "-"
        : `${age(sample.ageMs.p50)} / ${age(sample.ageMs.p90)} / ${age(sample.ageMs.p99)}`,
      source.ingestLagMs === undefined
        ? "-"
        : typeof source.ingestLagMs === "number"
          ? age(source.ingestLagMs)
          : unknown(shortReason(source.ingestLagMs.unavailable)),
      last === undefined
        ? "-"
        : isUnavailable(last)
          ? unknown(shortReason(last.unavailable))
          : `${age(Date.now() - last.finishedAt)} ago, ${last.status === "held" ? colors.red("held") : last.forced ? colors.yellow("published (forced)") : colors.green("published")}, zero share ${percent(last.zeroRate)}`,
    ];
  });
  const reasons = new Set(
    sources.flatMap((source) =>
      [source.sample, source.ingestLagMs, source.lastMaterialization].flatMap((entry) =>
        entry !== undefined && typeof entry === "object" && isUnavailable(entry) ? [entry.unavailable] : [],
      ),
    ),
  );
  return [
    table(
      ["source", "tier", "maxAge", "fresh / stale", "age p50/p90/p99", "ingest lag", "last materialization"],
      rows,
      colors.bold,
    ),
    "",
    ...[...reasons].map((reason) => colors.dim(`${shortReason(reason)}: ${reason}`)),
  ].join("\n");
}

function shortReason(reason: string): string {
  if (reason.startsWith("not applicable")) return "n/a";
  if (reason.startsWith("never")) return "never";
  return "unknown";
}
