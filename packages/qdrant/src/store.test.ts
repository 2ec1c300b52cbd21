// HTTP-level tests: a local server on 127.0.0.1 records every request the real Qdrant client sends
// and answers in Qdrant's documented REST shapes ({ result, status: "ok", time } on success,
// { status: { error }, time } on failure). They pin what goes over the wire: the tenant condition on
// every read and delete, batching, deterministic point ids, and failures mapped to typed errors.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isCtxError, type VectorQuery } from "@ctxstore/core";
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterEach, describe, expect, it } from "vitest";
import { pointId, qdrantStore } from "./store.js";

interface Recorded {
  method: string;
  path: string;
  search: string;
  body: unknown;
}

type Reply = { status?: number; body?: unknown; delayMs?: number };
type Route = (request: Recorded) => Reply | undefined;

interface FakeQdrant {
  url: string;
  requests: Recorded[];
  /** Collection state the default routes answer from. */
  state: { exists: boolean; size: number; points: unknown[] };
  route: (route: Route) => void;
  close: () => Promise<void>;
}

const servers: FakeQdrant[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const ok = (result: unknown): Reply => ({ body: { result, status: "ok", time: 0.0004 } });
const updated = ok({ operation_id: 7, status: "completed" });

async function fakeQdrant(): Promise<FakeQdrant> {
  const requests: Recorded[] = [];
  const routes: Route[] = [];
  const state = { exists: true, size: 4, points: [] as unknown[] };
  const defaults: Route = (request) => {
    const { method, path } = request;
    if (method === "GET" && /^\/collections\/[^/]+\/exists$/.test(path)) return ok({ exists: state.exists });
    if (method === "GET" && /^\/collections\/[^/]+$/.test(path)) {
      return ok({
        status: "green",
        points_count: state.points.length,
        config: { params: { vectors: { size: state.size, distance: "Cosine" } } },
      });
    }
    if (method === "PUT" && /^\/collections\/[^/]+$/.test(path)) return ok(true);
    if (method === "PUT" && /\/index$/.test(path)) return updated;
    if (method === "PUT" && /\/points$/.test(path)) return updated;
    if (method === "POST" && /\/points\/delete$/.test(path)) return updated;
    if (method === "POST" && /\/points\/query$/.test(path)) return ok({ points: state.points });
    return { status: 404, body: { status: { error: `Not found: ${method} ${path}` }, time: 0 } };
  };
  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
      const raw = Buffer.concat(chunks).toString("utf8");
      const recorded: Recorded = {
        method: incoming.method ?? "GET",
        path: url.pathname,
        search: url.search,
        body: raw ? JSON.parse(raw) : undefined,
      };
      requests.push(recorded);
      let reply: Reply | undefined;
      for (const route of routes) reply ??= route(recorded);
      reply ??= defaults(recorded) as Reply;
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(reply?.status ?? 200, { "content-type": "application/json" });
        response.end(JSON.stringify(reply?.body ?? {}));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeQdrant = {
    url: `http://127.0.0.1:${port}`,
    requests,
    state,
    route: (route) => routes.push(route),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

const record = (documentId: string, chunkIndex: number, extra: Record<string, unknown> = {}) => ({
  id: `${documentId}#${chunkIndex}`,
  documentId,
  chunkIndex,
  vector: [1, 0, 0, 0],
  text: `Chunk ${chunkIndex} of ${documentId}`,
  ...extra,
});

const payload = (documentId: string, chunkIndex: number, extra: Record<string, unknown> = {}) => ({
  tenant: "",
  id: `${documentId}#${chunkIndex}`,
  documentId,
  chunkIndex,
  text: `Chunk ${chunkIndex} of ${documentId}`,
  ...extra,
});

describe("qdrantStore over HTTP", () => {
  it("creates a missing collection once, sized from the embedder, with tenant and document indexes", async () => {
    const qdrant = await fakeQdrant();
    qdrant.state.exists = false;
    const store = qdrantStore({ url: qdrant.url, collection: "help", embedder: { dimensions: 4 } });
    await store.upsert([record("a", 0)]);
    qdrant.state.exists = true;
    await store.upsert([record("b", 0)]);
    const calls = qdrant.requests.map((request) => `${request.method} ${request.path}`);
    expect(calls).toEqual([
      "GET /collections/help/exists",
      "PUT /collections/help",
      "PUT /collections/help/index",
      "PUT /collections/help/index",
      "PUT /collections/help/index",
      "PUT /collections/help/index",
      "PUT /collections/help/points",
      "PUT /collections/help/points",
    ]);
    expect(qdrant.requests[1]?.body).toMatchObject({ vectors: { size: 4, distance: "Cosine" } });
    expect(qdrant.requests[2]?.body).toEqual({
      field_name: "tenant",
      field_schema: { type: "keyword", is_tenant: true },
    });
    expect(qdrant.requests.slice(3, 6).map((request) => request.body)).toEqual(
      ["documentId", "entityKey", "source"].map((field) => ({ field_name: field, field_schema: "keyword" })),
    );
  });

  it("refuses an existing collection of another vector size before writing, naming both sizes", async () => {
    const qdrant = await fakeQdrant();
    qdrant.state.size = 1536;
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    const error = await store.upsert([record("a", 0)]).catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_DIMENSION_MISMATCH")).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ expected: 4, actual: 1536 });
    expect(qdrant.requests.some((request) => request.path.endsWith("/points"))).toBe(false);
  });

  it("upserts in batches with deterministic UUID point ids and the full payload", async () => {
    const qdrant = await fakeQdrant();
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4, batchSize: 256 });
    const records = Array.from({ length: 600 }, (_, index) =>
      record(`doc${Math.floor(index / 3)}`, index % 3),
    );
    await store.upsert(records);
    const upserts = qdrant.requests.filter(
      (request) => request.method === "PUT" && request.path.endsWith("/points"),
    );
    expect(upserts.map((request) => (request.body as { points: unknown[] }).points.length)).toEqual([
      256, 256, 88,
    ]);
    expect(upserts.every((request) => request.search.includes("wait=true"))).toBe(true);
    const points = upserts.flatMap(
      (request) =>
        (
          request.body as {
            points: Array<{ id: string; vector: number[]; payload: Record<string, unknown> }>;
          }
        ).points,
    );
    expect(new Set(points.map((point) => point.id)).size).toBe(600);
    for (const point of points.slice(0, 5))
      expect(point.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // Re-indexing sends the very same ids: Qdrant overwrites instead of duplicating.
    const before = points.map((point) => point.id);
    qdrant.requests.length = 0;
    await store.upsert(records);
    const again = qdrant.requests
      .filter((request) => request.path.endsWith("/points"))
      .flatMap((request) =>
        (request.body as { points: Array<{ id: string }> }).points.map((point) => point.id),
      );
    expect(again).toEqual(before);

    qdrant.requests.length = 0;
    await store.upsert([
      record("guide", 2, {
        title: "Returns",
        url: "https://help.example/returns",
        tenant: "acme",
        entityKey: "user:u1",
        source: "help_center",
        eventTime: 1_700_000_000_000,
        tokens: { o200k_base: 6 },
        metadata: { lang: "en" },
      }),
    ]);
    const [point] = (
      (qdrant.requests.at(-1) as Recorded).body as {
        points: Array<{ id: string; vector: number[]; payload: unknown }>;
      }
    ).points;
    expect(point).toEqual({
      id: pointId("acme", "guide#2"),
      vector: [1, 0, 0, 0],
      payload: {
        tenant: "acme",
        id: "guide#2",
        documentId: "guide",
        chunkIndex: 2,
        text: "Chunk 2 of guide",
        title: "Returns",
        url: "https://help.example/returns",
        entityKey: "user:u1",
        source: "help_center",
        eventTime: 1_700_000_000_000,
        tokens: { o200k_base: 6 },
        metadata: { lang: "en" },
      },
    });
    expect(pointId("acme", "guide#2")).not.toBe(pointId("globex", "guide#2"));
    expect(pointId(undefined, "guide#2")).toBe(pointId("", "guide#2"));
  });

  it("always sends a tenant condition, plus entity, source and metadata conditions, and maps hits back", async () => {
    const qdrant = await fakeQdrant();
    qdrant.state.points = [
      {
        id: pointId(undefined, "faq#1"),
        version: 3,
        score: 0.91,
        payload: payload("faq", 1, { title: "FAQ", tokens: { o200k_base: 7 } }),
      },
      {
        id: pointId(undefined, "faq#0"),
        version: 3,
        score: 0.72,
        payload: payload("faq", 0, {
          url: "https://help.example/faq",
          eventTime: 5,
          metadata: { lang: "en" },
        }),
      },
    ];
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    const hits = await store.query({ vector: [0, 1, 0, 0], topK: 5 });
    expect(hits).toEqual([
      {
        id: "faq#1",
        documentId: "faq",
        chunkIndex: 1,
        score: 0.91,
        text: "Chunk 1 of faq",
        title: "FAQ",
        tokens: { o200k_base: 7 },
      },
      {
        id: "faq#0",
        documentId: "faq",
        chunkIndex: 0,
        score: 0.72,
        text: "Chunk 0 of faq",
        url: "https://help.example/faq",
        eventTime: 5,
        metadata: { lang: "en" },
      },
    ]);
    await store.query({
      vector: Float32Array.from([0, 1, 0, 0]),
      topK: 3,
      minScore: 0.4,
      tenant: "acme",
      entityKey: "user:u1",
      source: "help_center",
      filter: { lang: "en", version: 2, draft: false, weight: 0.5 },
    });
    const queries = qdrant.requests
      .filter((request) => request.path === "/collections/help/points/query")
      .map((request) => request.body);
    expect(queries[0]).toEqual({
      query: [0, 1, 0, 0],
      limit: 5,
      filter: { must: [{ key: "tenant", match: { value: "" } }] },
      with_payload: true,
    });
    expect(queries[1]).toEqual({
      query: [0, 1, 0, 0],
      limit: 3,
      score_threshold: 0.4,
      with_payload: true,
      filter: {
        must: [
          { key: "tenant", match: { value: "acme" } },
          { key: "entityKey", match: { value: "user:u1" } },
          { key: "source", match: { value: "help_center" } },
          { key: "metadata.lang", match: { value: "en" } },
          { key: "metadata.version", match: { value: 2 } },
          { key: "metadata.draft", match: { value: false } },
          { key: "metadata.weight", range: { gte: 0.5, lte: 0.5 } },
        ],
      },
    });
  });

  it("returns [] only when Qdrant answers with no points", async () => {
    const qdrant = await fakeQdrant();
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    expect(await store.query({ vector: [1, 0, 0, 0], topK: 5, minScore: 0.99 })).toEqual([]);
  });

  it("deletes a document by filter, inside its tenant", async () => {
    const qdrant = await fakeQdrant();
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    await store.deleteDocument("manual", { tenant: "acme" });
    await store.deleteDocument("manual");
    const deletes = qdrant.requests.filter((request) => request.path === "/collections/help/points/delete");
    expect(deletes.every((request) => request.search.includes("wait=true"))).toBe(true);
    expect(deletes.map((request) => request.body)).toEqual([
      {
        filter: {
          must: [
            { key: "tenant", match: { value: "acme" } },
            { key: "documentId", match: { value: "manual" } },
          ],
        },
      },
      {
        filter: {
          must: [
            { key: "tenant", match: { value: "" } },
            { key: "documentId", match: { value: "manual" } },
          ],
        },
      },
    ]);
  });

  it("forgets an entity by its owner key, always inside its tenant, and counts what went", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) => (request.path.endsWith("/points/count") ? ok({ count: 3 }) : undefined));
    const store = qdrantStore({ url: qdrant.url, collection: "tickets", dimensions: 4, multiTenant: true });
    await expect(store.forgetEntity?.({ entityKey: "customerId=c1" })).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
    });
    expect(await store.forgetEntity?.({ entityKey: "customerId=c1", tenant: "acme" })).toBe(3);
    const filter = {
      must: [
        { key: "tenant", match: { value: "acme" } },
        { key: "entityKey", match: { value: "customerId=c1" } },
      ],
    };
    const sent = qdrant.requests.filter((request) => request.method === "POST");
    expect(sent.map((request) => request.path)).toEqual([
      "/collections/tickets/points/count",
      "/collections/tickets/points/delete",
    ]);
    expect(sent[0]?.body).toEqual({ filter, exact: true });
    expect(sent[1]?.body).toEqual({ filter });
    expect(sent[1]?.search).toContain("wait=true");
  });

  it("a single-tenant store's forget is scoped to the tenant-less records, never to all tenants", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) => (request.path.endsWith("/points/count") ? ok({ count: 0 }) : undefined));
    const store = qdrantStore({ url: qdrant.url, collection: "tickets", dimensions: 4 });
    expect(await store.forgetEntity?.({ entityKey: "userId=u1" })).toBe(0);
    const deleted = qdrant.requests.find((request) => request.path.endsWith("/points/delete"));
    const body = deleted?.body as { filter: { must: unknown[] } } | undefined;
    expect(body?.filter.must[0]).toEqual({
      key: "tenant",
      match: { value: "" },
    });
  });

  it("a 5xx rejects with CTX_STORE_UNAVAILABLE carrying Qdrant's message, never []", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) =>
      request.path.endsWith("/points/query")
        ? { status: 503, body: { status: { error: "Service unavailable: shard is recovering" }, time: 0 } }
        : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    const error = await store.query({ vector: [1, 0, 0, 0], topK: 5 }).catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toMatch(/503/);
    expect((error as { details: unknown }).details).toMatchObject({ status: 503, operation: "query" });
  });

  it("retries an upsert batch after a 5xx (same ids, so nothing duplicates) but not after a 4xx", async () => {
    const qdrant = await fakeQdrant();
    let failures = 2;
    qdrant.route((request) =>
      request.method === "PUT" && request.path.endsWith("/points") && failures-- > 0
        ? {
            status: 503,
            body: { status: { error: "Service unavailable: too many requests in flight" }, time: 0 },
          }
        : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    await store.upsert([record("a", 0)]);
    const upserts = qdrant.requests.filter((request) => request.path.endsWith("/points"));
    expect(upserts).toHaveLength(3);
    expect(new Set(upserts.map((request) => JSON.stringify(request.body))).size).toBe(1);

    qdrant.route((request) =>
      request.method === "POST" && request.path.endsWith("/points/delete")
        ? { status: 400, body: { status: { error: "Bad request: wrong filter" }, time: 0 } }
        : undefined,
    );
    const before = qdrant.requests.length;
    await expect(store.deleteDocument("a")).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
    expect(qdrant.requests.length - before).toBe(1);
  });

  it("gives up on writes after writeRetries and reports the last failure", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) =>
      request.path.endsWith("/points")
        ? { status: 500, body: { status: { error: "disk full" }, time: 0 } }
        : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4, writeRetries: 1 });
    const error = await store.upsert([record("a", 0)]).catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("disk full");
    expect(qdrant.requests.filter((request) => request.path.endsWith("/points"))).toHaveLength(2);
  });

  it("never retries a query: a failure is reported at once", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) =>
      request.path.endsWith("/points/query")
        ? { status: 502, body: { status: { error: "bad gateway" }, time: 0 } }
        : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    await expect(store.query({ vector: [1, 0, 0, 0], topK: 1 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
    expect(qdrant.requests.filter((request) => request.path.endsWith("/points/query"))).toHaveLength(1);
  });

  it("a slow Qdrant rejects with CTX_TIMEOUT after timeoutMs", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) =>
      request.path.endsWith("/points/query") ? { ...ok({ points: [] }), delayMs: 2_000 } : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4, timeoutMs: 150 });
    const started = performance.now();
    const error = await store.query({ vector: [1, 0, 0, 0], topK: 5 }).catch((reason: unknown) => reason);
    const elapsed = performance.now() - started;
    expect(isCtxError(error, "CTX_TIMEOUT")).toBe(true);
    expect(elapsed).toBeLessThan(1_500);
  });

  it("the caller's abort signal rejects the call at once", async () => {
    const qdrant = await fakeQdrant();
    qdrant.route((request) =>
      request.path.endsWith("/points/query") ? { ...ok({ points: [] }), delayMs: 2_000 } : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("request deadline")), 50);
    await expect(
      store.query({ vector: [1, 0, 0, 0], topK: 5 }, { signal: controller.signal }),
    ).rejects.toThrow("request deadline");
  });

  it("an unreachable server rejects with CTX_STORE_UNAVAILABLE", async () => {
    const qdrant = await fakeQdrant();
    const url = qdrant.url;
    await qdrant.close();
    servers.length = 0;
    const store = qdrantStore({ url, collection: "help", dimensions: 4, timeoutMs: 2_000 });
    await expect(store.query({ vector: [1, 0, 0, 0], topK: 5 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
  });

  it("retries the collection check after a failure instead of caching it", async () => {
    const qdrant = await fakeQdrant();
    let failures = 1;
    qdrant.route((request) =>
      request.path.endsWith("/exists") && failures-- > 0
        ? { status: 500, body: { status: { error: "boom" }, time: 0 } }
        : undefined,
    );
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4 });
    await expect(store.query({ vector: [1, 0, 0, 0], topK: 1 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
    expect(await store.query({ vector: [1, 0, 0, 0], topK: 1 })).toEqual([]);
  });

  it("validates before sending anything: tenant, dimension, ids", async () => {
    const qdrant = await fakeQdrant();
    const store = qdrantStore({ url: qdrant.url, collection: "help", dimensions: 4, multiTenant: true });
    await expect(store.query({ vector: [1, 0, 0, 0], topK: 1 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_TENANT_REQUIRED"),
    );
    await expect(store.deleteDocument("doc")).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_TENANT_REQUIRED"),
    );
    await expect(store.upsert([record("doc", 0)])).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_TENANT_REQUIRED"),
    );
    const mismatch = await store
      .upsert([record("ok", 0, { tenant: "acme" }), record("bad", 0, { tenant: "acme", vector: [1, 2, 3] })])
      .catch((reason: unknown) => reason);
    expect(isCtxError(mismatch, "CTX_DIMENSION_MISMATCH")).toBe(true);
    expect((mismatch as { details: unknown }).details).toMatchObject({ expected: 4, actual: 3 });
    await expect(store.query({ vector: [1, 0, 0], topK: 1, tenant: "acme" })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_DIMENSION_MISMATCH"),
    );
    await expect(
      store.upsert([record("nan", 0, { tenant: "acme", vector: [1, Number.NaN, 0, 0] })]),
    ).rejects.toSatisfy((error) => isCtxError(error, "CTX_INVALID_VALUE"));
    for (const bad of [
      { vector: [1, 0, 0, 0], topK: 0, tenant: "acme" },
      { vector: [1, 0, 0, 0], topK: 1, minScore: Number.NaN, tenant: "acme" },
      { topK: 1, tenant: "acme" },
    ]) {
      await expect(store.query(bad as VectorQuery)).rejects.toSatisfy((error) =>
        isCtxError(error, "CTX_INVALID_REQUEST"),
      );
    }
    expect(qdrant.requests).toEqual([]);
  });

  it("uses a client you pass in", async () => {
    const qdrant = await fakeQdrant();
    const client = new QdrantClient({
      url: qdrant.url,
      checkCompatibility: false,
      headers: { "x-team": "search" },
    });
    const store = qdrantStore({ client, collection: "help", dimensions: 4 });
    expect(store.client).toBe(client);
    await store.query({ vector: [1, 0, 0, 0], topK: 1 });
    expect(qdrant.requests.map((request) => request.path)).toContain("/collections/help/points/query");
  });

  it("rejects bad options with CTX_CONFIG", () => {
    for (const options of [
      { collection: "help", dimensions: 4 },
      { url: "http://127.0.0.1:1", collection: "bad name!", dimensions: 4 },
      { url: "http://127.0.0.1:1", collection: "help" },
      { url: "http://127.0.0.1:1", collection: "help", dimensions: 4, batchSize: 0 },
    ]) {
      expect(() => qdrantStore(options)).toThrow(expect.objectContaining({ code: "CTX_CONFIG" }));
    }
  });
});
