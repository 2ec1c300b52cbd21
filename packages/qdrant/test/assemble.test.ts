// Qdrant failures inside a real assembly (core's createContextStore + assemble): a 5xx is `error`, a
// slow Qdrant is `timeout`, no points is `empty`, and the rest of the prompt is assembled either way.
// Qdrant is played by a local HTTP server answering in its documented REST shapes.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { batch, createContextStore, defineEntity, localEmbedder, vector } from "@ctxstore/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { pointId, qdrantStore } from "../src/index.js";

type Behaviour = { status: number; body: unknown; delayMs?: number };
let server: Server | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  if (running) {
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  }
});

async function qdrantAnswering(query: Behaviour): Promise<string> {
  const running = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      const reply: Behaviour = path.endsWith("/exists")
        ? { status: 200, body: { result: { exists: true }, status: "ok", time: 0 } }
        : path === "/collections/kb"
          ? {
              status: 200,
              body: {
                result: {
                  status: "green",
                  config: { params: { vectors: { size: 384, distance: "Cosine" } } },
                },
                status: "ok",
                time: 0,
              },
            }
          : query;
      setTimeout(() => {
        if (response.destroyed) return;
        response.writeHead(reply.status, { "content-type": "application/json" });
        response.end(JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
  });
  server = running;
  await new Promise<void>((resolve) => running.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(running.address() as AddressInfo).port}`;
}

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ summary: z.string() }),
  section: "User profile",
  priority: 90,
  render: (value) => value.summary,
});

async function assembleWith(url: string) {
  const embedder = localEmbedder();
  const knowledge = vector("help_articles", {
    store: qdrantStore({ url, collection: "kb", embedder, timeoutMs: 200 }),
    embedder,
    topK: 3,
    minScore: 0.2,
    section: "Relevant articles",
    priority: 50,
    timeout: "1s",
  });
  const ctx = createContextStore({ sources: [profile, knowledge] });
  // Load the tokenizer first so its one-off start-up cost is not billed to the request deadline.
  await ctx.ready();
  await ctx.write(profile, { userId: "u1" }, { summary: "Runs trails every weekend." });
  const result = await ctx.assemble({
    keys: { user: { userId: "u1" } },
    query: "waterproof trail shoes",
    budget: { maxTokens: 500 },
    deadline: "2s",
  });
  const trace = result.trace.sources.find((source) => source.source === "help_articles");
  return { result, trace };
}

describe("qdrantStore inside assemble", () => {
  it("a 5xx is status error, not an empty result; the profile is still packed", async () => {
    const url = await qdrantAnswering({
      status: 500,
      body: { status: { error: "Service internal error: RocksDB corrupted" }, time: 0 },
    });
    const { result, trace } = await assembleWith(url);
    expect(trace?.status).toBe("error");
    expect(result.text).toContain("Runs trails every weekend.");
    expect(result.text).not.toMatch(/No help articles matched/);
  });

  it("a slow Qdrant is status timeout", async () => {
    const url = await qdrantAnswering({
      status: 200,
      body: { result: { points: [] }, status: "ok", time: 0 },
      delayMs: 1_500,
    });
    const { result, trace } = await assembleWith(url);
    expect(trace?.status).toBe("timeout");
    expect(result.text).toContain("Runs trails every weekend.");
  });

  it("no points above minScore is status empty, a fact", async () => {
    const url = await qdrantAnswering({
      status: 200,
      body: { result: { points: [] }, status: "ok", time: 0.001 },
      delayMs: 0,
    });
    const { trace } = await assembleWith(url);
    expect(trace?.status).toBe("empty");
  });

  it("hits are packed with their citations and the trace shows their scores", async () => {
    const point = (chunkIndex: number, score: number, text: string) => ({
      id: pointId(undefined, `shoes#${chunkIndex}`),
      version: 1,
      score,
      payload: {
        tenant: "",
        id: `shoes#${chunkIndex}`,
        documentId: "shoes",
        chunkIndex,
        text,
        title: "Trail shoes guide",
        url: "https://help.example/shoes",
      },
    });
    const url = await qdrantAnswering({
      status: 200,
      body: {
        result: {
          points: [
            point(0, 0.82, "Our trail shoes are waterproof."),
            point(1, 0.64, "They run half a size small."),
          ],
        },
        status: "ok",
        time: 0.002,
      },
    });
    const { result, trace } = await assembleWith(url);
    expect(trace?.status).toBe("ok");
    expect(trace?.scores).toEqual([0.82]);
    expect(result.text).toContain(
      "- Trail shoes guide (https://help.example/shoes): Our trail shoes are waterproof. They run half a size small.",
    );
  });
});
