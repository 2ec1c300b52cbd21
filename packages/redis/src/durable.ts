// The durable write mode: a write is acknowledged only once `WAIT` says enough replicas hold it.
//
// Redis replicates asynchronously: a primary answers a write before any replica has it, so `kill -9`
// of the primary loses what it had not yet shipped, and the promoted replica never saw it. `WAIT n t`
// blocks the connection until n replicas acknowledged every write this connection sent (or t ms
// passed) and says how many did. Sending it in the same pipeline as the writes costs one replica
// round trip per batch, not per command. In Cluster the writes and the `WAIT` must reach the same
// node over the same connection, so each node's share is sent on that node's own connection, and
// redirections (MOVED during a failover or after resharding, ASK during a slot migration, TRYAGAIN)
// are followed here: a redirected command was not executed, so re-sending it is safe even for XADD.
import { CtxError } from "@ctxstore/core";
import type { Cluster, Redis } from "ioredis";
import {
  type CommandReply,
  isCluster,
  type OpenedClient,
  type PipelinedCommand,
  type RedisClient,
  runPipelined,
} from "./connection.js";
import type { Durability } from "./durability.js";
import { existingClusterGate } from "./failover.js";
import { clusterSlot } from "./layout.js";

/** Raised when the writes were applied on the primary but too few replicas confirmed them in time. */
function notDurable(what: string, durability: Durability, confirmed: number, node?: string): CtxError {
  return new CtxError(
    "CTX_STORE_UNAVAILABLE",
    `${what}: applied on the primary${node ? ` ${node}` : ""} but only ${confirmed} of ${durability.replicas} replica(s) confirmed it within ${durability.timeoutMs}ms (durability), so it is not acknowledged: it may be lost if that primary fails now. Retry it (store writes are last-write-wins and appends dedupe by event id; a retried publish may add a second stream entry, which the ingest worker applies idempotently), and check that the replicas are up and in sync.`,
    { durable: false, confirmed, required: durability.replicas, ...(node ? { node } : {}) },
  );
}

/**
 * Runs `commands` like `runPipelined`, then makes sure `durability.replicas` replicas acknowledged
 * them; rejects with CTX_STORE_UNAVAILABLE (`details.durable === false`) when they did not.
 */
export async function runDurable(
  client: RedisClient,
  commands: readonly PipelinedCommand[],
  durability: Durability,
  what: string,
): Promise<CommandReply[]> {
  if (commands.length === 0) return [];
  if (isCluster(client)) return runDurableOnCluster(client, commands, durability, what);
  const wait: PipelinedCommand = {
    key: commands[0]?.key as string,
    add: (pipeline) => pipeline.call("WAIT", durability.replicas, durability.timeoutMs),
  };
  const replies = await runPipelined(client, [...commands, wait]);
  const waited = replies.pop() as CommandReply;
  if (waited.error) throw waited.error;
  const confirmed = Number(waited.value);
  if (confirmed < durability.replicas && replies.some((reply) => !reply.error)) {
    throw notDurable(what, durability, confirmed);
  }
  return replies;
}

type Task = { index: number; node: string; asking: boolean };

const MAX_ATTEMPTS = 5;

async function runDurableOnCluster(
  client: Cluster,
  commands: readonly PipelinedCommand[],
  durability: Durability,
  what: string,
): Promise<CommandReply[]> {
  const replies: CommandReply[] = new Array(commands.length);
  const gate = existingClusterGate(client);
  const ownerOf = async (slot: number): Promise<string> => {
    let owners = client.slots[slot];
    if (!owners || owners.length === 0) {
      // Startup: the slot map is not known yet (the caller's deadline bounds the wait).
      await new Promise<void>((resolve) => {
        if (client.status === "ready") client.refreshSlotsCache(() => resolve());
        else client.once("ready", () => resolve());
      });
      owners = client.slots[slot];
    }
    const owner = owners?.[0];
    if (owner === undefined) {
      throw new CtxError("CTX_STORE_UNAVAILABLE", `${what}: no Cluster node serves slot ${slot} now.`, {
        slot,
      });
    }
    return owner;
  };
  let tasks: Task[] = [];
  for (let index = 0; index < commands.length; index++) {
    const slot = clusterSlot((commands[index] as PipelinedCommand).key);
    tasks.push({ index, node: await ownerOf(slot), asking: false });
  }
  for (let attempt = 1; tasks.length > 0; attempt++) {
    const byNode = new Map<string, Task[]>();
    for (const task of tasks) {
      gate?.check(task.node, clusterSlot((commands[task.index] as PipelinedCommand).key));
      const list = byNode.get(task.node) ?? [];
      list.push(task);
      byNode.set(task.node, list);
    }
    const again: Task[] = [];
    let delayMs = 0;
    await Promise.all(
      [...byNode].map(async ([nodeKey, group]) => {
        const node = nodeFor(client, nodeKey);
        const pipeline = node.pipeline();
        const positions: number[] = [];
        let position = 0;
        for (const task of group) {
          if (task.asking) {
            pipeline.call("ASKING");
            position++;
          }
          (commands[task.index] as PipelinedCommand).add(pipeline);
          positions.push(position++);
        }
        pipeline.call("WAIT", durability.replicas, durability.timeoutMs);
        const sent = pipeline.exec();
        const slot = clusterSlot((commands[(group[0] as Task).index] as PipelinedCommand).key);
        const results = await (gate === undefined ? sent : gate.race(nodeKey, slot, sent));
        if (results === null) throw new Error("the pipeline was discarded");
        const [waitError, waitValue] = results[position] ?? [new Error("no reply to WAIT"), undefined];
        let executed = false;
        group.forEach((task, member) => {
          const [error, value] = results[positions[member] as number] ?? [new Error("no reply"), undefined];
          const redirect = error ? redirection(error.message) : undefined;
          if (redirect !== undefined && attempt < MAX_ATTEMPTS) {
            if (redirect.kind === "tryagain") {
              delayMs = Math.max(delayMs, 25 * attempt);
              again.push(task);
            } else {
              if (redirect.kind === "moved") client.refreshSlotsCache();
              again.push({ index: task.index, node: redirect.node, asking: redirect.kind === "ask" });
            }
            return;
          }
          if (!error) executed = true;
          replies[task.index] = error ? { error } : { value };
        });
        if (!executed) return;
        if (waitError) throw waitError;
        const confirmed = Number(waitValue);
        if (confirmed < durability.replicas) throw notDurable(what, durability, confirmed, nodeKey);
      }),
    );
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    tasks = again;
  }
  return replies;
}

function redirection(message: string): { kind: "moved" | "ask" | "tryagain"; node: string } | undefined {
  const [kind, , node] = message.split(" ");
  if (kind === "MOVED" && node) return { kind: "moved", node };
  if (kind === "ASK" && node) return { kind: "ask", node };
  if (kind === "TRYAGAIN") return { kind: "tryagain", node: "" };
  return undefined;
}

/** The cluster's own connection to `nodeKey` (the one its other commands use). */
function nodeFor(client: Cluster, nodeKey: string): Redis {
  const node = client.nodes("all").find((redis) => `${redis.options.host}:${redis.options.port}` === nodeKey);
  if (node === undefined) {
    client.refreshSlotsCache();
    throw new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `redis cluster: no connection to ${nodeKey} is open yet (the slot map is being refreshed); retry shortly.`,
      { node: nodeKey },
    );
  }
  return node;
}

/** Sends writes the way the connection is configured: with `WAIT` in the durable mode, plainly otherwise. */
export function runWrites(
  connection: Pick<OpenedClient, "writer" | "durability">,
  commands: readonly PipelinedCommand[],
  what: string,
): Promise<CommandReply[]> {
  return connection.durability === undefined
    ? runPipelined(connection.writer, commands)
    : runDurable(connection.writer, commands, connection.durability, what);
}
