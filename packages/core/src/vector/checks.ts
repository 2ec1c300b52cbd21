// Checks every VectorStore makes on the records and queries it is handed, so the embedded store and
// Qdrant reject the same bad input with the same typed errors (the contract suite tests them).
import { CtxError } from "../errors.js";
import type { VectorQuery, VectorRecord } from "./types.js";

/** On a multi-tenant store every read and write names a tenant: CTX_TENANT_REQUIRED otherwise. */
export function checkTenant(
  storeName: string,
  multiTenant: boolean,
  tenant: string | undefined,
  operation: string,
): void {
  if (multiTenant && (typeof tenant !== "string" || tenant.length === 0)) {
    throw new CtxError(
      "CTX_TENANT_REQUIRED",
      `${storeName}: ${operation} without a tenant on a multi-tenant store; pass \`tenant\` (every read and write is scoped to one tenant).`,
      { store: storeName, operation },
    );
  }
}

/**
 * A query: an object with a tenant (on a multi-tenant store), a positive integer `topK`, a finite
 * `minScore` when given and a `vector` object, whose size and values checkVector then checks.
 */
export function checkVectorQuery(query: VectorQuery, storeName: string, multiTenant: boolean): void {
  if (query === null || typeof query !== "object")
    throw new CtxError("CTX_INVALID_REQUEST", `${storeName}: query must be an object.`);
  checkTenant(storeName, multiTenant, query.tenant, "query");
  if (!Number.isInteger(query.topK) || query.topK < 1) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${storeName}: \`topK\` must be a positive integer; got ${String(query.topK)}.`,
      { topK: query.topK },
    );
  }
  if (query.minScore !== undefined && !Number.isFinite(query.minScore)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${storeName}: \`minScore\` must be a finite number (cosine, -1..1).`,
      { minScore: query.minScore },
    );
  }
  if (query.vector === null || typeof query.vector !== "object") {
    throw new CtxError("CTX_INVALID_REQUEST", `${storeName}: query needs a \`vector\`.`);
  }
}

/** Checks a record's ids, text, payload fields and that `vector` is array-like; `storeName` prefixes messages. */
export function checkVectorRecord(record: VectorRecord, storeName: string): void {
  const where = `${storeName}: record ${JSON.stringify(record?.id)}`;
  if (record === null || typeof record !== "object") {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `${storeName}: every record must be an object; got ${String(record)}.`,
    );
  }
  if (typeof record.id !== "string" || record.id.length === 0) {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `${storeName}: every record needs a non-empty string \`id\` (derive it with chunkId(documentId, chunkIndex)).`,
    );
  }
  if (typeof record.documentId !== "string" || record.documentId.length === 0) {
    throw new CtxError("CTX_INVALID_VALUE", `${where} needs a non-empty string \`documentId\`.`, {
      id: record.id,
    });
  }
  if (!Number.isInteger(record.chunkIndex) || record.chunkIndex < 0) {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `${where}: \`chunkIndex\` must be a non-negative integer; got ${String(record.chunkIndex)}.`,
      { id: record.id },
    );
  }
  if (typeof record.text !== "string") {
    throw new CtxError("CTX_INVALID_VALUE", `${where}: \`text\` must be a string.`, { id: record.id });
  }
  for (const field of ["tenant", "source", "entityKey", "title", "url"] as const) {
    const value = record[field];
    if (value !== undefined && typeof value !== "string") {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `${where}: \`${field}\` must be a string when given; got ${typeof value}.`,
        { id: record.id, field },
      );
    }
  }
  if (record.eventTime !== undefined && !Number.isFinite(record.eventTime)) {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `${where}: \`eventTime\` must be epoch milliseconds when given.`,
      { id: record.id },
    );
  }
  for (const [field, value] of Object.entries(record.metadata ?? {})) {
    if (!["string", "number", "boolean"].includes(typeof value)) {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `${where}: metadata.${field} must be a string, number or boolean; got ${typeof value}.`,
        {
          id: record.id,
          field,
        },
      );
    }
  }
  const vector = record.vector;
  if (vector === null || typeof vector !== "object" || typeof vector.length !== "number") {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `${where}: \`vector\` must be an array of numbers or a Float32Array.`,
      { id: record.id },
    );
  }
}

/** Throws `CTX_DIMENSION_MISMATCH` (naming expected and actual) or `CTX_INVALID_VALUE` (non-finite). */
export function checkVector(
  vector: ArrayLike<number>,
  dimensions: number,
  where: string,
  details: Record<string, unknown> = {},
): void {
  if (vector.length !== dimensions) {
    throw new CtxError(
      "CTX_DIMENSION_MISMATCH",
      `${where}: vector has ${vector.length} dimensions, expected ${dimensions}. Use the same embedder for indexing and querying, or create the store with { dimensions: ${vector.length} } (and re-index).`,
      { ...details, expected: dimensions, actual: vector.length },
    );
  }
  for (let index = 0; index < vector.length; index++) {
    if (!Number.isFinite(vector[index])) {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `${where}: vector[${index}] is ${String(vector[index])}; every component must be a finite number.`,
        {
          ...details,
          index,
        },
      );
    }
  }
}
