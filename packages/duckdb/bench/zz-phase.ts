import { batch, defineEntity } from "@ctxstore/core";
import { z } from "zod";
import { duckdbOfflineStore, pointInTime } from "../src/index.js";
import { stageLabels } from "../src/labels.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const sources = Array.from({ length: 10 }, (_, i) =>
  batch(`src_${i}`, { entity: user, schema: z.object({ n: z.number() }), maxAge: "7d", section: `S${i}` }),
);
const path = process.argv[2] ?? ":memory:";
const offline = await duckdbOfflineStore({ path, sources });
const T0 = 1767225600000,
  DAY = 86400000,
  H = 10_000_000,
  L = 1_000_000,
  E = 100_000;
let t = performance.now();
const lap = (label: string) => {
  const n = performance.now();
  console.log(path, label, ((n - t) / 1000).toFixed(2), "s");
  t = n;
};
await offline.connection.run(
  `INSERT INTO ctx_history SELECT i + 1, 'src_' || (i % 10), 1, 'user', 'userId=u' || ((i // 10) % ${E}), '{"userId":"u' || ((i // 10) % ${E}) || '"}', et, et + (random() * 60000)::BIGINT, '{"n":' || i || '}', false, NULL, NULL FROM (SELECT i, ${T0} + (random() * ${30 * DAY})::BIGINT AS et FROM range(${H}) r(i))`,
);
await offline.connection.run(
  `CREATE TABLE bench_labels AS SELECT i AS ticket_id, 'u' || (random() * ${E - 1})::BIGINT AS user_id, make_timestamptz((${T0} + (random() * ${30 * DAY})::BIGINT) * 1000) AS filed_at FROM range(${L}) r(i)`,
);
lap("generate");
const labels = { table: "bench_labels", timestamp: "filed_at", keys: { user: { userId: "user_id" } } };
const staged = await stageLabels(offline.connection, labels, sources);
lap("stage labels");
await offline.connection.run(`DROP TABLE ${staged.table}`);
const r = await pointInTime(offline, { labels, sources });
lap("pointInTime total");
await r.drop();
const r2 = await pointInTime(offline, { labels, sources });
lap("pointInTime total again");
await r2.drop();
await offline.close();
