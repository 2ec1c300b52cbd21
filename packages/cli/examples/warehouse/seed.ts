// Appends one night's history to the warehouse example's offline store:
//   npx tsx --conditions=@ctxstore/source examples/warehouse/seed.ts [--customers N] [--empty-share S] [--labels FILE]
// --empty-share writes that share of order counts as 0 (a broken upstream job: the phantom-zero guard
// holds the next materialization). --labels also writes a labelled-tickets JSON Lines file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { duckdbOfflineStore } from "@ctxstore/duckdb";
import { customerProfile, orderCount, SOURCES } from "./definitions.js";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "2000" },
    "empty-share": { type: "string", default: "0" },
    labels: { type: "string" },
    hoursAgo: { type: "string", default: "6" },
  },
});
const customers = Number(values.customers);
const emptyShare = Number(values["empty-share"]);
const path = process.env.CTXSTORE_OFFLINE ?? join(import.meta.dirname, ".ctxstore", "offline.duckdb");
mkdirSync(dirname(path), { recursive: true });
const offline = await duckdbOfflineStore({ path, sources: SOURCES });
const eventTime = Date.now() - Number(values.hoursAgo) * 3_600_000;
const entries = [];
for (let index = 1; index <= customers; index += 1) {
  const key = { customerId: `c${index}` };
  entries.push({
    source: customerProfile,
    key,
    value: { name: `Customer ${index}`, summary: `Buys trail gear; customer number ${index}.` },
    eventTime,
  });
  entries.push({
    source: orderCount,
    key,
    value: { orders: index / customers < emptyShare ? 0 : 1 + (index % 7) },
    eventTime,
  });
}
for (let start = 0; start < entries.length; start += 20_000)
  await offline.record(entries.slice(start, start + 20_000));
if (values.labels) {
  const lines = [];
  for (let index = 1; index <= Math.min(customers, 200); index += 1) {
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
process.stdout.write(`recorded ${entries.length} history rows for ${customers} customers into ${path}\n`);
await offline.close();
