// Freshness sampling for the Redis store (`monitorFreshness` calls `store.sampleRecords`): one SCAN
// step over this store's entity hashes per call, then their records in one pipeline. The SCAN cursor
// is carried from call to call, so a tick costs the same on 1,000 or 10,000,000 entities; a full
// pass takes entities / limit ticks. On a Cluster, the masters are walked one after the other (the
// cursor names the node), and each SCAN and its HGETALLs go to that node only.
//
// Cost of one call: 1 SCAN (COUNT = limit, MATCH on the namespace's entity keys) + 1 HGETALL per key
// returned, in one pipelined round trip; bytes moved are those of the records read.
import type { SampledRecord, SamplePage } from "@ctxstore/core/store";
import type { Cluster, Redis } from "ioredis";
import { decodeValue, decodeWindow, recordKind } from "./codec.js";
import { isCluster, type RedisClient } from "./connection.js";
import type { KeyLayout } from "./layout.js";

export function sampleRedisRecords(
  client: RedisClient,
  layout: KeyLayout,
): (request: { readonly cursor: string | undefined; readonly limit: number }) => Promise<SamplePage> {
  // Entity hashes are `<namespace>{...}`; glob specials in the namespace are escaped.
  const match = `${layout.namespace.replace(/[*?[\]\\]/g, (character) => `\\${character}`)}{*`;

  return async ({ cursor, limit }) => {
    const nodes = isCluster(client) ? mastersOf(client) : [client];
    const position = parseCursor(cursor, nodes.length);
    const node = nodes[position.node] as Redis;
    const [nextCursor, keys] = (await node.scan(position.scan, "MATCH", match, "COUNT", limit)) as [
      string,
      string[],
    ];
    let commands = 1;
    const records: SampledRecord[] = [];
    if (keys.length > 0) {
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.hgetallBuffer(key);
      const replies = (await pipeline.exec()) ?? [];
      commands += keys.length;
      for (const [index, reply] of replies.entries()) {
        const [error, hash] = reply as [Error | null, Record<string, Buffer> | null];
        if (error || !hash) continue;
        const entity = keys[index] as string;
        for (const [field, blob] of Object.entries(hash)) records.push(sampled(entity, field, blob));
      }
    }
    let next: string | undefined;
    if (nextCursor !== "0") next = `${position.node}:${nextCursor}`;
    else if (position.node + 1 < nodes.length) next = `${position.node + 1}:0`;
    return { records, cursor: next, commands };
  };
}

function sampled(entity: string, field: string, blob: Buffer): SampledRecord {
  const kind = recordKind(blob);
  if (kind === "window") {
    const events = decodeWindow(blob);
    let newest: number | undefined;
    if (events.ok)
      for (const event of events.value)
        if (newest === undefined || event.eventTime > newest) newest = event.eventTime;
    return { entity, field, kind, eventTime: newest };
  }
  const value = decodeValue(blob);
  return { entity, field, kind: "value", eventTime: value.ok ? value.value.eventTime : undefined };
}

/** The Cluster's masters in a stable order (by address), so a cursor keeps naming the same node. */
function mastersOf(cluster: Cluster): Redis[] {
  return cluster
    .nodes("master")
    .slice()
    .sort((a, b) => address(a).localeCompare(address(b)));
}

function address(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

function parseCursor(cursor: string | undefined, nodes: number): { node: number; scan: string } {
  if (cursor === undefined) return { node: 0, scan: "0" };
  const [node, scan] = cursor.split(":");
  const index = Number(node);
  // A cursor from before a topology change may name a node that is gone: start that pass over.
  if (!Number.isInteger(index) || index < 0 || index >= nodes || !scan || !/^\d+$/.test(scan))
    return { node: 0, scan: "0" };
  return { node: index, scan };
}
