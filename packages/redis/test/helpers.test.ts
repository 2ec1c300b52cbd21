import { describe, expect, it } from "vitest";
import {
  redisServerAvailable,
  sendCommand,
  startRedisCluster,
  startRedisServer,
  startSentinelGroup,
} from "../src/testing/index.js";

const available = redisServerAvailable({ sentinel: true });

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

  it("starts a 3-master cluster", async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    try {
      const ports = new Set([
        await cluster.masterForSlot(0),
        await cluster.masterForSlot(8000),
        await cluster.masterForSlot(16383),
      ]);
      expect(ports.size).toBe(3);
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it("starts a sentinel group", async () => {
    const group = await startSentinelGroup();
    try {
      expect(await group.currentPrimaryPort()).toBe(group.primary.port);
    } finally {
      await group.stop();
    }
  }, 60_000);
});
