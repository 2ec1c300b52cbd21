#!/usr/bin/env node
// Reads a test log (vitest output from every package, through turbo) on stdin and prints one plain
// closing line that totals them: "tests: N passed, N failed, N skipped". Exits 1 when the log shows
// no test at all, so a CI run that silently executed nothing cannot pass.
let log = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  log += chunk;
});
process.stdin.on("end", () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = log.replace(/\u001b\[[0-9;]*m/g, "");
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const line of plain.split("\n")) {
    const match = /^(?:\S+:\s+)?\s*Tests\s+(.*)$/.exec(line);
    if (!match) continue;
    for (const [, count, kind] of (match[1] ?? "").matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
      if (kind === "passed" || kind === "failed" || kind === "skipped") totals[kind] += Number(count);
    }
  }
  process.stdout.write(
    `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`,
  );
  if (totals.passed + totals.failed === 0) process.exit(1);
});
