// Spawns a Sentinel-managed Redis group for failover tests: one primary, replicas following it, and
// sentinels (quorum 2) watching it with short timeouts. Sentinels run as `redis-server <conf>
// --sentinel`, so a machine with only `redis-server` can run them. Ports are free ones unless pinned.
// Awaited until the replicas' links are up and every sentinel knows the replicas and the other sentinels.
import { type RespReply, sendCommand } from "./resp.js";
import { type RedisServer, startRedisServer, waitFor } from "./server.js";

/**
 * Options of `startSentinelGroup`: the monitored name, replicas and sentinels, failure timeouts (ms),
 * pinned ports, extra server arguments and the sentinels' INFO period.
 */
export interface SentinelGroupOptions {
  /** The name sentinels monitor. Default "ctxstore". */
  masterName?: string;
  /** Replicas of the primary. Default 1. */
  replicas?: number;
  /** Sentinels (quorum 2, so at least 2). Default 3. */
  sentinels?: number;
  /** `down-after-milliseconds`: how long a silent primary takes to be declared down. Default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`. Default 5000. */
  failoverTimeoutMs?: number;
  /**
   * Pinned ports; each list, when given, needs one port per server. Default: free ports. Pin them
   * when a test (or an operator's runbook you are reproducing) needs known addresses.
   */
  ports?: { primary?: number; replicas?: readonly number[]; sentinels?: readonly number[] };
  /** Extra `redis-server` arguments for the data nodes (primary and replicas). */
  serverArgs?: readonly string[];
  /**
   * How often sentinels send `INFO` to the nodes (`SENTINEL DEBUG info-period`; default 10 s in
   * Redis). A demoted primary that is still running is turned into a replica only after the next
   * one, so tests of a graceful failover can shorten it. Default: Redis' own.
   */
  infoPeriodMs?: number;
}

/**
 * A running Sentinel group, from `startSentinelGroup`: its servers, the current primary, failover and
 * replication waits, and `stop()`.
 */
export interface SentinelGroupHandle {
  /** The name sentinels monitor; pass as `name` to ioredis / `sentinel.name` to redisStore. */
  readonly masterName: string;
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** The server that was primary at start (after a failover it is no longer the primary). */
  readonly primary: RedisServer;
  readonly replicas: readonly RedisServer[];
  /** Every data node: the first primary, then the replicas. */
  readonly dataServers: readonly RedisServer[];
  readonly sentinelServers: readonly RedisServer[];
  /** Port of the current primary according to the sentinels. */
  currentPrimaryPort(): Promise<number>;
  /** The data node that is primary now according to the sentinels. */
  currentPrimary(): Promise<RedisServer>;
  /**
   * A graceful failover (`SENTINEL FAILOVER`, the old primary still running): resolves with the new
   * primary once the sentinels report it and it answers `ROLE` as master.
   */
  failover(options?: { timeoutMs?: number }): Promise<RedisServer>;
  /**
   * Waits until a primary other than `previousPort` is reported and answers as master (after you
   * `kill()` the primary, for instance); resolves with it.
   */
  waitForNewPrimary(previousPort: number, options?: { timeoutMs?: number }): Promise<RedisServer>;
  /**
   * Waits until `server` (a primary demoted by a graceful failover, or a killed one restarted) runs
   * as a replica of the current primary with its link up, i.e. it has re-synced.
   */
  waitForReplica(server: RedisServer, options?: { timeoutMs?: number }): Promise<void>;
  /** Waits until every running replica of the current primary has its replication offset. */
  waitForReplication(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops sentinels, replicas and primary and removes their directories. */
  stop(): Promise<void>;
}

/**
 * Starts a Sentinel-managed Redis group for failover tests (one primary, replicas, sentinels with
 * quorum 2 and short timeouts), resolved once replicas are linked and every sentinel knows them. Needs
 * only `redis-server` on PATH (sentinels run as `redis-server --sentinel`).
 *
 * ```ts
 * const group = await startSentinelGroup({ replicas: 1, sentinels: 3 });
 * const online = redisStore({ sentinel: { sentinels: group.sentinels, name: group.masterName } });
 * ```
 */
export async function startSentinelGroup({
  masterName = "ctxstore",
  replicas = 1,
  sentinels = 3,
  downAfterMs = 1_000,
  failoverTimeoutMs = 5_000,
  ports = {},
  serverArgs = [],
  infoPeriodMs,
}: SentinelGroupOptions = {}): Promise<SentinelGroupHandle> {
  if (!Number.isInteger(sentinels) || sentinels < 2) {
    throw new Error(`startSentinelGroup needs sentinels >= 2 (the quorum is 2); got ${sentinels}`);
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new Error(`startSentinelGroup needs a whole number of replicas; got ${replicas}`);
  }
  checkPinned(ports.replicas, replicas, "ports.replicas");
  checkPinned(ports.sentinels, sentinels, "ports.sentinels");
  const started: RedisServer[] = [];
  const stop = async () => {
    // Sentinels first, so they do not start a failover while the data nodes go down.
    for (const server of [...started].reverse()) await server.stop();
  };
  const replicationArgs = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", ...serverArgs];
  try {
    const primary = await startRedisServer({
      label: "sentinel-primary",
      args: replicationArgs,
      ...(ports.primary === undefined ? {} : { port: ports.primary }),
    });
    started.push(primary);
    const replicaServers: RedisServer[] = [];
    for (let index = 0; index < replicas; index++) {
      const port = ports.replicas?.[index];
      const replica = await startRedisServer({
        label: `sentinel-replica-${index}`,
        args: [...replicationArgs, "--replicaof", primary.host, String(primary.port)],
        ...(port === undefined ? {} : { port }),
      });
      started.push(replica);
      replicaServers.push(replica);
    }
    const dataServers = [primary, ...replicaServers];
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
      const port = ports.sentinels?.[index];
      const server = await startRedisServer({
        label: `sentinel-${index}`,
        sentinel: true,
        config: sentinelConfig(primary, masterName, downAfterMs, failoverTimeoutMs),
        ...(port === undefined ? {} : { port }),
      });
      started.push(server);
      sentinelServers.push(server);
      if (infoPeriodMs !== undefined) {
        const reply = await sendCommand(server.port, [
          "SENTINEL",
          "DEBUG",
          "info-period",
          String(infoPeriodMs),
        ]);
        if (reply instanceof Error) throw new Error(`SENTINEL DEBUG info-period refused: ${reply.message}`);
      }
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

    /** The primary according to the first sentinel that answers. */
    const reportedPrimaryPort = async (): Promise<number> => {
      let lastError: unknown;
      for (const sentinel of sentinelServers) {
        if (!sentinel.running) continue;
        try {
          const address = (await sendCommand(sentinel.port, [
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            masterName,
          ])) as RespReply[];
          return Number(address[1]);
        } catch (error) {
          lastError = error;
        }
      }
      throw new Error(`no sentinel answered GET-MASTER-ADDR-BY-NAME (${String(lastError)})`);
    };
    const serverOnPort = (port: number): RedisServer => {
      const server = dataServers.find((candidate) => candidate.port === port);
      if (server === undefined)
        throw new Error(`the sentinels report port ${port}, not a node of this group`);
      return server;
    };
    const answersAsMaster = async (port: number): Promise<boolean> => {
      const role = (await sendCommand(port, ["ROLE"])) as RespReply[];
      return Array.isArray(role) && role[0] === "master";
    };
    const waitForNewPrimary = async (previousPort: number, { timeoutMs = 30_000 } = {}) => {
      let found: RedisServer | undefined;
      await waitFor(
        async () => {
          const port = await reportedPrimaryPort();
          if (port === previousPort || !(await answersAsMaster(port))) return false;
          found = serverOnPort(port);
          return true;
        },
        timeoutMs,
        `the sentinels never promoted a new primary (previous: port ${previousPort})`,
      );
      return found as RedisServer;
    };
    return {
      masterName,
      sentinels: sentinelServers.map((server) => ({ host: server.host, port: server.port })),
      primary,
      replicas: replicaServers,
      dataServers,
      sentinelServers,
      currentPrimaryPort: reportedPrimaryPort,
      async currentPrimary() {
        return serverOnPort(await reportedPrimaryPort());
      },
      async failover({ timeoutMs = 30_000 } = {}) {
        const previous = await reportedPrimaryPort();
        const asked = sentinelServers.find((server) => server.running);
        if (asked === undefined) throw new Error("no sentinel is running");
        const reply = await sendCommand(asked.port, ["SENTINEL", "FAILOVER", masterName]);
        if (reply instanceof Error) throw new Error(`SENTINEL FAILOVER refused: ${reply.message}`);
        return waitForNewPrimary(previous, { timeoutMs });
      },
      waitForNewPrimary,
      async waitForReplica(server, { timeoutMs = 30_000 } = {}) {
        await waitFor(
          async () => {
            const primaryPort = await reportedPrimaryPort();
            const info = await sendCommand(server.port, ["INFO", "replication"]);
            return (
              typeof info === "string" &&
              info.includes("role:slave") &&
              info.includes(`master_port:${primaryPort}`) &&
              info.includes("master_link_status:up")
            );
          },
          timeoutMs,
          `port ${server.port} never re-synced as a replica of the new primary`,
        );
      },
      async waitForReplication({ timeoutMs = 10_000 } = {}) {
        await waitFor(
          async () => {
            const info = await sendCommand(await reportedPrimaryPort(), ["INFO", "replication"]);
            if (typeof info !== "string") return false;
            const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
            const lines = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)];
            const running = dataServers.filter((server) => server.running).length - 1;
            return lines.length >= running && lines.every((line) => Number(line[1]) >= offset);
          },
          timeoutMs,
          "the replicas never caught up with the primary",
        );
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function checkPinned(ports: readonly number[] | undefined, count: number, name: string): void {
  if (ports !== undefined && ports.length !== count) {
    throw new Error(`startSentinelGroup: ${name} lists ${ports.length} port(s) for ${count} server(s)`);
  }
}

function sentinelConfig(
  primary: RedisServer,
  masterName: string,
  downAfterMs: number,
  failoverTimeoutMs: number,
): string {
  return [
    `sentinel monitor ${masterName} ${primary.host} ${primary.port} 2`,
    `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
    `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
    `sentinel parallel-syncs ${masterName} 1`,
    "",
  ].join("\n");
}
