// Field checks every VectorStore makes on the records it is handed, so the embedded store and Qdrant
// reject the same bad input with the same typed errors (the contract suite tests them). The vector's
// size and finiteness are checked by each store, which knows its dimensions.
import { CtxError } from "../errors.js";
import type { VectorRecord } from "./types.js";

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
