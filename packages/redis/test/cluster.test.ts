// redisStore on a real 3-master Redis Cluster: one read whose entities live on different nodes costs
// one pipeline per node (sent in parallel), every Lua write touches a single slot, and the ingest worker
// runs against the cluster.
import { createContextStore } from "@ctxstore/core";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterSlot, createStreamIngestor, createStreamProducer, redisStore } from "../src/index.js";
import {
  commandStats,
  type RedisClusterHandle,
  redisServerAvailable,
  sendCommand,
  startRedisCluster,
  waitFor,
} from "../src/testing/index.js";
import { profile, recent, sources } from "./fixtures/definitions.js";
import { expectTenantIngest, tenantIngest } from "./fixtures/tenant-ingest.js";

const available = redisServerAvailable();

describe.skipIf(!available)("redisStore on a 3-master cluster", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("reads entities that live on three different nodes in one call: one HMGET per entity, one pipeline per node", async () => {
    const store = redisStore({ cluster: { nodes: cluster.nodes }, prefix: "span:" });
    try {
      // Pick one user key per master.
      const byPort = new Map<number, string>();
      for (let index = 0; byPort.size < 3 && index < 1_000; index++) {
        const key = `userId=u${index}`;
        const port = await cluster.masterForSlot(clusterSlot(store.layout.entityKey("user", key)));
        if (!byPort.has(port)) byPort.set(port, key);
      }
      expect(byPort.size).toBe(3);
      const keys = [...byPort.values()];
      await store.write(
        keys.flatMap((key, index) => [
          {
            entity: "user",
            key,
            field: "profile@1",
            envelope: { value: `p${index}`, eventTime: 1, writeTime: 1, schemaVersion: 1 },
          },
          {
            entity: "user",
            key,
            field: "prefs@1",
            envelope: { value: `q${index}`, eventTime: 1, writeTime: 1, schemaVersion: 1 },
          },
        ]),
      );
      await store.setWatermark("recent@1", 42);
      for (const node of cluster.nodes) await sendCommand(node.port, ["CONFIG", "RESETSTAT"]);
      const result = await store.read({
        records: keys.flatMap((key) => [
          { entity: "user", key, field: "profile@1", kind: "value" as const },
          { entity: "user", key, field: "prefs@1", kind: "value" as const },
          { entity: "user", key, field: "recent@1", kind: "window" as const },
        ]),
        watermarks: ["recent@1"],
      });
      expect(
        result.records.map((record) => (record.kind === "value" ? record.envelope?.value : record.kind)),
      ).toEqual(["p0", "q0", "window", "p1", "q1", "window", "p2", "q2", "window"]);
      expect(result.watermarks["recent@1"]).toBe(42);
      const watermarkPort = await cluster.masterForSlot(clusterSlot(store.layout.watermarkKey));
      for (const node of cluster.nodes) {
        const stats = await commandStats(node.port);
        expect(stats.hmget).toBe(node.port === watermarkPort ? 2 : 1);
      }
    } finally {
      await store.close();
    }
  });

  it("runs the ingest worker against the cluster: windows of entities on every node, one write per slot group", async () => {
    const store = redisStore({ cluster: { nodes: cluster.nodes }, prefix: "ingest:" });
    const context = createContextStore({ sources, online: store });
    const producer = createStreamProducer({ cluster: { nodes: cluster.nodes }, stream: "ingest:events" });
    const worker = createStreamIngestor({
      contextStore: context,
      cluster: { nodes: cluster.nodes },
      stream: "ingest:events",
      blockMs: 100,
    });
    try {
      const now = Date.now();
      const events = Array.from({ length: 300 }, (_, index) => ({
        source: recent,
        key: { sessionId: `s${index % 30}` },
        value: { action: "viewed", n: index },
        eventTime: now - 1_000 + index,
        eventId: `e${index}`,
      }));
      await producer.publish(events);
      await worker.start();
      await waitFor(
        () => worker.counters().processed === events.length,
        15_000,
        `not all events applied: ${JSON.stringify(worker.counters())}`,
      );
      const sessions = Array.from({ length: 30 }, (_, index) => `s${index}`);
      const ports = new Set(
        await Promise.all(
          sessions.map((id) =>
            cluster.masterForSlot(clusterSlot(store.layout.entityKey("session", `sessionId=${id}`))),
          ),
        ),
      );
      expect(ports.size).toBe(3);
      const result = await store.read({
        records: sessions.map((id) => ({
          entity: "session",
          key: `sessionId=${id}`,
          field: "recent_activity@1",
          kind: "window" as const,
        })),
        watermarks: ["recent_activity@1"],
      });
      sessions.forEach((_, index) => {
        const record = result.records[index];
        const expected = [5, 6, 7, 8, 9].map((round) => `e${round * 30 + index}`);
        expect(record?.kind === "window" ? record.events.map((event) => event.eventId) : record).toEqual(
          expected,
        );
      });
      expect(result.watermarks["recent_activity@1"]).toBeGreaterThan(now - 5_000);
    } finally {
      await worker.stop();
      await producer.close();
      await context.close();
    }
  });

  it("runs the ingest worker on a multi-tenant context store: each message to its tenant's keys, none without one (#18)", async () => {
    const admin = new Cluster(cluster.nodes as Array<{ host: string; port: number }>);
    admin.on("error", () => {});
    try {
      const outcome = await tenantIngest({ cluster: { nodes: cluster.nodes } }, admin, "tenants:");
      expectTenantIngest(outcome);
    } finally {
      admin.disconnect();
    }
  });

  it("multi-tenant on Cluster: the tenant marker is its own slot, written in the writes' pipelines and read in the read's (#18)", async () => {
    const online = redisStore({ cluster: { nodes: cluster.nodes }, prefix: "marks:" });
    const ctx = createContextStore({ sources: [profile, recent], online, tenancy: "multi", deadline: "5s" });
    try {
      await ctx.ready();
      // A tenant whose marker lives on another master than its entity's hash: two nodes, still one call.
      let tenant = "";
      for (let index = 0; tenant === "" && index < 1_000; index++) {
        const candidate = `t${index}`;
        const entityPort = await cluster.masterForSlot(
          clusterSlot(online.layout.entityKey("session", "sessionId=s1", candidate)),
        );
        const markerPort = await cluster.masterForSlot(clusterSlot(online.layout.tenantMarkerKey(candidate)));
        if (entityPort !== markerPort) tenant = candidate;
      }
      expect(tenant).not.toBe("");
      await ctx.heartbeat(recent);
      await ctx.append(recent, { sessionId: "s0" }, { action: "view", n: 1 }, { tenant });
      const keys = { session: { sessionId: "s1" } };
      const budget = { maxTokens: 400 };
      for (const node of cluster.nodes) await sendCommand(node.port, ["CONFIG", "RESETSTAT"]);
      const quiet = await ctx.assemble({ keys, budget, tenant });
      expect(quiet.values.recent_activity?.status).toBe("empty");
      const markerPort = await cluster.masterForSlot(clusterSlot(online.layout.tenantMarkerKey(tenant)));
      for (const node of cluster.nodes) {
        const stats = await commandStats(node.port);
        expect(stats.hget ?? 0).toBe(node.port === markerPort ? 1 : 0);
      }
      const wrong = await ctx.assemble({ keys, budget, tenant: `${tenant}x` });
      expect(wrong.values.recent_activity?.status).toBe("missing");
      expect(wrong.values.recent_activity?.reason).toContain(`tenant "${tenant}x" has no data`);
    } finally {
      await ctx.close();
    }
  });
});
