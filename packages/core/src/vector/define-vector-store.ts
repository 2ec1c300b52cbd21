// `defineVectorStore`: turns a vector store's storage logic into a VectorStore that behaves like every
// other one at its edges: records, queries and deletes are checked before the driver sees them (the
// same typed errors from the embedded store, Qdrant and third-party stores), a closed store rejects,
// an aborted signal rejects before any work, and a synchronous throw becomes a rejection.
import { CtxError } from "../errors.js";
import { carryDriverMembers } from "../stores/driver-members.js";
import { checkTenant, checkVector, checkVectorQuery, checkVectorRecord } from "./checks.js";
import type { VectorHit, VectorQuery, VectorRecord, VectorStore } from "./types.js";

/**
 * A vector store's storage logic. Every method receives checked input: records with ids, text and
 * finite vectors of `dimensions` components, a tenant wherever `multiTenant` requires one, a
 * well-formed query. `upsert` is never called with an empty array, and nothing is called after
 * `close()`.
 */
export interface VectorStoreDriver {
  /** Shown in errors and traces; messages read `<name>: ...`. */
  readonly name: string;
  /** Size of every stored and queried vector. */
  readonly dimensions: number;
  /** Require a tenant on every record, query and delete (`CTX_TENANT_REQUIRED` otherwise). */
  readonly multiTenant: boolean;
  /** Inserts or replaces records by id (already checked: ids, vectors of `dimensions`, tenants). */
  upsert(records: readonly VectorRecord[], options: { signal?: AbortSignal } | undefined): Promise<void>;
  /** The `topK` records most similar to `query.vector` that pass its filters, best first. */
  query(query: VectorQuery, options: { signal?: AbortSignal } | undefined): Promise<VectorHit[]>;
  /** Deletes every chunk of a document (of `tenant`, where required); an unknown document is fine. */
  deleteDocument(
    documentId: string,
    options: { tenant?: string; signal?: AbortSignal } | undefined,
  ): Promise<void>;
  /** See VectorStore.forgetEntity; `entityKey` is non-empty, `tenant` present where required. */
  forgetEntity?(
    request: { readonly entityKey: string; readonly tenant?: string },
    options: { signal?: AbortSignal } | undefined,
  ): Promise<number>;
  /** Called once, by the first `close()`. */
  close?(): Promise<void>;
}

const DRIVER_MEMBERS = new Set<PropertyKey>([
  "upsert",
  "query",
  "deleteDocument",
  "forgetEntity",
  "close",
  "multiTenant",
]);

/** What `defineVectorStore` returns: a VectorStore (with `close`) plus the driver's own members. */
export type DefinedVectorStore<Driver extends VectorStoreDriver> = VectorStore & {
  readonly dimensions: number;
  /** Closes the store: later calls reject with `CTX_STORE_UNAVAILABLE`; the driver's `close` runs once. */
  close(): Promise<void>;
} & Omit<Driver, keyof VectorStoreDriver>;

/** Wraps a driver into a VectorStore; members the driver adds beyond the interface pass through. */
export function defineVectorStore<Driver extends VectorStoreDriver>(
  driver: Driver,
): DefinedVectorStore<Driver> {
  const { name, dimensions, multiTenant } = driver;
  let closed = false;
  let closing: Promise<void> | undefined;

  function guarded<Result>(signal: AbortSignal | undefined, work: () => Promise<Result>): Promise<Result> {
    try {
      signal?.throwIfAborted();
      if (closed)
        throw new CtxError("CTX_STORE_UNAVAILABLE", `${name}: the vector store is closed; create a new one.`);
      return work();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  const wrapped = {
    name,
    dimensions,

    upsert(records: readonly VectorRecord[], options?: { signal?: AbortSignal }): Promise<void> {
      return guarded(options?.signal, () => {
        if (!Array.isArray(records)) {
          throw new CtxError("CTX_INVALID_VALUE", `${name}: upsert takes an array of records.`);
        }
        // Everything is checked before the first write: a bad record writes nothing.
        for (const record of records) {
          checkVectorRecord(record, name);
          checkVector(record.vector, dimensions, `${name}: record ${JSON.stringify(record.id)}`, {
            id: record.id,
          });
          checkTenant(name, multiTenant, record.tenant, `upsert of record ${JSON.stringify(record.id)}`);
        }
        if (records.length === 0) return Promise.resolve();
        return driver.upsert(records, options);
      });
    },

    query(query: VectorQuery, options?: { signal?: AbortSignal }): Promise<VectorHit[]> {
      return guarded(options?.signal, () => {
        checkVectorQuery(query, name, multiTenant);
        checkVector(query.vector, dimensions, `${name}: query`);
        return driver.query(query, options);
      });
    },

    deleteDocument(documentId: string, options?: { tenant?: string; signal?: AbortSignal }): Promise<void> {
      return guarded(options?.signal, () => {
        if (typeof documentId !== "string" || documentId.length === 0) {
          throw new CtxError("CTX_INVALID_REQUEST", `${name}: deleteDocument needs a non-empty document id.`);
        }
        checkTenant(name, multiTenant, options?.tenant, `deleteDocument(${JSON.stringify(documentId)})`);
        return driver.deleteDocument(documentId, options);
      });
    },

    close(): Promise<void> {
      closed = true;
      closing ??= (async () => driver.close?.())();
      return closing;
    },
  };

  const forgetEntity = driver.forgetEntity;
  if (forgetEntity) {
    (wrapped as VectorStore).forgetEntity = (request, options) =>
      guarded(options?.signal, () => {
        if (typeof request?.entityKey !== "string" || request.entityKey.length === 0) {
          throw new CtxError("CTX_INVALID_REQUEST", `${name}: forgetEntity needs a non-empty entityKey.`);
        }
        checkTenant(name, multiTenant, request.tenant, "forgetEntity");
        return forgetEntity.call(driver, request, options);
      });
  }
  carryDriverMembers(wrapped, driver, DRIVER_MEMBERS);
  return wrapped as unknown as DefinedVectorStore<Driver>;
}
