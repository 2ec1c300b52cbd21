// Sentinel failover: 1 primary, 1 replica, 3 sentinels, all spawned here. After the primary is
// killed, the same store (no restart of the app) reads and writes again once the replica is promoted.
import { isCtxError } from "@ctxstore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import {
  redisServerAvailable,
  type SentinelGroupHandle,
  sendCommand,
  startSentinelGroup,
  waitFor,
} from "../src/testing/index.js";

const available = redisServerAvailable({ sentinel: true });

describe.skipIf(!available)("redisStore behind Sentinel", () => {
  let group: SentinelGroupHandle;
  beforeAll(async () => {
    group = await startSentinelGroup({ downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
  });
  afterAll(async () => {
    await group?.stop();
  });

  it("recovers reads and writes by itself after the primary is killed and a replica is promoted", async () => {
    const store = redisStore({
      sentinel: { sentinels: group.sentinels, name: group.masterName },
      prefix: "sentinel:",
      commandTimeoutMs: 500,
      reconnect: { minDelayMs: 50, maxDelayMs: 500 },
    });
    const address = { entity: "user", key: "userId=u1", field: "profile@1" };
    const read = () => store.read({ records: [{ ...address, kind: "value" }] });
    try {
      await store.write([
        { ...address, envelope: { value: "before", eventTime: 1, writeTime: 1, schemaVersion: 1 } },
      ]);
      // Wait until the replica has the value, so the failover test is about availability, not data loss.
      await waitFor(
        async () => {
          const replica = group.replicas[0];
          if (!replica) return false;
          const info = await sendCommand(replica.port, ["INFO", "replication"]);
          return (
            typeof info === "string" &&
            /slave_repl_offset:(\d+)/.exec(info)?.[1] === /master_repl_offset:(\d+)/.exec(info)?.[1]
          );
        },
        5_000,
        "the replica never caught up",
      );

      await group.primary.kill();
      // During the failover calls fail with typed errors (never an "absent" answer) ...
      const during = await read().then(
        () => "answered",
        (error: unknown) => (isCtxError(error) ? error.code : String(error)),
      );
      expect(["CTX_STORE_UNAVAILABLE", "CTX_TIMEOUT", "answered"]).toContain(during);
      // ... and the same store answers again once the sentinels promote the replica.
      await waitFor(
        async () => {
          const outcome = await store.write([
            { ...address, envelope: { value: "after", eventTime: 2, writeTime: 2, schemaVersion: 1 } },
          ]);
          return outcome[0]?.applied === true;
        },
        30_000,
        "writes never recovered after the failover",
      );
      expect(await group.currentPrimaryPort()).toBe(group.replicas[0]?.port);
      const result = await read();
      expect(result.records[0]).toMatchObject({ kind: "value", envelope: { value: "after", eventTime: 2 } });
    } finally {
      await store.close();
    }
  }, 60_000);
});
