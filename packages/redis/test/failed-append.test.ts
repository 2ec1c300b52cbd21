// A failed append never lets a window read as confirmed empty (#16 item 7), on real Redis: the store
// applies a batch's appends except one entity's and the call fails; the pipeline carries on (a
// heartbeat confirms the stream); that entity's window reads stale, not "no events — confirmed".
import { createContextStore, type OnlineStore } from "@ctxstore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../src/testing/index.js";
import { recent, session, user } from "./fixtures/definitions.js";

const available = redisServerAvailable();
const NOW = Date.parse("2026-11-21T12:00:00Z");

/** The real store, except that appends for `failing` are dropped and the call rejects. */
function failingFor(inner: OnlineStore, failing: string): OnlineStore {
  return {
    name: inner.name,
    read: (batch, options) => inner.read(batch, options),
    write: (writes) => inner.write(writes),
    async append(appends) {
      const healthy = appends.filter((append) => append.key !== failing);
      if (healthy.length === appends.length) return inner.append(appends);
      await inner.append(healthy);
      throw new Error(`append for ${failing} failed: connection reset by the node holding its slot`);
    },
    setWatermark: (field, time) => inner.setWatermark(field, time),
    delete: (addresses) => inner.delete(addresses),
    close: () => inner.close(),
  };
}

describe.skipIf(!available)("a failed append in a batch, on Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("leaves that window stale until an append to it succeeds; untouched windows stay confirmed", async () => {
    const online = redisStore({ url: server.url, prefix: "failed-append:" });
    const ctx = createContextStore({
      sources: [recent],
      entities: [user, session],
      online: failingFor(online, "sessionId=s2"),
      now: () => NOW,
    });
    await ctx.ready();
    const window = async (sessionId: string) =>
      (await ctx.assemble({ keys: { session: { sessionId } }, budget: { maxTokens: 300 } })).values
        .recent_activity;
    try {
      const batch = ["s1", "s2"].map((sessionId, n) =>
        ctx.toWindowAppend(recent, { sessionId }, { action: "view", n }, { eventTime: NOW - 1_000 }),
      );
      await expect(ctx.appendEvents(batch)).rejects.toThrow("connection reset");
      await ctx.heartbeat(recent, NOW);
      const lost = await window("s2");
      expect(lost?.status).toBe("stale");
      expect(lost?.reason).toMatch(/events may be missing/);
      expect((await window("s3"))?.status).toBe("empty");
      await ctx.appendEvents([ctx.toWindowAppend(recent, { sessionId: "s1" }, { action: "view", n: 2 })]);
      expect((await window("s1"))?.status).toBe("ok");
      expect((await window("s2"))?.status).toBe("stale");
    } finally {
      await ctx.close();
    }
  });
});
