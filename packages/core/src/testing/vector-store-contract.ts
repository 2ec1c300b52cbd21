// The VectorStore contract suite. Every implementation (memoryVectorStore, @ctxstore/qdrant,
// third-party stores) calls `testVectorStore` from its own test file; a store is done when it passes.
// It uses only the public VectorStore interface, so it states what any store must do: best hits
// first with cosine scores, idempotent ids, whole-document deletes, filters, tenant isolation, typed
// errors for bad input, and never a silent partial write.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCtxError } from "../errors.js";
import type { VectorQuery, VectorRecord, VectorStore } from "../vector/types.js";

/** What `testVectorStore` asks `create` for: a store of this dimension, tenant-scoped or not. */
export interface VectorStoreSettings {
  readonly dimensions: number;
  /** When true the store must require a tenant on every record, query and delete. */
  readonly multiTenant: boolean;
}

/** What `additionalTests` receives from `testVectorStore`: the current test's store and its dimension. */
export interface VectorStoreContractContext {
  /** The single-tenant store created for the current test. */
  readonly store: VectorStore;
  readonly dimensions: number;
}

/**
 * Options of `testVectorStore`: how to create (and tear down) an isolated store per test, the vector
 * size, property runs, whether search is approximate, and the implementation's own extra tests.
 */
export interface VectorStoreContractOptions {
  /** Suite title, e.g. "memoryVectorStore" or "qdrantStore". */
  name: string;
  /** A fresh, empty store no other test can see (e.g. a unique collection per call). */
  create: (settings: VectorStoreSettings) => VectorStore | Promise<VectorStore>;
  /** Tears a store down after each test. Default: `store.close?.()`. */
  destroy?: (store: VectorStore) => void | Promise<void>;
  /** Vector size used by the suite. Default 16. */
  dimensions?: number;
  /** fast-check runs per property. Default 25. */
  propertyRuns?: number;
  /**
   * Stores whose search is approximate: the ranking property then only requires the true best hit
   * to come first. Default false (exact top-k).
   */
  approximate?: boolean;
  /** Registers implementation-specific tests inside the suite, sharing its store lifecycle. */
  additionalTests?: (context: VectorStoreContractContext) => void;
}

/** Registers a vitest `describe` block checking `create()`'s stores against the VectorStore contract. */
export function testVectorStore(options: VectorStoreContractOptions): void {
  const dimensions = options.dimensions ?? 16;
  const propertyRuns = options.propertyRuns ?? 25;

  describe(`VectorStore contract: ${options.name}`, () => {
    const opened: VectorStore[] = [];
    let current: VectorStore | undefined;
    const open = async (multiTenant: boolean): Promise<VectorStore> => {
      const store = await options.create({ dimensions, multiTenant });
      opened.push(store);
      return store;
    };
    const context: VectorStoreContractContext = {
      get store(): VectorStore {
        if (current === undefined)
          throw new Error("the contract suite's store is only available inside a test");
        return current;
      },
      dimensions,
    };

    beforeEach(async () => {
      current = await open(false);
    });

    afterEach(async () => {
      current = undefined;
      for (const store of opened.splice(0)) {
        if (options.destroy) await options.destroy(store);
        else await store.close?.();
      }
    });

    // Unit basis vectors and mixes of them make expected cosine scores easy to state exactly.
    const axis = (index: number, weight = 1): number[] => {
      const vector = new Array<number>(dimensions).fill(0);
      vector[index % dimensions] = weight;
      return vector;
    };
    const mix = (a: number, b: number, share: number): number[] => {
      const vector = new Array<number>(dimensions).fill(0);
      vector[a] = share;
      vector[b] = Math.sqrt(1 - share * share);
      return vector;
    };
    const record = (
      documentId: string,
      chunkIndex: number,
      vector: readonly number[] | Float32Array,
      extra: Partial<VectorRecord> = {},
    ): VectorRecord => ({
      id: `${documentId}#${chunkIndex}`,
      documentId,
      chunkIndex,
      vector,
      text: `Chunk ${chunkIndex} of ${documentId}.`,
      ...extra,
    });
    const query = (vector: readonly number[], extra: Partial<VectorQuery> = {}): VectorQuery => ({
      vector,
      topK: 10,
      ...extra,
    });
    const ids = (hits: ReadonlyArray<{ id: string }>) => hits.map((hit) => hit.id);

    it("has a short name for traces and errors", () => {
      expect(typeof context.store.name).toBe("string");
      expect(context.store.name.length).toBeGreaterThan(0);
    });

    it("returns [] from an empty store (no error)", async () => {
      expect(await context.store.query(query(axis(0)))).toEqual([]);
    });

    describe("ranking", () => {
      it("returns the best hits first with cosine scores", async () => {
        const { store } = context;
        await store.upsert([
          record("a", 0, axis(0)),
          record("b", 0, mix(0, 1, 0.8)),
          record("c", 0, axis(1)),
          record("d", 0, axis(2, -1)),
        ]);
        const hits = await store.query(query(axis(0, 3)));
        expect(ids(hits).slice(0, 3)).toEqual(["a#0", "b#0", "c#0"]);
        expect(hits[0]?.score).toBeCloseTo(1, 4);
        expect(hits[1]?.score).toBeCloseTo(0.8, 4);
        expect(hits[2]?.score).toBeCloseTo(0, 4);
        for (let index = 1; index < hits.length; index++)
          expect(hits[index - 1]?.score).toBeGreaterThanOrEqual(hits[index]?.score as number);
      });

      it("scores by direction, not length (vectors need not be normalised)", async () => {
        const { store } = context;
        await store.upsert([record("long", 0, axis(3, 250)), record("short", 0, mix(3, 4, 0.6))]);
        const hits = await store.query(query(axis(3, 0.01)));
        expect(ids(hits)).toEqual(["long#0", "short#0"]);
        expect(hits[0]?.score).toBeCloseTo(1, 4);
        expect(hits[1]?.score).toBeCloseTo(0.6, 4);
      });

      it("honours topK", async () => {
        const { store } = context;
        await store.upsert(
          Array.from({ length: 8 }, (_, index) => record(`doc${index}`, 0, mix(0, 1, 1 - index / 10))),
        );
        const hits = await store.query(query(axis(0), { topK: 3 }));
        expect(ids(hits)).toEqual(["doc0#0", "doc1#0", "doc2#0"]);
      });

      it("drops hits below minScore, and returns [] when nothing clears it", async () => {
        const { store } = context;
        await store.upsert([record("near", 0, mix(0, 1, 0.9)), record("far", 0, mix(0, 1, 0.3))]);
        expect(ids(await store.query(query(axis(0), { minScore: 0.5 })))).toEqual(["near#0"]);
        expect(await store.query(query(axis(0), { minScore: 0.95 }))).toEqual([]);
      });

      it("accepts Float32Array vectors for records and queries", async () => {
        const { store } = context;
        await store.upsert([record("typed", 0, Float32Array.from(axis(5)))]);
        const hits = await store.query({ vector: Float32Array.from(axis(5)), topK: 1 });
        expect(ids(hits)).toEqual(["typed#0"]);
      });

      it("agrees with a brute-force cosine ranking on random vectors", async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.array(fc.integer({ min: -100, max: 100 }), { minLength: dimensions, maxLength: dimensions }),
              { minLength: 1, maxLength: 30 },
            ),
            fc.array(fc.integer({ min: -100, max: 100 }), { minLength: dimensions, maxLength: dimensions }),
            fc.integer({ min: 1, max: 8 }),
            async (vectors, queryVector, topK) => {
              fc.pre(queryVector.some((value) => value !== 0));
              const usable = vectors.filter((vector) => vector.some((value) => value !== 0));
              fc.pre(usable.length > 0);
              const documentPrefix = `random${++run}`;
              const source = `run${run}`;
              await context.store.upsert(
                usable.map((vector, index) => record(`${documentPrefix}-${index}`, 0, vector, { source })),
              );
              const hits = await context.store.query({ vector: queryVector, topK, source });
              const expected = usable
                .map((vector, index) => ({
                  id: `${documentPrefix}-${index}#0`,
                  score: cosine(vector, queryVector),
                }))
                .sort((a, b) => b.score - a.score);
              expect(hits.length).toBe(Math.min(topK, usable.length));
              hits.forEach((hit, rank) => {
                // Every score is the hit's true cosine; near-ties may come in either order.
                expect(hit.score).toBeCloseTo(
                  expected.find((entry) => entry.id === hit.id)?.score as number,
                  3,
                );
                // Exact stores return the true top-k; approximate ones at least the true best first.
                if (!options.approximate || rank === 0)
                  expect(hit.score).toBeCloseTo(expected[rank]?.score as number, 3);
              });
            },
          ),
          { numRuns: propertyRuns },
        );
      });
    });

    describe("records", () => {
      it("returns the stored payload with each hit", async () => {
        const { store } = context;
        await store.upsert([
          record("guide", 2, axis(0), {
            text: "Returns are free within 30 days.",
            title: "Returns policy",
            url: "https://example.com/returns",
            tokens: { o200k_base: 8, cl100k_base: 9 },
            eventTime: 1_700_000_000_000,
            metadata: { lang: "en", version: 3, public: true },
          }),
        ]);
        const [hit] = await store.query(query(axis(0)));
        expect(hit).toMatchObject({
          id: "guide#2",
          documentId: "guide",
          chunkIndex: 2,
          text: "Returns are free within 30 days.",
          title: "Returns policy",
          url: "https://example.com/returns",
          tokens: { o200k_base: 8, cl100k_base: 9 },
          eventTime: 1_700_000_000_000,
          metadata: { lang: "en", version: 3, public: true },
        });
      });

      it("upserting the same id again replaces the record (idempotent re-indexing)", async () => {
        const { store } = context;
        await store.upsert([record("doc", 0, axis(0), { text: "old" })]);
        await store.upsert([record("doc", 0, axis(0), { text: "new" })]);
        await store.upsert([record("doc", 0, axis(0), { text: "new" })]);
        const hits = await store.query(query(axis(0)));
        expect(hits.map((hit) => hit.text)).toEqual(["new"]);
      });

      it("deleteDocument removes every chunk of that document and nothing else", async () => {
        const { store } = context;
        await store.upsert([
          record("gone", 0, axis(0)),
          record("gone", 1, axis(0)),
          record("gone", 2, mix(0, 1, 0.5)),
          record("kept", 0, axis(0)),
        ]);
        await store.deleteDocument("gone");
        expect(ids(await store.query(query(axis(0))))).toEqual(["kept#0"]);
        await store.deleteDocument("never-indexed");
        expect(ids(await store.query(query(axis(0))))).toEqual(["kept#0"]);
      });

      it("re-indexing a shorter version of a document leaves none of its old chunks", async () => {
        const { store } = context;
        await store.upsert(
          [0, 1, 2, 3].map((index) => record("manual", index, axis(0), { text: `v1 part ${index}` })),
        );
        await store.deleteDocument("manual");
        await store.upsert(
          [0, 1].map((index) => record("manual", index, axis(0), { text: `v2 part ${index}` })),
        );
        const hits = await store.query(query(axis(0)));
        expect(hits.map((hit) => hit.text).sort()).toEqual(["v2 part 0", "v2 part 1"]);
      });

      it("concurrent upserts and deletes of different documents all take effect", async () => {
        const { store } = context;
        await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            store.upsert([
              record(`parallel${index}`, 0, mix(0, 1 + (index % (dimensions - 1)), 0.9)),
              record(`parallel${index}`, 1, axis(0)),
            ]),
          ),
        );
        await Promise.all(
          Array.from({ length: 10 }, (_, index) => store.deleteDocument(`parallel${index * 2}`)),
        );
        const hits = await store.query(query(axis(0), { topK: 100 }));
        expect(new Set(hits.map((hit) => hit.documentId))).toEqual(
          new Set(Array.from({ length: 10 }, (_, index) => `parallel${index * 2 + 1}`)),
        );
        expect(hits).toHaveLength(20);
      });

      it("accepts a batch of 1,000 records", async () => {
        const { store } = context;
        await store.upsert(
          Array.from({ length: 1_000 }, (_, index) =>
            record(`bulk${index}`, 0, mix(0, 1 + (index % (dimensions - 1)), 0.5 + (index % 7) / 20)),
          ),
        );
        const hits = await store.query(query(axis(0), { topK: 1_000 }));
        expect(hits.length).toBe(1_000);
      });
    });

    describe("filters", () => {
      it("filters by source, entity key and metadata equality", async () => {
        const { store } = context;
        await store.upsert([
          record("faq", 0, axis(0), {
            source: "help_center",
            metadata: { lang: "en", public: true, version: 2 },
          }),
          record("faq-de", 0, axis(0), {
            source: "help_center",
            metadata: { lang: "de", public: true, version: 2 },
          }),
          record("ticket", 0, axis(0), {
            source: "tickets",
            entityKey: "user:u1",
            metadata: { lang: "en", public: false, version: 1 },
          }),
          record("ticket2", 0, axis(0), {
            source: "tickets",
            entityKey: "user:u2",
            metadata: { lang: "en", public: false, version: 1 },
          }),
        ]);
        expect(ids(await store.query(query(axis(0), { source: "help_center" }))).sort()).toEqual([
          "faq#0",
          "faq-de#0",
        ]);
        expect(ids(await store.query(query(axis(0), { entityKey: "user:u1" })))).toEqual(["ticket#0"]);
        expect(ids(await store.query(query(axis(0), { filter: { lang: "en", public: true } })))).toEqual([
          "faq#0",
        ]);
        expect(ids(await store.query(query(axis(0), { filter: { version: 1 } }))).sort()).toEqual([
          "ticket#0",
          "ticket2#0",
        ]);
        expect(await store.query(query(axis(0), { source: "unknown_source" }))).toEqual([]);
        expect(await store.query(query(axis(0), { filter: { lang: "fr" } }))).toEqual([]);
      });

      it("isolates tenants: queries, same ids and deletes stay inside one tenant", async () => {
        const { store } = context;
        await store.upsert([
          record("shared-id", 0, axis(0), { tenant: "acme", text: "acme text" }),
          record("shared-id", 0, axis(0), { tenant: "globex", text: "globex text" }),
        ]);
        expect((await store.query(query(axis(0), { tenant: "acme" }))).map((hit) => hit.text)).toEqual([
          "acme text",
        ]);
        expect((await store.query(query(axis(0), { tenant: "globex" }))).map((hit) => hit.text)).toEqual([
          "globex text",
        ]);
        expect(await store.query(query(axis(0), { tenant: "initech" }))).toEqual([]);
        await store.deleteDocument("shared-id", { tenant: "acme" });
        expect(await store.query(query(axis(0), { tenant: "acme" }))).toEqual([]);
        expect((await store.query(query(axis(0), { tenant: "globex" }))).map((hit) => hit.text)).toEqual([
          "globex text",
        ]);
      });

      it("a query or delete without a tenant sees only tenant-less records", async () => {
        const { store } = context;
        await store.upsert([
          record("doc", 0, axis(0), { text: "no tenant" }),
          record("doc", 0, axis(0), { tenant: "acme", text: "acme" }),
        ]);
        expect((await store.query(query(axis(0)))).map((hit) => hit.text)).toEqual(["no tenant"]);
        await store.deleteDocument("doc");
        expect(await store.query(query(axis(0)))).toEqual([]);
        expect((await store.query(query(axis(0), { tenant: "acme" }))).map((hit) => hit.text)).toEqual([
          "acme",
        ]);
      });
    });

    describe("multi-tenant stores", () => {
      it("require a tenant on queries, records and deletes (CTX_TENANT_REQUIRED)", async () => {
        const store = await open(true);
        await store.upsert([record("doc", 0, axis(0), { tenant: "acme" })]);
        await expectCode(store.query(query(axis(0))), "CTX_TENANT_REQUIRED");
        await expectCode(store.upsert([record("doc", 1, axis(0))]), "CTX_TENANT_REQUIRED");
        await expectCode(store.deleteDocument("doc"), "CTX_TENANT_REQUIRED");
        expect(ids(await store.query(query(axis(0), { tenant: "acme" })))).toEqual(["doc#0"]);
      });
    });

    describe("bad input", () => {
      it("rejects a record of the wrong dimension naming expected and actual, writing nothing of the batch", async () => {
        const { store } = context;
        const error = await expectCode(
          store.upsert([record("good", 0, axis(0)), record("bad", 0, [1, 2, 3])]),
          "CTX_DIMENSION_MISMATCH",
        );
        expect(error.details).toMatchObject({ expected: dimensions, actual: 3 });
        expect(error.message).toContain(String(dimensions));
        expect(await store.query(query(axis(0)))).toEqual([]);
      });

      it("rejects a query of the wrong dimension", async () => {
        const { store } = context;
        await store.upsert([record("doc", 0, axis(0))]);
        const error = await expectCode(
          store.query({ vector: new Array(dimensions + 1).fill(0.5), topK: 3 }),
          "CTX_DIMENSION_MISMATCH",
        );
        expect(error.details).toMatchObject({ expected: dimensions, actual: dimensions + 1 });
      });

      it("rejects a query with a bad topK or minScore, or without a vector (CTX_INVALID_REQUEST)", async () => {
        const { store } = context;
        await store.upsert([record("doc", 0, axis(0))]);
        for (const bad of [
          { vector: axis(0), topK: 0 },
          { vector: axis(0), topK: 1.5 },
          { vector: axis(0), topK: 3, minScore: Number.NaN },
          { topK: 3 },
        ]) {
          await expectCode(store.query(bad as VectorQuery), "CTX_INVALID_REQUEST");
        }
      });

      it("rejects non-finite vector components", async () => {
        const vector = axis(0);
        vector[1] = Number.NaN;
        await expectCode(context.store.upsert([record("nan", 0, vector)]), "CTX_INVALID_VALUE");
      });

      it("rejects metadata values that cannot be filtered on (objects, arrays)", async () => {
        const bad = record("meta", 0, axis(0), {
          metadata: { nested: { deep: true } } as unknown as Record<string, string>,
        });
        await expectCode(context.store.upsert([bad]), "CTX_INVALID_VALUE");
        expect(await context.store.query(query(axis(0)))).toEqual([]);
      });

      it("rejects an already aborted call instead of answering", async () => {
        const controller = new AbortController();
        controller.abort(new Error("caller gave up"));
        await expect(context.store.query(query(axis(0)), { signal: controller.signal })).rejects.toThrow();
      });
    });

    describe("forgetEntity (right to erasure)", () => {
      it("property: removes every chunk owned by the entity in one tenant, and nothing else", async () => {
        const probe = await open(true);
        if (!probe.forgetEntity) return;
        const tenants = ["acme", "globex"];
        const owners = ["userId=u1", "userId=u2", undefined];
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                tenant: fc.constantFrom(...tenants),
                owner: fc.constantFrom(...owners),
                axis: fc.integer({ min: 0, max: dimensions - 1 }),
              }),
              { minLength: 1, maxLength: 20 },
            ),
            fc.constantFrom(...tenants),
            async (chunks, forgetTenant) => {
              const store = await open(true);
              const forget = store.forgetEntity as NonNullable<VectorStore["forgetEntity"]>;
              // One document per (tenant, owner): a document belongs to one entity.
              const records = chunks.map((chunk, index) =>
                record(`doc-${chunk.owner ?? "shared"}`, index, axis(chunk.axis), {
                  tenant: chunk.tenant,
                  ...(chunk.owner === undefined ? {} : { entityKey: chunk.owner }),
                }),
              );
              for (const tenant of tenants) {
                const own = records.filter((item) => item.tenant === tenant);
                if (own.length > 0) await store.upsert(own);
              }
              const removed = await forget.call(store, { entityKey: "userId=u1", tenant: forgetTenant });
              expect(removed).toBe(
                records.filter((item) => item.tenant === forgetTenant && item.entityKey === "userId=u1")
                  .length,
              );
              for (const tenant of tenants) {
                const hits = await store.query(query(axis(0), { tenant, topK: 1_000, minScore: -1 }));
                const expected = records.filter(
                  (item) =>
                    item.tenant === tenant && !(tenant === forgetTenant && item.entityKey === "userId=u1"),
                );
                expect(new Set(ids(hits))).toEqual(new Set(expected.map((item) => item.id)));
              }
            },
          ),
          { numRuns: Math.max(5, Math.round(propertyRuns / 2)) },
        );
      });

      it("needs a tenant on a multi-tenant store", async () => {
        const store = await open(true);
        if (!store.forgetEntity) return;
        await expect(store.forgetEntity({ entityKey: "userId=u1" })).rejects.toMatchObject({
          code: "CTX_TENANT_REQUIRED",
        });
      });
    });

    options.additionalTests?.(context);
  });
}

async function expectCode(promise: Promise<unknown>, code: Parameters<typeof isCtxError>[1]) {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isCtxError(error, code), `expected a CtxError ${code}, got ${String(error)}`).toBe(true);
  return error as { details: Record<string, unknown>; message: string };
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += (a[index] as number) * (b[index] as number);
    normA += (a[index] as number) ** 2;
    normB += (b[index] as number) ** 2;
  }
  return dot / Math.sqrt(normA * normB);
}
