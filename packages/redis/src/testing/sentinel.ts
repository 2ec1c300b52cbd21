// Spawns a Sentinel-managed Redis group for failover tests: one primary, replicas following it, and
// sentinels (quorum 2) watching it with short timeouts, all on free ports. Awaited until the replicas'
// links are up and every sentinel knows the replicas and the other sentinels.
import { type RespReply, sendCommand } from "./resp.js";
import { type RedisServer, startRedisServer, waitFor } from "./server.js";

export interface SentinelGroupHandle {
  /** The name sentinels monitor; pass as `name` to ioredis / `sentinel.name` to redisStore. */
  readonly masterName: string;
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** The server that was primary at start (after a failover it is no longer the primary). */
  readonly primary: RedisServer;
  readonly replicas: readonly RedisServer[];
  readonly sentinelServers: readonly RedisServer[];
  /** Port of the current primary according to the sentinels. */
  currentPrimaryPort(): Promise<number>;
  /** Stops sentinels, replicas and primary and removes their directories. */
  stop(): Promise<void>;
}

export async function startSentinelGroup({
  masterName = "ctxstore",
  replicas = 1,
  sentinels = 3,
  downAfterMs = 1_000,
  failoverTimeoutMs = 5_000,
}: {
  masterName?: string;
  replicas?: number;
  sentinels?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
} = {}): Promise<SentinelGroupHandle> {
  const started: RedisServer[] = [];
  const stop = async () => {
    // Sentinels first, so they do not start a failover while the data nodes go down.
    for (const server of [...started].reverse()) await server.stop();
  };
  const replicationArgs = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"];
  try {
    const primary = await startRedisServer({ label: "sentinel-primary", args: replicationArgs });
    started.push(primary);
    const replicaServers: RedisServer[] = [];
    for (let index = 0; index < replicas; index++) {
      const replica = await startRedisServer({
        label: `sentinel-replica-${index}`,
        args: [...replicationArgs, "--replicaof", primary.host, String(primary.port)],
      });
      started.push(replica);
      replicaServers.push(replica);
    }
    await waitFor(
      async () => {
        for (const replica of replicaServers) {
          const info = await sendCommand(replica.port, ["INFO", "replication"]);
          if (typeof info !== "string" || !info.includes("master_link_status:up")) return false;
        }
        return true;
      },
      15_000,
      "replicas never finished their initial sync with the primary",
    );
    const sentinelServers: RedisServer[] = [];
    for (let index = 0; index < sentinels; index++) {
      const server = await startSentinel(index, primary, masterName, downAfterMs, failoverTimeoutMs);
      started.push(server);
      sentinelServers.push(server);
    }
    await waitFor(
      async () => {
        for (const sentinel of sentinelServers) {
          const known = (await sendCommand(sentinel.port, [
            "SENTINEL",
            "REPLICAS",
            masterName,
          ])) as RespReply[];
          const peers = (await sendCommand(sentinel.port, [
            "SENTINEL",
            "SENTINELS",
            masterName,
          ])) as RespReply[];
          if (!Array.isArray(known) || known.length < replicas) return false;
          if (!Array.isArray(peers) || peers.length < sentinels - 1) return false;
        }
        return true;
      },
      20_000,
      "sentinels never discovered the replicas and each other",
    );
    const first = sentinelServers[0] as RedisServer;
    return {
      masterName,
      sentinels: sentinelServers.map((server) => ({ host: server.host, port: server.port })),
      primary,
      replicas: replicaServers,
      sentinelServers,
      async currentPrimaryPort() {
        const address = (await sendCommand(first.port, [
          "SENTINEL",
          "GET-MASTER-ADDR-BY-NAME",
          masterName,
        ])) as RespReply[];
        return Number(address[1]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startSentinel(
  index: number,
  primary: RedisServer,
  masterName: string,
  downAfterMs: number,
  failoverTimeoutMs: number,
): Promise<RedisServer> {
  return startRedisServer({
    label: `sentinel-${index}`,
    executable: "redis-sentinel",
    sentinel: true,
    config: [
      `sentinel monitor ${masterName} ${primary.host} ${primary.port} 2`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${masterName} 1`,
      "",
    ].join("\n"),
  });
}
