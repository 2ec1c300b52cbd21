// `npm run tables -- <bench output file> [machine description]`: from one run's JSON lines, writes
// the peers table into README.md and docs/benchmarks.md, and the floor-ratio table into
// docs/benchmarks.md. Exits 1, naming what is missing, when the file lacks figures (the tables are
// still written, with "missing" in those cells).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FLOORS_END, FLOORS_START, floorsTable, missingFloorFigures, parseAllFigures } from "./floors.js";
import { insertTable, missingFigures, parseFigures, peersTable } from "./tables.js";

const [input, machine = "machine not named"] = process.argv.slice(2);
if (input === undefined) {
  process.stderr.write("usage: npm run tables -- <file with the bench's JSON lines> [machine description]\n");
  process.exit(2);
}
const text = readFileSync(input, "utf8");
const figures = parseFigures(text);
const missing = missingFigures(figures);
const table = peersTable(figures);
const caption = `Generated from one run of \`npm run bench\` in packages/bench-peers on ${machine}.`;
const root = fileURLToPath(new URL("../../../", import.meta.url));
for (const file of ["README.md", "docs/benchmarks.md"]) {
  const path = `${root}${file}`;
  writeFileSync(path, insertTable(readFileSync(path, "utf8"), table, caption));
}
process.stdout.write(`${table}\n`);

// The floor ratios need the whole run (redis, duckdb and core benches), not the peers bench alone.
const all = parseAllFigures(text);
const missingFloors = missingFloorFigures(all);
const floors = floorsTable(all);
const benchmarks = `${root}docs/benchmarks.md`;
writeFileSync(
  benchmarks,
  insertTable(
    readFileSync(benchmarks, "utf8"),
    floors,
    `Generated from the JSON lines of one run of \`npm run bench\` on ${machine}.`,
    { start: FLOORS_START, end: FLOORS_END },
  ),
);
process.stdout.write(`${floors}\n`);
const absent = [...missing, ...missingFloors.map((figure) => `floors: ${figure}`)];
if (absent.length > 0) {
  process.stderr.write(`missing figures:\n${absent.map((line) => `  - ${line}`).join("\n")}\n`);
  process.exit(1);
}
