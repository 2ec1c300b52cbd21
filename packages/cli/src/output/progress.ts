// Progress for long commands, on stderr. On a TTY: a redrawn bar (cli-progress) with count, rate and
// ETA. Piped or redirected: plain `progress ...` lines, at most one per second per task plus a final
// one, so logs stay readable and machines can follow along.
import cliProgress from "cli-progress";
import type { Terminal } from "./terminal.js";
import { count } from "./units.js";

export interface ProgressTask {
  update(done: number, total: number): void;
  /** Final line or bar state. */
  finish(done: number, total: number): void;
}

export interface Progress {
  task(label: string, unit: string): ProgressTask;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 1_000;

export function createProgress(terminal: Terminal): Progress {
  if (terminal.quiet) return { task: () => ({ update() {}, finish() {} }), stop() {} };
  if (terminal.err.isTTY === true) return barProgress(terminal);
  return plainProgress(terminal);
}

/**
 * Items per second since the first update: the time before it (planning a run, loading a file) is
 * not throughput. "-" until there are two points to measure between.
 */
function rateMeter(): (done: number) => string {
  let first: { done: number; at: number } | undefined;
  return (done) => {
    const now = performance.now();
    if (!first) {
      first = { done, at: now };
      return "-";
    }
    const seconds = (now - first.at) / 1_000;
    if (!(seconds > 0 && done > first.done)) return "-";
    const rate = (done - first.done) / seconds;
    return rate < 10 ? rate.toFixed(1) : count(rate);
  };
}

function barProgress(terminal: Terminal): Progress {
  const { errColors: colors } = terminal;
  const bars = new cliProgress.MultiBar(
    {
      stream: terminal.err,
      format: `{label} ${colors.cyan("{bar}")} {percentage}% | {value}/{total} {unit} | {rate} {unit}/s | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 50,
      fps: 10,
      // Colour codes only when allowed (picocolors already checked TTY and NO_COLOR).
      barCompleteChar: "█",
      barIncompleteChar: "░",
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    task(label, unit) {
      const rate = rateMeter();
      let bar: cliProgress.SingleBar | undefined;
      const draw = (done: number, total: number) => {
        const payload = { label, unit, rate: rate(done) };
        if (!bar) bar = bars.create(Math.max(total, 1), done, payload);
        else {
          bar.setTotal(Math.max(total, 1));
          bar.update(done, payload);
        }
      };
      return { update: draw, finish: draw };
    },
    stop: () => bars.stop(),
  };
}

function plainProgress(terminal: Terminal): Progress {
  return {
    task(label, unit) {
      const rate = rateMeter();
      // -Infinity, not 0: performance.now() counts from process start, so a task updated in the
      // process's first second would otherwise print nothing until its final line.
      let lastAt = Number.NEGATIVE_INFINITY;
      let lastDone = -1;
      const line = (done: number, total: number) => {
        lastDone = done;
        const share = total > 0 ? ` (${Math.floor((done / total) * 100)}%)` : "";
        terminal.err.write(
          `progress ${label} ${count(done)}/${count(total)} ${unit}${share} ${rate(done)} ${unit}/s\n`,
        );
      };
      return {
        update(done, total) {
          const now = performance.now();
          if (now - lastAt < PLAIN_INTERVAL_MS) return;
          lastAt = now;
          line(done, total);
        },
        finish(done, total) {
          if (done !== lastDone) line(done, total);
        },
      };
    },
    stop() {},
  };
}
