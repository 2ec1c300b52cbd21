// Spawns a real Redis Cluster for tests: N masters (no replicas) on free ports, joined with
// `redis-cli --cluster create`, and awaited until every node reports `cluster_state:ok` and agrees on
// the slot map.
import { spawn } from "node:child_process";
import { type RespReply, sendCommand } from "./resp.js";
import { type RedisServer, startRedisServer, waitFor } from "./server.js";

export interface RedisClusterHandle {
  /** Startup nodes for `new Cluster(nodes)` / `redisStore({ cluster: { nodes } })`. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  readonly servers: readonly RedisServer[];
  /** Port of the master serving `slot` (0..16383). */
  masterForSlot(slot: number): Promise<number>;
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

export async function startRedisCluster({
  masters = 3,
  nodeTimeoutMs = 2_000,
}: {
  masters?: number;
  nodeTimeoutMs?: number;
} = {}): Promise<RedisClusterHandle> {
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(
      `startRedisCluster needs masters >= 3 (redis-cli --cluster create refuses fewer); got ${masters}`,
    );
  }
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let index = 0; index < masters; index++) {
      servers.push(
        await startRedisServer({
          label: `cluster-${index}`,
          clusterBus: true,
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            String(nodeTimeoutMs),
          ],
        }),
      );
    }
    await runRedisCli([
      "--cluster",
      "create",
      ...servers.map((server) => `${server.host}:${server.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    await waitFor(
      async () => {
        for (const server of servers) {
          const info = await sendCommand(server.port, ["CLUSTER", "INFO"]);
          if (typeof info !== "string" || !info.includes("cluster_state:ok")) return false;
          const slots = await sendCommand(server.port, ["CLUSTER", "SLOTS"]);
          if (!Array.isArray(slots) || slots.length < masters) return false;
        }
        return true;
      },
      20_000,
      "the cluster never reached cluster_state:ok on every node",
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: servers.map((server) => ({ host: server.host, port: server.port })),
    servers,
    async masterForSlot(slot: number) {
      const first = servers[0] as RedisServer;
      const ranges = (await sendCommand(first.port, ["CLUSTER", "SLOTS"])) as RespReply[];
      for (const range of ranges) {
        const [start, end, master] = range as [number, number, RespReply[]];
        if (slot >= start && slot <= end) return master[1] as number;
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    stop,
  };
}

function runRedisCli(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`redis-cli ${args.join(" ")} exited with ${code}:\n${output.slice(-2_000)}`));
    });
  });
}
