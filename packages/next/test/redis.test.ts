// The route helpers against a real redis-server spawned for this suite: events land in Redis and
// the next assembly sees them; with Redis down, the events route answers 503 and the assembly reports
// the stream and batch sources as unavailable (error/timeout), never as an empty history; when Redis
// comes back, both recover without restarting anything.
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { redisStore } from "@ctxstore/redis";
import { type RedisServer, redisServerAvailable, startRedisServer, waitFor } from "@ctxstore/redis/testing";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatRoute } from "../src/chat/index.js";
import { eventsRoute, withContext } from "../src/index.js";
import { activity, createFixture, identifyFromCookies, jsonRequest, type ShopFixture } from "./fixtures.js";

const available = redisServerAvailable();
if (!available) {
  if (process.env.CI === "true")
    throw new Error(
      "redis-server is not installed: the Redis suite of @ctxstore/next cannot run in CI without it.",
    );
  console.warn(
    "SKIPPING @ctxstore/next Redis suite: redis-server is not installed (apt-get install redis-server).",
  );
}

const UNAVAILABLE = ["error", "timeout"];

describe.skipIf(!available)("route helpers on Redis", () => {
  let server: RedisServer;
  let fixture: ShopFixture;

  beforeAll(async () => {
    server = await startRedisServer({ label: "next-routes" });
    fixture = await createFixture({
      online: redisStore({ url: server.url, connectTimeoutMs: 1000 }),
    });
  });
  afterAll(async () => {
    await fixture?.ctx.close();
    await server?.stop();
  });

  const events = () =>
    eventsRoute({
      contextStore: fixture.ctx,
      source: activity,
      identify: identifyFromCookies,
      prepare: (event, { receivedAt }) => ({ ...(event as object), at: new Date(receivedAt).toISOString() }),
      rateLimit: false,
    });
  function inspect() {
    return withContext(
      { contextStore: fixture.ctx, identify: identifyFromCookies, deadline: "400ms" },
      (_request, { context }) =>
        Response.json({
          text: context.text,
          statuses: Object.fromEntries(
            Object.values(context.values).map((value) => [value.source, value.status]),
          ),
        }),
    );
  }
  const page = () => new Request("http://shop.test/", { headers: { cookie: "uid=ana; sid=s-redis" } });

  it("records browser events in Redis and the next assembly lists them in the stream tier", async () => {
    const response = await events()(
      jsonRequest(
        "http://shop.test/api/events",
        {
          events: [
            { type: "view", productId: "a", label: "Trail Runner X" },
            { type: "view", productId: "b", label: "Summit GTX" },
          ],
        },
        { cookie: "uid=ana; sid=s-redis" },
      ),
    );
    expect(response.status).toBe(202);
    const body = (await (await inspect()(page(), undefined)).json()) as {
      text: string;
      statuses: Record<string, string>;
    };
    expect(body.statuses).toEqual({ customer_profile: "ok", session_activity: "ok" });
    expect(body.text).toContain("view: Trail Runner X");
    expect(body.text).toContain("view: Summit GTX");
  });

  it("with Redis down: events get 503, the context reads as unavailable (not empty), the chat still answers; all recover", async () => {
    await server.kill();
    try {
      const refused = await events()(
        jsonRequest(
          "http://shop.test/api/events",
          { type: "view", productId: "c", label: "Road Glide 3" },
          { cookie: "uid=ana; sid=s-redis" },
        ),
      );
      expect(refused.status).toBe(503);
      const refusal = (await refused.json()) as { error: string; code: string; message: string };
      expect(refusal).toMatchObject({ error: "store_unavailable", code: "CTX_STORE_UNAVAILABLE" });
      expect(refusal.message).not.toContain(server.url.replace("redis://", ""));

      const down = (await (await inspect()(page(), undefined)).json()) as {
        text: string;
        statuses: Record<string, string>;
      };
      expect(UNAVAILABLE).toContain(down.statuses.session_activity);
      expect(UNAVAILABLE).toContain(down.statuses.customer_profile);
      expect(down.text).not.toContain("Trail Runner X");
      expect(down.text).toMatch(/unknown/i);

      const model = new MockLanguageModelV4({
        doStream: async () => ({
          stream: simulateReadableStream<LanguageModelV4StreamPart>({
            chunks: [
              { type: "text-start", id: "t" },
              { type: "text-delta", id: "t", delta: "I cannot see your session right now." },
              { type: "text-end", id: "t" },
              {
                type: "finish",
                finishReason: { unified: "stop", raw: "stop" },
                usage: {
                  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
                  outputTokens: { total: 1, text: 1, reasoning: undefined },
                },
              },
            ],
          }),
        }),
      });
      const chat = await chatRoute({
        contextStore: fixture.ctx,
        identify: identifyFromCookies,
        model,
        deadline: "400ms",
      })(
        jsonRequest(
          "http://shop.test/api/chat",
          { messages: [{ id: "m", role: "user", parts: [{ type: "text", text: "What did I look at?" }] }] },
          {
            cookie: "uid=ana; sid=s-redis",
          },
        ),
      );
      const stream = await chat.text();
      expect(stream).toContain("I cannot see your session right now.");
      const metadataLine = stream.split("\n").find((line) => line.includes('"message-metadata"'));
      const trace = (
        JSON.parse((metadataLine ?? "").replace(/^data: /, "")) as {
          messageMetadata: { ctxstore: { sources: { source: string; status: string }[] } };
        }
      ).messageMetadata.ctxstore;
      expect(UNAVAILABLE).toContain(
        trace.sources.find((source) => source.source === "session_activity")?.status,
      );
      const system = (model.doStreamCalls[0]?.prompt ?? [])
        .filter((message) => message.role === "system")
        .map((message) => message.content)
        .join("\n");
      expect(system).toMatch(/unknown/i);
    } finally {
      await server.restart();
    }

    // Back up (empty: the killed server kept nothing). The same client reconnects by itself (backoff),
    // so writes succeed again within a few seconds, without restarting anything.
    const { profile } = await import("./fixtures.js");
    await waitFor(
      async () =>
        (await fixture.ctx.write(profile, { userId: "ana" }, { name: "Ana Lima", summary: "Back." })).applied,
      10_000,
      "the redis store to reconnect after the restart",
    );
    const recovered = await events()(
      jsonRequest(
        "http://shop.test/api/events",
        { type: "view", productId: "c", label: "Road Glide 3" },
        { cookie: "uid=ana; sid=s-redis" },
      ),
    );
    expect(recovered.status).toBe(202);
    const after = (await (await inspect()(page(), undefined)).json()) as {
      text: string;
      statuses: Record<string, string>;
    };
    expect(after.statuses).toEqual({ customer_profile: "ok", session_activity: "ok" });
    expect(after.text).toContain("view: Road Glide 3");
  });
});
