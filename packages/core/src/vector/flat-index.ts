// The embedded vector store's index: exact cosine search over unit vectors packed into contiguous
// memory, with tenant/source/entity filters as small integer codes so a filtered scan never touches
// strings. Exact search is the right default here: recall 1 by construction and no index to build.
// A WebAssembly SIMD kernel scans the rows (matrix.ts); past 20,000 chunks, where a float32 scan is
// bound by memory bandwidth, an int8 pass with a proven error bound prunes the rows that cannot
// reach the top k, so 100k x 384 stays within the `vector.memory` targets (docs/benchmarks.md).
import { createMatrix, type Matrix } from "./matrix.js";
import type { VectorHit, VectorQuery, VectorRecord } from "./types.js";

export interface FlatIndexOptions {
  kernel?: "wasm-simd" | "js";
  /** Up to this many chunks every query scans all float32 rows; above it, int8 bounds prune first. */
  exactUpTo?: number;
}

const DEFAULT_EXACT_UP_TO = 20_000;
// Re-scoring in JS costs about a microsecond per row: past this many (or an eighth of the store),
// the SIMD exact scan is cheaper.
const MAX_RESCORED_ROWS = 4_096;

/** A record as kept by the index: everything but the vector, which lives in the packed array. */
export type StoredRecord = Omit<VectorRecord, "vector">;

const NO_CODE = 0;

/** Interns strings to small positive integers (0 = absent). */
class Codes {
  private readonly byValue = new Map<string, number>();
  code(value: string | undefined): number {
    if (value === undefined || value === "") return NO_CODE;
    let code = this.byValue.get(value);
    if (code === undefined) {
      code = this.byValue.size + 1;
      this.byValue.set(value, code);
    }
    return code;
  }
  /** -1 when the value was never stored: a filter on it matches nothing. */
  lookup(value: string | undefined): number {
    if (value === undefined || value === "") return NO_CODE;
    return this.byValue.get(value) ?? -1;
  }
}

/**
 * Internal key: ids are unique per tenant, so two tenants never overwrite each other's chunks. No
 * tenant and "" are the same namespace (the tenant-less one).
 */
export function recordKey(tenant: string | undefined, id: string): string {
  return `${tenant ?? ""}\u0000${id}`;
}

export class FlatIndex {
  readonly dimensions: number;
  private capacity = 0;
  private count = 0;
  private readonly matrix: Matrix;
  private readonly unit: Float32Array;
  private readonly quantizeAbove: number;
  /** Rows re-scored from float32 by the last pruned search (tests and profiling read it). */
  lastRescored = 0;
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

  constructor(dimensions: number, options: FlatIndexOptions = {}) {
    this.dimensions = dimensions;
    this.matrix = createMatrix(dimensions, options.kernel === undefined ? {} : { kernel: options.kernel });
    this.unit = new Float32Array(dimensions);
    this.quantizeAbove = options.exactUpTo ?? DEFAULT_EXACT_UP_TO;
  }

  /** Which dot-product kernel scores queries (the benchmark reports it). */
  get kernel(): "wasm-simd" | "js" {
    return this.matrix.kernel;
  }

  get size(): number {
    return this.count;
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
    // One conversion up front keeps the per-component loops monomorphic (typed arrays only).
    writeUnit(
      vector instanceof Float32Array ? vector : Float32Array.from(vector),
      this.unit,
      0,
      this.dimensions,
    );
    this.matrix.setRow(slot, this.unit);
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

  /** Removes every chunk of `documentId` in one tenant's namespace. Returns how many were removed. */
  deleteDocument(documentId: string, tenant: string | undefined): number {
    const keys = this.keysByDocument.get(documentId);
    if (!keys) return 0;
    let removed = 0;
    for (const key of [...keys]) {
      const slot = this.slotByKey.get(key);
      if (slot === undefined) continue;
      const record = this.records[slot] as StoredRecord;
      if ((record.tenant ?? "") !== (tenant ?? "")) continue;
      this.removeSlot(slot, key);
      removed++;
    }
    return removed;
  }

  /** Documents with a chunk owned by `entityKey` in one tenant's namespace (for erasure). */
  documentsOwnedBy(entityKey: string, tenant: string | undefined): string[] {
    const documents = new Set<string>();
    for (const record of this.records.slice(0, this.count)) {
      if (record.entityKey === entityKey && (record.tenant ?? "") === (tenant ?? ""))
        documents.add(record.documentId);
    }
    return [...documents];
  }

  /** Best `topK` hits by cosine similarity; ties broken by id so results are deterministic. */
  search(query: VectorQuery): VectorHit[] {
    const dimensions = this.dimensions;
    const queryVector = new Float32Array(dimensions);
    writeUnit(
      query.vector instanceof Float32Array ? query.vector : Float32Array.from(query.vector),
      queryVector,
      0,
      dimensions,
    );
    const topK = query.topK;
    const minScore = query.minScore ?? Number.NEGATIVE_INFINITY;
    // Every query is scoped to one tenant namespace; without a tenant, to the tenant-less records.
    const tenant = this.tenants.lookup(query.tenant);
    const source = query.source === undefined ? undefined : this.sources.lookup(query.source);
    const entity = query.entityKey === undefined ? undefined : this.entities.lookup(query.entityKey);
    if (tenant === -1 || source === -1 || entity === -1 || topK <= 0) return [];
    const filter =
      query.filter && Object.keys(query.filter).length > 0 ? Object.entries(query.filter) : undefined;

    const filters = { tenant, source, entity, filter };
    const count = this.count;
    let best: Selection | undefined;
    if (this.matrix.quantized && count > this.quantizeAbove)
      best = this.searchPruned(queryVector, count, topK, minScore, filters);
    best ??= this.select(this.matrix.scores(queryVector, count), count, topK, minScore, filters);
    const hits: VectorHit[] = [];
    for (let rank = 0; rank < best.filled; rank++) {
      const record = this.records[best.slots[rank] as number] as StoredRecord;
      // Float32 rounding can push a self-match a hair past 1.
      const score = Math.max(-1, Math.min(1, best.scores[rank] as number));
      hits.push(toHit(record, score));
    }
    return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Exact top-k without reading every float32 row: int8 scores with a proven error bound give each
   * row an interval [approximate - error, approximate + error] holding its exact score. The k-th best
   * lower end is a floor the true k-th score cannot be below, so only rows whose upper end reaches
   * it are re-scored exactly. Returns undefined when too many rows would need re-scoring (nearly
   * identical vectors), and the caller does the exact SIMD scan instead.
   */
  private searchPruned(
    query: Float32Array,
    count: number,
    topK: number,
    minScore: number,
    filters: Filters,
  ): Selection | undefined {
    const { approximate, error } = this.matrix.boundedScores(query, count);
    const passes = this.filterTest(filters);
    const lowest: Selection = { scores: new Float64Array(topK), slots: new Int32Array(topK), filled: 0 };
    // The filter is only evaluated for rows that would enter the buffer.
    let worst = Number.NEGATIVE_INFINITY;
    for (let slot = 0; slot < count; slot++) {
      const value = approximate[slot] as number;
      const margin = error[slot] as number;
      const lower = value - margin;
      if (lower <= worst || value + margin < minScore || !passes(slot)) continue;
      insert(lowest, topK, slot, lower, Number.NEGATIVE_INFINITY);
      if (lowest.filled === topK) worst = lowest.scores[topK - 1] as number;
    }
    const floor = lowest.filled === topK ? Math.max(minScore, worst) : minScore;
    const limit = Math.max(MAX_RESCORED_ROWS, count / 8);
    const best: Selection = { scores: new Float64Array(topK), slots: new Int32Array(topK), filled: 0 };
    let rescored = 0;
    for (let slot = 0; slot < count; slot++) {
      if ((approximate[slot] as number) + (error[slot] as number) < floor || !passes(slot)) continue;
      if (++rescored > limit) return undefined;
      insert(best, topK, slot, dot(this.matrix.row(slot), query), minScore);
    }
    this.lastRescored = rescored;
    return best;
  }

  private filterTest(filters: Filters): (slot: number) => boolean {
    const { tenant, source, entity, filter } = filters;
    const tenantCodes = this.tenantCodes;
    const sourceCodes = this.sourceCodes;
    const entityCodes = this.entityCodes;
    return (slot) =>
      tenantCodes[slot] === tenant &&
      (source === undefined || sourceCodes[slot] === source) &&
      (entity === undefined || entityCodes[slot] === entity) &&
      (filter === undefined || matches(this.records[slot] as StoredRecord, filter));
  }

  /** The `limit` best rows by `scores` among those passing the filters, best first. */
  private select(
    scores: Float32Array,
    count: number,
    limit: number,
    minScore: number,
    filters: Filters,
  ): Selection {
    const selection: Selection = { scores: new Float64Array(limit), slots: new Int32Array(limit), filled: 0 };
    const { tenant, source, entity, filter } = filters;
    const tenantCodes = this.tenantCodes;
    const sourceCodes = this.sourceCodes;
    const entityCodes = this.entityCodes;
    // `floor`: the score a row must beat to enter (rises once the buffer is full).
    let floor = minScore;
    for (let slot = 0; slot < count; slot++) {
      const score = scores[slot] as number;
      if (score < floor || (selection.filled === limit && score === floor)) continue;
      if (tenantCodes[slot] !== tenant) continue;
      if (source !== undefined && sourceCodes[slot] !== source) continue;
      if (entity !== undefined && entityCodes[slot] !== entity) continue;
      if (filter && !matches(this.records[slot] as StoredRecord, filter)) continue;
      insert(selection, limit, slot, score, minScore);
      if (selection.filled === limit) floor = Math.max(minScore, selection.scores[limit - 1] as number);
    }
    return selection;
  }

  /** Every stored record with its (normalised) vector, in slot order: used to persist the index. */
  *entries(): IterableIterator<{ record: StoredRecord; vector: Float32Array }> {
    for (let slot = 0; slot < this.count; slot++) {
      yield {
        record: this.records[slot] as StoredRecord,
        vector: this.matrix.row(slot),
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
      this.matrix.copyRow(last, slot);
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
    this.matrix.ensureCapacity(capacity);
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

interface Filters {
  tenant: number;
  source: number | undefined;
  entity: number | undefined;
  filter: Array<[string, string | number | boolean]> | undefined;
}

interface Selection {
  scores: Float64Array;
  slots: Int32Array;
  filled: number;
}

/** Inserts into a best-first buffer of `limit` entries (a no-op when it does not beat the worst). */
function insert(selection: Selection, limit: number, slot: number, score: number, minScore: number): void {
  if (score < minScore) return;
  if (selection.filled === limit && score <= (selection.scores[limit - 1] as number)) return;
  let position = selection.filled < limit ? selection.filled++ : limit - 1;
  while (position > 0 && (selection.scores[position - 1] as number) < score) {
    selection.scores[position] = selection.scores[position - 1] as number;
    selection.slots[position] = selection.slots[position - 1] as number;
    position--;
  }
  selection.scores[position] = score;
  selection.slots[position] = slot;
}

function dot(row: Float32Array, query: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < row.length; index++) sum += (row[index] as number) * (query[index] as number);
  return sum;
}

/** Copies `vector` scaled to unit length into `target` at `offset` (a zero vector stays zero). */
function writeUnit(vector: Float32Array, target: Float32Array, offset: number, dimensions: number): void {
  let norm = 0;
  for (let index = 0; index < dimensions; index++) {
    const value = vector[index] as number;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < dimensions; index++) target[offset + index] = (vector[index] as number) * scale;
}

/** Whether a record's metadata has every field of the filter (shared by the flat and ANN indexes). */
export function matches(
  record: StoredRecord,
  filter: ReadonlyArray<[string, string | number | boolean]>,
): boolean {
  const metadata = record.metadata;
  if (!metadata) return false;
  for (const [field, value] of filter) if (metadata[field] !== value) return false;
  return true;
}

/** The hit a query returns for a stored record (shared by the flat and ANN indexes). */
export function toHit(record: StoredRecord, score: number): VectorHit {
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
