// ctx.assemble on redisStore when things go wrong: Redis killed, Redis hung, and the ingest pipeline
// stalled. Unavailable values must come back as error/timeout/stale (never missing or empty), within
// the request deadline, with the source's policy applied, and everything must recover by itself.
import { batch, createContextStore, defineEntity, type Status, stream } from "@ctxstore/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStreamIngestor, createStreamProducer, redisStore } from "../src/index.js";
import { type RedisServer, redisServerAvailable, startRedisServer, waitFor } from "../src/testing/index.js";

const available = redisServerAvailable();

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ summary: z.string() }),
  maxAge: "1d",
  section: "User profile",
  render: (value) => value.summary,
  onUnavailable: "note",
});
const preferences = batch("preferences", {
  entity: user,
  schema: z.object({ likes: z.string() }),
  maxAge: "1d",
  section: "User profile",
  render: (value) => `Likes ${value.likes}.`,
  onUnavailable: "fallback",
});
const loyalty = batch("loyalty", {
  entity: user,
  schema: z.object({ tier: z.string() }),
  section: "Account",
  render: (value) => `Tier ${value.tier}.`,
  required: true,
});
const recent = stream("recent_activity", {
  entity: session,
  schema: z.object({ action: z.string() }),
  window: 5,
  maxAge: "2s",
  section: "Recent activity",
  render: (event) => event.action,
  onUnavailable: "note",
});

const optionalSources = ["profile", "preferences", "recent_activity"];
const keys = { user: { userId: "u1" }, session: { sessionId: "s1" } };
const NEVER_WHEN_DOWN: Status[] = ["missing", "empty", "ok"];

describe.skipIf(!available)("assemble on redisStore when Redis fails", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    server?.resume();
    await server?.stop();
  });

  async function seeded() {
    const store = redisStore({
      url: server.url,
      prefix: `fault${Math.random().toString(36).slice(2)}:`,
      commandTimeoutMs: 300,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    });
    const context = createContextStore({ sources: [profile, preferences, loyalty, recent], online: store });
    await context.ready();
    const seed = async () => {
      await context.write(profile, keys.user, { summary: "Runs trails every weekend." });
      await context.write(preferences, keys.user, { likes: "waterproof shoes" });
      await context.write(loyalty, keys.user, { tier: "gold" });
      await context.append(recent, keys.session, { action: "viewed trail shoes" }, { eventId: "e1" });
    };
    await seed();
    return { store, context, seed };
  }

  function statuses(result: { values: Readonly<Record<string, { status: Status }>> }) {
    return Object.fromEntries(optionalSources.map((name) => [name, result.values[name]?.status]));
  }

  it("answers within the deadline with error/timeout notes while Redis is down, fails required sources, and recovers by itself", async () => {
    const { context, seed } = await seeded();
    try {
      const healthy = await context.assemble({ keys, budget: { maxTokens: 500 }, sources: optionalSources });
      expect(statuses(healthy)).toEqual({ profile: "ok", preferences: "ok", recent_activity: "ok" });

      await server.kill();
      for (let attempt = 0; attempt < 3; attempt++) {
        const started = performance.now();
        const down = await context.assemble({
          keys,
          budget: { maxTokens: 500 },
          deadline: "200ms",
          sources: optionalSources,
        });
        expect(performance.now() - started).toBeLessThan(350);
        for (const name of optionalSources) {
          const status = down.values[name]?.status as Status;
          expect(["error", "timeout"]).toContain(status);
          expect(NEVER_WHEN_DOWN).not.toContain(status);
        }
        // note and fallback (no last known value to fall back on) both say "unknown", never "none".
        for (const name of optionalSources) {
          expect(down.trace.sources.find((trace) => trace.source === name)?.rendered).toBe("note");
        }
        expect(down.text).not.toContain("Runs trails");
        expect(down.text).not.toMatch(/none — confirmed/);
      }
      await expect(
        context.assemble({ keys, budget: { maxTokens: 500 }, deadline: "200ms" }),
      ).rejects.toMatchObject({ code: "CTX_REQUIRED_UNAVAILABLE" });

      await server.restart();
      await waitFor(
        async () => {
          const result = await context.assemble({
            keys,
            budget: { maxTokens: 500 },
            sources: optionalSources,
          });
          return !["error", "timeout"].includes(result.values.profile?.status as string);
        },
        5_000,
        "assemble never recovered after Redis came back",
      );
      // The restarted server has no data (no persistence): missing is now the honest answer.
      const empty = await context.assemble({ keys, budget: { maxTokens: 500 }, sources: ["profile"] });
      expect(empty.values.profile?.status).toBe("missing");
      await seed();
      const recovered = await context.assemble({ keys, budget: { maxTokens: 500 } });
      expect(statuses(recovered)).toEqual({ profile: "ok", preferences: "ok", recent_activity: "ok" });
      expect(recovered.text).toContain("Runs trails every weekend.");
    } finally {
      await context.close();
    }
  });

  it("reports a record written by something else as invalid, with the reason in the trace, for that source only", async () => {
    const { store, context } = await seeded();
    try {
      const admin = new Redis(server.url);
      await admin.hset(
        store.layout.entityKey("user", "userId=u1"),
        "profile@1",
        '{"summary":"written by a legacy job"}',
      );
      admin.disconnect();
      const result = await context.assemble({ keys, budget: { maxTokens: 500 }, sources: optionalSources });
      expect(result.values.profile?.status).toBe("invalid");
      const trace = result.trace.sources.find((source) => source.source === "profile");
      expect(trace?.reason).toMatch(/redis record: not a ctxstore value record/);
      expect(result.values.preferences?.status).toBe("ok");
      expect(result.values.recent_activity?.status).toBe("ok");
      expect(result.text).not.toContain("legacy job");
    } finally {
      await context.close();
    }
  });

  it("times out within the deadline while Redis hangs, and answers again once it resumes", async () => {
    const { context } = await seeded();
    try {
      server.pause();
      const started = performance.now();
      const hung = await context.assemble({
        keys,
        budget: { maxTokens: 500 },
        deadline: "150ms",
        sources: optionalSources,
      });
      expect(performance.now() - started).toBeLessThan(300);
      expect(statuses(hung)).toEqual({
        profile: "timeout",
        preferences: "timeout",
        recent_activity: "timeout",
      });
      server.resume();
      await waitFor(
        async () =>
          (await context.assemble({ keys, budget: { maxTokens: 500 }, sources: optionalSources })).values
            .profile?.status === "ok",
        5_000,
        "assemble never recovered after Redis resumed",
      );
    } finally {
      server.resume();
      await context.close();
    }
  });
});

describe.skipIf(!available)("assemble while the ingest pipeline is stalled (phantom zeros)", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("reads windows as empty/ok while the worker is healthy and as stale once it has stopped for longer than maxAge", async () => {
    const store = redisStore({ url: server.url, prefix: "stall:" });
    const context = createContextStore({ sources: [recent], online: store });
    const producer = createStreamProducer({ url: server.url, stream: "stall:events" });
    const startWorker = async () => {
      const worker = createStreamIngestor({
        contextStore: context,
        url: server.url,
        stream: "stall:events",
        blockMs: 100,
      });
      await worker.start();
      return worker;
    };
    const statusOf = async (sessionId: string) =>
      (await context.assemble({ keys: { session: { sessionId } }, budget: { maxTokens: 300 } })).values
        .recent_activity?.status;
    let worker = await startWorker();
    try {
      await producer.publish({
        source: recent,
        key: { sessionId: "busy" },
        value: { action: "added to cart" },
        eventTime: Date.now(),
        eventId: "b1",
      });
      await waitFor(() => worker.counters().processed === 1, 5_000, "the event was never applied");
      // Healthy: a quiet session is positively empty (the stream is live), a busy one is ok.
      expect(await statusOf("quiet")).toBe("empty");
      expect(await statusOf("busy")).toBe("ok");

      await worker.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_300));
      // Stalled beyond maxAge (2s): "no recent activity" must not be claimed.
      expect(await statusOf("quiet")).toBe("stale");
      expect(await statusOf("busy")).toBe("stale");
      const stalled = await context.assemble({
        keys: { session: { sessionId: "quiet" } },
        budget: { maxTokens: 300 },
      });
      expect(stalled.text).not.toMatch(/confirmed/);

      worker = await startWorker();
      await waitFor(
        async () => (await statusOf("quiet")) === "empty",
        3_000,
        "the window never became fresh again",
      );
    } finally {
      await worker.stop();
      await producer.close();
      await context.close();
    }
  });
});
