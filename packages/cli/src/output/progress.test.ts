import { PassThrough } from "node:stream";
import picocolors from "picocolors";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createProgress } from "./progress.js";
import type { Terminal } from "./terminal.js";

function pipedTerminal(): { terminal: Terminal; written: () => string } {
  const err = new PassThrough();
  let text = "";
  err.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const colors = picocolors.createColors(false);
  const terminal: Terminal = {
    out: new PassThrough(),
    err,
    colors,
    errColors: colors,
    json: true,
    quiet: false,
    print() {},
    note() {},
    printJson() {},
  };
  return { terminal, written: () => text };
}

describe("plain progress lines", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("prints a task's first update at once, even in the process's first second", () => {
    // performance.now() counts from process start: a CLI that begins publishing 400 ms after it
    // started must still show its first line then, not only the final one.
    let now = 400;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const { terminal, written } = pipedTerminal();
    const task = createProgress(terminal).task("customer_profile", "values");
    task.update(1_000, 40_000);
    expect(written()).toBe("progress customer_profile 1,000/40,000 values (2%) - values/s\n");
    now = 900;
    task.update(2_000, 40_000);
    expect(written().split("\n")).toHaveLength(2); // at most one line per second
    now = 1_500;
    task.update(3_000, 40_000);
    expect(written()).toContain("progress customer_profile 3,000/40,000 values (7%) 1,818 values/s\n");
    task.finish(40_000, 40_000);
    expect(written().trimEnd().split("\n").at(-1)).toMatch(
      /^progress customer_profile 40,000\/40,000 values \(100%\)/,
    );
  });
});
