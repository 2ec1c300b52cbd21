// A Cluster master dies and comes back: reads touching its slots fail with typed errors (never an
// "absent" answer), and the same store answers again by itself once the node is back.
import { isCtxError } from "@ctxstore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterSlot, redisStore } from "../src/index.js";
import {
  type RedisClusterHandle,
  redisServerAvailable,
  startRedisCluster,
  waitFor,
} from "../src/testing/index.js";

const available = redisServerAvailable();

describe.skipIf(!available)("redisStore when a cluster master fails", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("fails reads that need the dead master with typed errors and recovers when it restarts", async () => {
    const store = redisStore({ cluster: { nodes: cluster.nodes }, prefix: "fault:", commandTimeoutMs: 500 });
    try {
      const key = "userId=victim";
      const port = await cluster.masterForSlot(clusterSlot(store.layout.entityKey("user", key)));
      const victim = cluster.servers.find((server) => server.port === port);
      if (!victim) throw new Error("no server for the slot");
      const address = { entity: "user", key, field: "profile@1" };
      await store.write([
        { ...address, envelope: { value: "kept", eventTime: 1, writeTime: 1, schemaVersion: 1 } },
      ]);
      const read = () => store.read({ records: [{ ...address, kind: "value" }] });

      await victim.kill();
      const started = performance.now();
      const outcome = await read().then(
        () => "answered",
        (error: unknown) => (isCtxError(error) ? error.code : String(error)),
      );
      expect(["CTX_STORE_UNAVAILABLE", "CTX_TIMEOUT"]).toContain(outcome);
      expect(performance.now() - started).toBeLessThan(1_500);
      // Once its connection has closed the master is known down: reads and writes for its slots
      // fail at once with CTX_STORE_UNAVAILABLE instead of waiting out their timeout (issue #22).
      const latencies: number[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        const begun = performance.now();
        await expect(read()).rejects.toMatchObject({ code: "CTX_STORE_UNAVAILABLE" });
        await expect(
          store.write([
            { ...address, envelope: { value: "lost?", eventTime: 3, writeTime: 3, schemaVersion: 1 } },
          ]),
        ).rejects.toMatchObject({ code: "CTX_STORE_UNAVAILABLE" });
        latencies.push(performance.now() - begun);
      }
      latencies.sort((a, b) => a - b);
      // A read and a write together, in milliseconds, not the 500 ms commandTimeoutMs.
      expect(latencies[10]).toBeLessThan(50);

      // Cluster nodes keep their config across the restart (nodes.conf), but not their data.
      await victim.restart();
      await waitFor(
        async () =>
          await read().then(
            () => true,
            () => false,
          ),
        20_000,
        "the store never recovered after the master restarted",
      );
      const result = await read();
      expect(result.records[0]).toEqual({ kind: "value", envelope: undefined });
      expect(
        await store.write([
          { ...address, envelope: { value: "again", eventTime: 2, writeTime: 2, schemaVersion: 1 } },
        ]),
      ).toEqual([{ applied: true }]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
