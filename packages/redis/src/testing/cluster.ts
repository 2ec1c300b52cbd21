// Spawns a real Redis Cluster for tests: N masters, optionally with replicas each, on free (or pinned)
// ports, joined with `redis-cli --cluster create`, and awaited until every node reports
// `cluster_state:ok`, agrees on the slot map and every replica's link is up. Also moves a slot
// between masters (the operator's resharding steps) and waits out a replica's promotion.
import { spawn } from "node:child_process";
import { type RespReply, sendCommand } from "./resp.js";
import { type RedisServer, startRedisServer, waitFor } from "./server.js";

/**
 * Options of `startRedisCluster`: masters, replicas per master, the node timeout (ms), pinned ports
 * and extra server arguments.
 */
export interface RedisClusterOptions {
  /** Masters (redis-cli refuses fewer than 3). Default 3. */
  masters?: number;
  /** Replicas per master; a master's replica is promoted when it dies. Default 0. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a silent node takes to be failed. Default 2000. */
  nodeTimeoutMs?: number;
  /**
   * Pinned ports, one per node (masters first, then replicas); each port + 10000 (the cluster bus)
   * must be free too. Default: free ports.
   */
  ports?: readonly number[];
  /** Extra `redis-server` arguments for every node. */
  serverArgs?: readonly string[];
}

/** One node of a test cluster as `topology()` reports it: id, port, role, its master, and its server. */
export interface RedisClusterNode {
  readonly id: string;
  readonly port: number;
  readonly role: "master" | "replica";
  /** For a replica: the id of its master. */
  readonly masterId: string | undefined;
  readonly server: RedisServer;
}

/**
 * A running test cluster, from `startRedisCluster`: its startup nodes and servers, slot lookups,
 * failover and resharding helpers, and `stop()`.
 */
export interface RedisClusterHandle {
  /** Startup nodes for `new Cluster(nodes)` / `redisStore({ cluster: { nodes } })`. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** Every node, masters first (as created; roles change after a failover: see `topology()`). */
  readonly servers: readonly RedisServer[];
  /** Port of the master serving `slot` (0..16383), asked of the first node that answers. */
  masterForSlot(slot: number): Promise<number>;
  /** The server of the master serving `slot`. */
  serverForSlot(slot: number): Promise<RedisServer>;
  /** Ids, roles and masters of the running nodes now (`CLUSTER NODES`). */
  topology(): Promise<RedisClusterNode[]>;
  /**
   * Waits until a running node other than `previousPort` serves `slot` as master and every running
   * node agrees (after you `kill()` a master with replicas); resolves with its server.
   */
  waitForSlotOwner(
    slot: number,
    previousPort: number,
    options?: { timeoutMs?: number },
  ): Promise<RedisServer>;
  /**
   * Resharding of one slot, as `redis-cli --cluster reshard` does it: IMPORTING on the target,
   * MIGRATING on the source, `MIGRATE` of its keys in batches, then `SETSLOT NODE` everywhere. Clients
   * see ASK redirections while it runs and MOVED after. `pauseBetweenBatchesMs` stretches it out.
   */
  moveSlot(
    slot: number,
    toPort: number,
    options?: { keysPerBatch?: number; pauseBetweenBatchesMs?: number },
  ): Promise<void>;
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

/**
 * Starts a real Redis Cluster for tests (N masters, optional replicas, on free ports), joined with
 * `redis-cli --cluster create`, and resolves once every node reports `cluster_state:ok` and agrees on
 * the slot map. Needs `redis-server` and `redis-cli` on PATH. Call `stop()` when done.
 *
 * ```ts
 * const cluster = await startRedisCluster({ masters: 3 });
 * const online = redisStore({ cluster: { nodes: cluster.nodes } });
 * // ... then: await online.close(); await cluster.stop();
 * ```
 */
export async function startRedisCluster({
  masters = 3,
  replicasPerMaster = 0,
  nodeTimeoutMs = 2_000,
  ports,
  serverArgs = [],
}: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(
      `startRedisCluster needs masters >= 3 (redis-cli --cluster create refuses fewer); got ${masters}`,
    );
  }
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new Error(`startRedisCluster needs a whole number of replicasPerMaster; got ${replicasPerMaster}`);
  }
  const total = masters * (1 + replicasPerMaster);
  if (ports !== undefined && ports.length !== total) {
    throw new Error(`startRedisCluster: ports lists ${ports.length} port(s) for ${total} node(s)`);
  }
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let index = 0; index < total; index++) {
      const port = ports?.[index];
      servers.push(
        await startRedisServer({
          label: `cluster-${index}`,
          clusterBus: true,
          ...(port === undefined ? {} : { port }),
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            String(nodeTimeoutMs),
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
            ...serverArgs,
          ],
        }),
      );
    }
    // redis-cli makes the first `masters` addresses masters and spreads the rest over them.
    await runRedisCli([
      "--cluster",
      "create",
      ...servers.map((server) => `${server.host}:${server.port}`),
      "--cluster-replicas",
      String(replicasPerMaster),
      "--cluster-yes",
    ]);
    await waitFor(
      async () => {
        for (const server of servers) {
          const info = await sendCommand(server.port, ["CLUSTER", "INFO"]);
          if (typeof info !== "string" || !info.includes("cluster_state:ok")) return false;
          const slots = await sendCommand(server.port, ["CLUSTER", "SLOTS"]);
          if (!Array.isArray(slots) || slots.length < masters) return false;
          if (replicasPerMaster > 0) {
            const ranges = slots as RespReply[][];
            if (ranges.some((range) => range.length < 3 + replicasPerMaster)) return false;
          }
          const replication = await sendCommand(server.port, ["INFO", "replication"]);
          if (typeof replication !== "string") return false;
          if (replication.includes("role:slave") && !replication.includes("master_link_status:up"))
            return false;
        }
        return true;
      },
      30_000,
      "the cluster never reached cluster_state:ok with every replica in sync",
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const running = () => servers.filter((server) => server.running);
  /** Asks the running nodes in turn; the first answer wins. */
  const ask = async (args: readonly string[]): Promise<RespReply> => {
    let lastError: unknown;
    for (const server of running()) {
      try {
        const reply = await sendCommand(server.port, args);
        if (reply instanceof Error) throw reply;
        return reply;
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no cluster node answered ${args.join(" ")} (${String(lastError)})`);
  };
  const ownerIn = (ranges: RespReply[], slot: number): number | undefined => {
    for (const range of ranges as RespReply[][]) {
      const [start, end, master] = range as [number, number, RespReply[]];
      if (slot >= start && slot <= end) return master[1] as number;
    }
    return undefined;
  };
  const serverOnPort = (port: number): RedisServer => {
    const server = servers.find((candidate) => candidate.port === port);
    if (server === undefined) throw new Error(`port ${port} is not a node of this cluster`);
    return server;
  };
  const masterForSlot = async (slot: number) => {
    const owner = ownerIn((await ask(["CLUSTER", "SLOTS"])) as RespReply[], slot);
    if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
    return owner;
  };
  const topology = async (): Promise<RedisClusterNode[]> => {
    const text = String(await ask(["CLUSTER", "NODES"]));
    const nodes: RedisClusterNode[] = [];
    for (const line of text.trim().split("\n")) {
      const [id, address, flags, masterId] = line.split(" ");
      const port = Number(address?.split("@")[0]?.split(":")[1]);
      const server = servers.find((candidate) => candidate.port === port);
      if (id === undefined || server === undefined || !server.running || flags?.includes("fail")) continue;
      const replica = flags?.includes("slave") === true;
      nodes.push({
        id,
        port,
        role: replica ? "replica" : "master",
        masterId: replica ? masterId : undefined,
        server,
      });
    }
    return nodes;
  };
  return {
    nodes: servers.map((server) => ({ host: server.host, port: server.port })),
    servers,
    masterForSlot,
    async serverForSlot(slot) {
      return serverOnPort(await masterForSlot(slot));
    },
    topology,
    async waitForSlotOwner(slot, previousPort, { timeoutMs = 30_000 } = {}) {
      let owner = 0;
      await waitFor(
        async () => {
          const owners = new Set<number | undefined>();
          for (const server of running()) {
            const info = await sendCommand(server.port, ["CLUSTER", "INFO"]);
            if (typeof info !== "string" || !info.includes("cluster_state:ok")) return false;
            owners.add(ownerIn((await sendCommand(server.port, ["CLUSTER", "SLOTS"])) as RespReply[], slot));
          }
          const [only] = owners;
          if (owners.size !== 1 || only === undefined || only === previousPort) return false;
          owner = only;
          return true;
        },
        timeoutMs,
        `no other master took over slot ${slot} from port ${previousPort}`,
      );
      return serverOnPort(owner);
    },
    async moveSlot(slot, toPort, { keysPerBatch = 100, pauseBetweenBatchesMs = 0 } = {}) {
      const fromPort = await masterForSlot(slot);
      if (fromPort === toPort) return;
      const nodes = await topology();
      const idOf = (port: number) => {
        const node = nodes.find((candidate) => candidate.port === port && candidate.role === "master");
        if (node === undefined) throw new Error(`port ${port} is not a running master`);
        return node.id;
      };
      const fromId = idOf(fromPort);
      const toId = idOf(toPort);
      const admin = async (port: number, args: readonly string[]) => {
        const reply = await sendCommand(port, args, { timeoutMs: 10_000 });
        if (reply instanceof Error) throw new Error(`${args.join(" ")} on port ${port}: ${reply.message}`);
        return reply;
      };
      await admin(toPort, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", fromId]);
      await admin(fromPort, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", toId]);
      for (;;) {
        const keys = (await admin(fromPort, [
          "CLUSTER",
          "GETKEYSINSLOT",
          String(slot),
          String(keysPerBatch),
        ])) as string[];
        if (keys.length === 0) break;
        await admin(fromPort, [
          "MIGRATE",
          "127.0.0.1",
          String(toPort),
          "",
          "0",
          "5000",
          "REPLACE",
          "KEYS",
          ...keys,
        ]);
        if (pauseBetweenBatchesMs > 0)
          await new Promise((resolve) => setTimeout(resolve, pauseBetweenBatchesMs));
      }
      // Target first, so the slot is never owned by nobody (as redis-cli does it).
      await admin(toPort, ["CLUSTER", "SETSLOT", String(slot), "NODE", toId]);
      await admin(fromPort, ["CLUSTER", "SETSLOT", String(slot), "NODE", toId]);
      for (const node of nodes) {
        if (node.role === "master" && node.port !== toPort && node.port !== fromPort)
          await admin(node.port, ["CLUSTER", "SETSLOT", String(slot), "NODE", toId]);
      }
      await waitFor(
        async () => {
          for (const server of running()) {
            const ranges = (await sendCommand(server.port, ["CLUSTER", "SLOTS"])) as RespReply[];
            if (ownerIn(ranges, slot) !== toPort) return false;
          }
          return true;
        },
        15_000,
        `not every node agreed that port ${toPort} serves slot ${slot}`,
      );
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
