// `npm run tables -- <bench output file> [machine description]`: writes the peers table into
// README.md and docs/benchmarks.md from one run's JSON lines. Exits 1, naming what is missing, when
// the file lacks figures (the table is still written, with "missing" in those cells).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { insertTable, missingFigures, parseFigures, peersTable } from "./tables.js";

const [input, machine = "machine not named"] = process.argv.slice(2);
if (input === undefined) {
  process.stderr.write("usage: npm run tables -- <file with the bench's JSON lines> [machine description]\n");
  process.exit(2);
}
const figures = parseFigures(readFileSync(input, "utf8"));
const missing = missingFigures(figures);
const table = peersTable(figures);
const caption = `Generated from one run of \`npm run bench\` in packages/bench-peers on ${machine}.`;
const root = fileURLToPath(new URL("../../../", import.meta.url));
for (const file of ["README.md", "docs/benchmarks.md"]) {
  const path = `${root}${file}`;
  writeFileSync(path, insertTable(readFileSync(path, "utf8"), table, caption));
}
process.stdout.write(`${table}\n`);
if (missing.length > 0) {
  process.stderr.write(`missing figures:\n${missing.map((line) => `  - ${line}`).join("\n")}\n`);
  process.exit(1);
}
