import { describe, expect, it } from "vitest";
import { clusterSlot } from "../src/index.js";
import {
  freePort,
  redisServerAvailable,
  sendCommand,
  startRedisCluster,
  startRedisServer,
  startSentinelGroup,
} from "../src/testing/index.js";

const available = redisServerAvailable();

/** Distinct free ports (with the cluster bus port + 10000 free too). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort({ clusterBus: true }));
  return [...ports];
}

describe.skipIf(!available)("test-support helpers", () => {
  it("starts, kills, restarts and stops a private redis-server", async () => {
    const server = await startRedisServer();
    try {
      expect(await sendCommand(server.port, ["PING"])).toBe("PONG");
      expect(await sendCommand(server.port, ["CONFIG", "GET", "save"])).toEqual(["save", ""]);
      await sendCommand(server.port, ["SET", "k", "v"]);
      await server.kill();
      expect(server.running).toBe(false);
      await expect(sendCommand(server.port, ["PING"])).rejects.toThrow();
      await server.restart();
      expect(await sendCommand(server.port, ["GET", "k"])).toBeNull();
    } finally {
      await server.stop();
    }
    await expect(sendCommand(server.port, ["PING"])).rejects.toThrow();
  });

  it("starts a 3-master cluster with a replica each on pinned ports, and moves a slot", async () => {
    const pinned = await freePorts(6);
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, ports: pinned });
    try {
      expect(cluster.nodes.map((node) => node.port)).toEqual(pinned);
      const masters = new Set([
        await cluster.masterForSlot(0),
        await cluster.masterForSlot(8000),
        await cluster.masterForSlot(16383),
      ]);
      expect(masters.size).toBe(3);
      const topology = await cluster.topology();
      expect(topology.filter((node) => node.role === "master")).toHaveLength(3);
      const replicas = topology.filter((node) => node.role === "replica");
      expect(replicas).toHaveLength(3);
      // Every master has exactly one replica.
      expect(new Set(replicas.map((node) => node.masterId)).size).toBe(3);

      // A key of slot 42 moves with it.
      let key = "";
      for (let index = 0; key === ""; index++) if (clusterSlot(`k${index}`) === 42) key = `k${index}`;
      const from = await cluster.masterForSlot(42);
      const to = [...masters].find((port) => port !== from) as number;
      expect(await sendCommand(from, ["SET", key, "kept"])).toBe("OK");
      await cluster.moveSlot(42, to);
      expect(await cluster.masterForSlot(42)).toBe(to);
      expect(await sendCommand(to, ["GET", key])).toBe("kept");
    } finally {
      await cluster.stop();
    }
  }, 90_000);

  it("starts a sentinel group on pinned ports with redis-server --sentinel and fails it over", async () => {
    const [primary, replica, ...sentinels] = await freePorts(5);
    const group = await startSentinelGroup({
      ports: { primary: primary as number, replicas: [replica as number], sentinels },
      infoPeriodMs: 1_000,
    });
    try {
      expect(await group.currentPrimaryPort()).toBe(primary);
      expect(group.sentinels.map((sentinel) => sentinel.port)).toEqual(sentinels);
      // Sentinels run as redis-server in sentinel mode (no redis-sentinel binary needed).
      const info = await sendCommand(sentinels[0] as number, ["INFO", "server"]);
      expect(String(info)).toMatch(/redis_mode:sentinel/);
      const promoted = await group.failover();
      expect(promoted.port).toBe(replica);
      await group.waitForReplica(group.primary);
    } finally {
      await group.stop();
    }
  }, 90_000);

  it("refuses pinned port lists of the wrong length", async () => {
    await expect(startRedisCluster({ masters: 3, ports: [1, 2] })).rejects.toThrow(/ports lists 2 port/);
    await expect(startSentinelGroup({ replicas: 1, ports: { sentinels: [1] } })).rejects.toThrow(
      /ports.sentinels lists 1 port/,
    );
  });
});
