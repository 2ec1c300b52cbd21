// Appends one night's history to the warehouse example's offline store:
//   npx tsx --conditions=@ctxstore/source packages/cli/examples/warehouse/seed.ts [--customers N] [--empty-share S] [--labels FILE]
// --empty-share writes that share of order counts as 0 (a broken upstream job: the phantom-zero guard
// holds the next materialization). --labels also writes a labelled-tickets JSON Lines file for
// `ctxstore dataset` (one ticket per customer, up to 1,000, an hour after the night's values).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { recordNight } from "./history.js";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "2000" },
    "empty-share": { type: "string", default: "0" },
    labels: { type: "string" },
    "hours-ago": { type: "string", default: "6" },
  },
});
const customers = Number(values.customers);
const path = process.env.CTXSTORE_OFFLINE ?? join(import.meta.dirname, ".ctxstore", "offline.duckdb");
mkdirSync(dirname(path), { recursive: true });
const eventTime = Date.now() - Number(values["hours-ago"]) * 3_600_000;
const rows = await recordNight({ path, customers, emptyShare: Number(values["empty-share"]), eventTime });
if (values.labels) {
  const lines = [];
  for (let index = 1; index <= Math.min(customers, 1_000); index += 1) {
    lines.push(
      JSON.stringify({
        ts: new Date(eventTime + 3_600_000).toISOString(),
        customer_id: `c${index}`,
        question: `Where is my order? (ticket ${index})`,
        answer: `Let me check the latest order for customer ${index}.`,
      }),
    );
  }
  writeFileSync(values.labels, `${lines.join("\n")}\n`);
}
process.stdout.write(`recorded ${rows} history rows for ${customers} customers into ${path}\n`);
