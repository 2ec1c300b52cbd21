// The producer and the ingest worker during a Redis outage (#16 item 5), on a real redis-server that
// is killed: `publish` fails like the store does, with CTX_STORE_UNAVAILABLE (not CTX_TIMEOUT once
// the command timeout runs out, which is what a command queued behind a reconnect attempt got), and
// every error the worker reports to `onError` is a CtxError with a code (no raw ioredis error).
import { createServer, type Server, type Socket } from "node:net";
import { type CtxError, createContextStore, isCtxError } from "@ctxstore/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStreamIngestor, createStreamProducer, redisStore } from "../src/index.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../src/testing/index.js";
import { recent, session, user } from "./fixtures/definitions.js";

const available = redisServerAvailable();
const event = (n: number) => ({
  source: "recent_activity",
  key: { sessionId: `s${n % 3}` },
  value: { action: "view", n },
  eventTime: Date.now(),
  eventId: `e${n}`,
});
interface BlackHole {
  server: Server;
  sockets: Set<Socket>;
}

async function blackHole(port: number): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return { server, sockets };
}

async function closeHole(hole: BlackHole): Promise<void> {
  for (const socket of hole.sockets) socket.destroy();
  await new Promise<void>((resolve) => hole.server.close(() => resolve()));
}

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe.skipIf(!available)("a Redis outage", () => {
  let server: RedisServer;
  beforeEach(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await server?.stop();
  });

  it("publish fails fast with CTX_STORE_UNAVAILABLE, as the store does, and works again after", async () => {
    // Default timeouts and reconnect backoff (50 ms doubling to 2 s): a publish queued behind a
    // reconnect attempt would wait out the 1 s command timeout and show up as CTX_TIMEOUT.
    const settings = { url: server.url };
    const producer = createStreamProducer({ ...settings, stream: "outage:events" });
    const store = redisStore({ ...settings, prefix: "outage:" });
    const ctx = createContextStore({ sources: [recent], entities: [user, session], online: store });
    await ctx.ready();
    let hole: BlackHole | undefined;
    try {
      await producer.publish(event(0));
      await server.kill();
      // Where Redis was, something accepts connections and never answers (a host going down, a
      // half-dead proxy): the client's reconnect attempts hang in "connect" instead of being refused.
      hole = await blackHole(server.port);
      const codes = { publish: new Map<string, number>(), store: new Map<string, number>() };
      const count = (map: Map<string, number>, error: unknown) => {
        const code = isCtxError(error) ? error.code : `raw: ${(error as Error).message}`;
        map.set(code, (map.get(code) ?? 0) + 1);
      };
      // Through the reconnect cycle (closed, reconnecting, connecting, refused, ...).
      for (let n = 1; n <= 15; n++) {
        await producer.publish(event(n)).then(
          () => count(codes.publish, new Error("published while Redis was down")),
          (error: unknown) => count(codes.publish, error),
        );
        await ctx.append(recent, { sessionId: "s1" }, { action: "view", n }).then(
          () => count(codes.store, new Error("appended while Redis was down")),
          (error: unknown) => count(codes.store, error),
        );
        await pause(50);
      }
      expect(Object.fromEntries(codes.publish)).toEqual({ CTX_STORE_UNAVAILABLE: 15 });
      expect(Object.fromEntries(codes.store)).toEqual({ CTX_STORE_UNAVAILABLE: 15 });
      await closeHole(hole);
      hole = undefined;
      await server.restart();
      const deadline = Date.now() + 10_000;
      let published: string[] | undefined;
      while (published === undefined && Date.now() < deadline) {
        published = await producer.publish(event(99)).catch(() => undefined);
        if (published === undefined) await pause(50);
      }
      expect(published).toHaveLength(1);
    } finally {
      if (hole) await closeHole(hole);
      await producer.close();
      await ctx.close();
    }
  });

  it("the ingest worker reports only CtxErrors with a code while Redis is down", async () => {
    const store = redisStore({
      url: server.url,
      prefix: "outage:",
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    });
    const context = createContextStore({ sources: [recent], entities: [user, session], online: store });
    await context.ready();
    const reported: unknown[] = [];
    const ingestor = createStreamIngestor({
      contextStore: context,
      url: server.url,
      stream: "outage:events",
      blockMs: 50,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
      retryDelayMs: { min: 10, max: 50 },
      onError: (error: CtxError) => {
        reported.push(error);
      },
    });
    try {
      await ingestor.start();
      await pause(100);
      await server.kill();
      const until = Date.now() + 2_500;
      while (Date.now() < until && reported.length < 20) await pause(50);
      expect(reported.length).toBeGreaterThan(0);
      const raw = reported.filter((error) => !isCtxError(error));
      expect(raw.map((error) => String((error as Error)?.message))).toEqual([]);
      for (const error of reported) expect((error as CtxError).code).toMatch(/^CTX_/);
    } finally {
      await ingestor.stop().catch(() => undefined);
      await context.close();
    }
  });
});
