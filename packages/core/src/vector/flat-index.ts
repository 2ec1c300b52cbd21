// The embedded vector store's index: exact cosine search over unit vectors packed into one growing
// Float32Array, with tenant/source/entity filters as small integer codes so a filtered scan never
// touches strings. A brute-force scan is the right default here: exact (recall 1 by construction),
// no build step, and a tight dot-product loop over contiguous memory covers 100k x 384 within the
// `vector.memory` targets (docs/benchmarks.md).
import { CtxError } from "../errors.js";
import type { VectorHit, VectorQuery, VectorRecord } from "./types.js";

/** A record as kept by the index: everything but the vector, which lives in the packed array. */
export type StoredRecord = Omit<VectorRecord, "vector">;

const NO_CODE = 0;

/** Interns strings to small positive integers (0 = absent). */
class Codes {
  private readonly byValue = new Map<string, number>();
  code(value: string | undefined): number {
    if (value === undefined) return NO_CODE;
    let code = this.byValue.get(value);
    if (code === undefined) {
      code = this.byValue.size + 1;
      this.byValue.set(value, code);
    }
    return code;
  }
  /** -1 when the value was never stored: a filter on it matches nothing. */
  lookup(value: string): number {
    return this.byValue.get(value) ?? -1;
  }
}

/** Internal key: ids are unique per tenant, so two tenants never overwrite each other's chunks. */
export function recordKey(tenant: string | undefined, id: string): string {
  return tenant === undefined ? `\u0000${id}` : `${tenant}\u0000${id}`;
}

export class FlatIndex {
  readonly dimensions: number;
  private capacity = 0;
  private count = 0;
  private vectors: Float32Array = new Float32Array(0);
  private tenantCodes: Int32Array = new Int32Array(0);
  private sourceCodes: Int32Array = new Int32Array(0);
  private entityCodes: Int32Array = new Int32Array(0);
  private records: StoredRecord[] = [];
  private keys: string[] = [];
  private readonly slotByKey = new Map<string, number>();
  private readonly keysByDocument = new Map<string, Set<string>>();
  private readonly tenants = new Codes();
  private readonly sources = new Codes();
  private readonly entities = new Codes();

  constructor(dimensions: number) {
    this.dimensions = dimensions;
  }

  get size(): number {
    return this.count;
  }

  /** Throws `CTX_DIMENSION_MISMATCH` / `CTX_INVALID_VALUE` naming the record; call before any `set`. */
  validate(record: VectorRecord, storeName: string): void {
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
    const vector = record.vector;
    if (vector === null || typeof vector !== "object" || typeof vector.length !== "number") {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `${where}: \`vector\` must be an array of numbers or a Float32Array.`,
        { id: record.id },
      );
    }
    checkVector(vector, this.dimensions, where, { id: record.id });
  }

  /** Inserts or replaces by (tenant, id). The vector is stored L2-normalised (cosine = dot product). */
  set(record: VectorRecord): void {
    const key = recordKey(record.tenant, record.id);
    let slot = this.slotByKey.get(key);
    if (slot === undefined) {
      slot = this.count++;
      if (slot >= this.capacity) this.grow(Math.max(1024, this.capacity * 2));
      this.slotByKey.set(key, slot);
      this.keys[slot] = key;
    } else {
      this.unlinkDocument(this.records[slot] as StoredRecord, key);
    }
    const { vector, ...stored } = record;
    writeUnit(vector, this.vectors, slot * this.dimensions, this.dimensions);
    this.records[slot] = stored;
    this.tenantCodes[slot] = this.tenants.code(record.tenant);
    this.sourceCodes[slot] = this.sources.code(record.source);
    this.entityCodes[slot] = this.entities.code(record.entityKey);
    let keys = this.keysByDocument.get(record.documentId);
    if (!keys) {
      keys = new Set();
      this.keysByDocument.set(record.documentId, keys);
    }
    keys.add(key);
  }

  /** Removes every chunk of `documentId` (of one tenant when given). Returns how many were removed. */
  deleteDocument(documentId: string, tenant: string | undefined): number {
    const keys = this.keysByDocument.get(documentId);
    if (!keys) return 0;
    let removed = 0;
    for (const key of [...keys]) {
      const slot = this.slotByKey.get(key);
      if (slot === undefined) continue;
      const record = this.records[slot] as StoredRecord;
      if (tenant !== undefined && record.tenant !== tenant) continue;
      this.removeSlot(slot, key);
      removed++;
    }
    return removed;
  }

  /** Best `topK` hits by cosine similarity; ties broken by id so results are deterministic. */
  search(query: VectorQuery): VectorHit[] {
    const dimensions = this.dimensions;
    const queryVector = new Float32Array(dimensions);
    writeUnit(query.vector, queryVector, 0, dimensions);
    const topK = query.topK;
    const minScore = query.minScore ?? Number.NEGATIVE_INFINITY;
    const tenant = query.tenant === undefined ? undefined : this.tenants.lookup(query.tenant);
    const source = query.source === undefined ? undefined : this.sources.lookup(query.source);
    const entity = query.entityKey === undefined ? undefined : this.entities.lookup(query.entityKey);
    if (tenant === -1 || source === -1 || entity === -1 || topK <= 0) return [];
    const filter =
      query.filter && Object.keys(query.filter).length > 0 ? Object.entries(query.filter) : undefined;

    // Sorted (best first) top-k buffer; `floor` is the score a candidate must beat once it is full.
    const bestScores = new Float64Array(topK);
    const bestSlots = new Int32Array(topK);
    let filled = 0;
    let floor = minScore;
    const vectors = this.vectors;
    const tenantCodes = this.tenantCodes;
    const sourceCodes = this.sourceCodes;
    const entityCodes = this.entityCodes;
    const count = this.count;
    const unrolled = dimensions - (dimensions % 4);
    for (let slot = 0; slot < count; slot++) {
      if (tenant !== undefined && tenantCodes[slot] !== tenant) continue;
      if (source !== undefined && sourceCodes[slot] !== source) continue;
      if (entity !== undefined && entityCodes[slot] !== entity) continue;
      const base = slot * dimensions;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let index = 0;
      for (; index < unrolled; index += 4) {
        s0 += (vectors[base + index] as number) * (queryVector[index] as number);
        s1 += (vectors[base + index + 1] as number) * (queryVector[index + 1] as number);
        s2 += (vectors[base + index + 2] as number) * (queryVector[index + 2] as number);
        s3 += (vectors[base + index + 3] as number) * (queryVector[index + 3] as number);
      }
      for (; index < dimensions; index++)
        s0 += (vectors[base + index] as number) * (queryVector[index] as number);
      const score = s0 + s1 + s2 + s3;
      if (score < floor || (filled === topK && score === floor)) continue;
      if (filter && !matches(this.records[slot] as StoredRecord, filter)) continue;
      let position = filled < topK ? filled++ : topK - 1;
      while (position > 0 && (bestScores[position - 1] as number) < score) {
        bestScores[position] = bestScores[position - 1] as number;
        bestSlots[position] = bestSlots[position - 1] as number;
        position--;
      }
      bestScores[position] = score;
      bestSlots[position] = slot;
      if (filled === topK) floor = Math.max(minScore, bestScores[topK - 1] as number);
    }
    const hits: VectorHit[] = [];
    for (let rank = 0; rank < filled; rank++) {
      const record = this.records[bestSlots[rank] as number] as StoredRecord;
      // Float32 rounding can push a self-match a hair past 1.
      const score = Math.max(-1, Math.min(1, bestScores[rank] as number));
      hits.push(toHit(record, score));
    }
    return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Every stored record with its (normalised) vector, in slot order: used to persist the index. */
  *entries(): IterableIterator<{ record: StoredRecord; vector: Float32Array }> {
    for (let slot = 0; slot < this.count; slot++) {
      yield {
        record: this.records[slot] as StoredRecord,
        vector: this.vectors.subarray(slot * this.dimensions, (slot + 1) * this.dimensions),
      };
    }
  }

  private removeSlot(slot: number, key: string): void {
    const record = this.records[slot] as StoredRecord;
    this.unlinkDocument(record, key);
    this.slotByKey.delete(key);
    // Swap the last slot into the hole so the scanned range stays dense.
    const last = --this.count;
    if (slot !== last) {
      const lastKey = this.keys[last] as string;
      this.vectors.copyWithin(slot * this.dimensions, last * this.dimensions, (last + 1) * this.dimensions);
      this.records[slot] = this.records[last] as StoredRecord;
      this.keys[slot] = lastKey;
      this.tenantCodes[slot] = this.tenantCodes[last] as number;
      this.sourceCodes[slot] = this.sourceCodes[last] as number;
      this.entityCodes[slot] = this.entityCodes[last] as number;
      this.slotByKey.set(lastKey, slot);
    }
    this.records.length = last;
    this.keys.length = last;
  }

  private unlinkDocument(record: StoredRecord, key: string): void {
    const keys = this.keysByDocument.get(record.documentId);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.keysByDocument.delete(record.documentId);
  }

  private grow(capacity: number): void {
    const vectors = new Float32Array(capacity * this.dimensions);
    vectors.set(this.vectors);
    this.vectors = vectors;
    this.tenantCodes = grown(this.tenantCodes, capacity);
    this.sourceCodes = grown(this.sourceCodes, capacity);
    this.entityCodes = grown(this.entityCodes, capacity);
    this.capacity = capacity;
  }
}

function grown(codes: Int32Array, capacity: number): Int32Array {
  const next = new Int32Array(capacity);
  next.set(codes);
  return next;
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

/** Copies `vector` scaled to unit length into `target` at `offset` (a zero vector stays zero). */
function writeUnit(
  vector: ArrayLike<number>,
  target: Float32Array,
  offset: number,
  dimensions: number,
): void {
  let norm = 0;
  for (let index = 0; index < dimensions; index++) {
    const value = vector[index] as number;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < dimensions; index++) target[offset + index] = (vector[index] as number) * scale;
}

function matches(record: StoredRecord, filter: ReadonlyArray<[string, string | number | boolean]>): boolean {
  const metadata = record.metadata;
  if (!metadata) return false;
  for (const [field, value] of filter) if (metadata[field] !== value) return false;
  return true;
}

function toHit(record: StoredRecord, score: number): VectorHit {
  return {
    id: record.id,
    documentId: record.documentId,
    chunkIndex: record.chunkIndex,
    score,
    text: record.text,
    ...(record.tokens !== undefined && { tokens: record.tokens }),
    ...(record.title !== undefined && { title: record.title }),
    ...(record.url !== undefined && { url: record.url }),
    ...(record.eventTime !== undefined && { eventTime: record.eventTime }),
    ...(record.metadata !== undefined && { metadata: record.metadata }),
  };
}
