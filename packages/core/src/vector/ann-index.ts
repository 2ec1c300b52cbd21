// The approximate index behind `annVectorStore`: an HNSW graph (usearch) finds candidates, and every
// candidate is re-scored exactly from the float32 rows this index keeps itself, so returned scores are
// exact cosines and only recall is approximate. Filters that select few rows, and stores too small for
// a graph to pay off, are answered by an exact scan of the same rows. Slots stay dense (a delete
// moves the last row into the hole), so replaying a log, or a log compacted in slot order, always
// yields the same slot numbers: the graph's keys, which is what lets a saved graph be reloaded.
import { matches, recordKey, type StoredRecord, toHit } from "./flat-index.js";
import { createMatrix, type Matrix } from "./matrix.js";
import type { VectorHit, VectorQuery, VectorRecord } from "./types.js";

/** The part of usearch's `Index` this file uses (kept structural so core compiles without usearch). */
export interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(
    vector: Float32Array,
    k: number,
    threads?: number,
  ): { keys: BigUint64Array; distances: Float32Array };
  remove(keys: bigint): number | number[];
  size(): number;
  save(path: string): void;
  load(path: string): void;
}

/** The part of the `usearch` package this file uses. */
export interface UsearchModule {
  Index: new (config: {
    dimensions: number;
    metric: "cos";
    quantization: "f32" | "f16" | "i8";
    connectivity: number;
    expansion_add: number;
    expansion_search: number;
    multi: boolean;
  }) => UsearchIndex;
}

export interface GraphSettings {
  /** Links per node (HNSW `M`). More: better recall, more memory and build time. */
  connectivity: number;
  /** Candidate list while inserting (HNSW `efConstruction`). */
  expansionAdd: number;
  /**
   * Candidate list while searching (HNSW `ef`): more buys recall with query time. Read at query time
   * only, so changing it reuses a saved graph.
   */
  expansionSearch: number;
  /** How the graph stores its own copy of the vectors; candidates are re-scored from float32 either way. */
  quantization: "f32" | "f16" | "i8";
}

export interface AnnIndexOptions extends GraphSettings {
  /** Up to this many chunks (or rows passing a query's filters), an exact scan answers the query. */
  exactUpTo: number;
}

/** Interns strings to small positive integers (0 = absent) and counts live rows per code. */
class Codes {
  private readonly byValue = new Map<string, number>();
  readonly live: number[] = [0];
  code(value: string | undefined): number {
    if (value === undefined || value === "") return 0;
    let code = this.byValue.get(value);
    if (code === undefined) {
      code = this.byValue.size + 1;
      this.byValue.set(value, code);
      this.live[code] = 0;
    }
    return code;
  }
  /** -1 when the value was never stored: a filter on it matches nothing. */
  lookup(value: string | undefined): number {
    if (value === undefined || value === "") return 0;
    return this.byValue.get(value) ?? -1;
  }
}

interface Filters {
  tenant: number;
  source: number | undefined;
  entity: number | undefined;
  filter: ReadonlyArray<[string, string | number | boolean]> | undefined;
}

export class AnnIndex {
  readonly dimensions: number;
  private settings: AnnIndexOptions;
  private graph: UsearchIndex;
  private readonly usearch: UsearchModule;
  private readonly matrix: Matrix;
  private readonly unit: Float32Array;
  private capacity = 0;
  private count = 0;
  private records: StoredRecord[] = [];
  private keys: string[] = [];
  private tenantCodes: Int32Array = new Int32Array(0);
  private sourceCodes: Int32Array = new Int32Array(0);
  private entityCodes: Int32Array = new Int32Array(0);
  /** 1 where the graph holds the slot's current vector. */
  private inGraph: Uint8Array = new Uint8Array(0);
  /** Slots whose vector changed since the graph last saw them (added in one batch by `flush`). */
  private readonly pending = new Set<number>();
  private readonly slotByKey = new Map<string, number>();
  private readonly keysByDocument = new Map<string, Set<string>>();
  private readonly tenants = new Codes();
  private readonly sources = new Codes();
  private readonly entities = new Codes();
  /** Set by every change to the graph; the store clears it when it saves the graph. */
  changed = false;
  /** How the last query was answered (tests and the benchmark read it). */
  lastPath: "graph" | "exact" = "exact";

  constructor(usearch: UsearchModule, dimensions: number, settings: AnnIndexOptions) {
    this.usearch = usearch;
    this.dimensions = dimensions;
    this.settings = settings;
    this.graph = this.newGraph();
    this.matrix = createMatrix(dimensions);
    this.unit = new Float32Array(dimensions);
  }

  get size(): number {
    return this.count;
  }

  /** The candidate list of later searches (the graph itself is unchanged). */
  setExpansionSearch(expansionSearch: number): void {
    this.settings = { ...this.settings, expansionSearch };
  }

  /** Inserts or replaces by (tenant, id); the graph sees the change at the next `flush`. */
  set(record: VectorRecord): void {
    const key = recordKey(record.tenant, record.id);
    let slot = this.slotByKey.get(key);
    if (slot === undefined) {
      slot = this.count++;
      if (slot >= this.capacity) this.grow(Math.max(1024, this.capacity * 2));
      this.slotByKey.set(key, slot);
      this.keys[slot] = key;
    } else {
      this.forgetCodes(slot);
      this.unlinkDocument(this.records[slot] as StoredRecord, key);
    }
    const { vector, ...stored } = record;
    writeUnit(vector instanceof Float32Array ? vector : Float32Array.from(vector), this.unit);
    this.matrix.setRow(slot, this.unit);
    this.records[slot] = stored;
    this.tenantCodes[slot] = this.tenants.code(record.tenant);
    this.sourceCodes[slot] = this.sources.code(record.source);
    this.entityCodes[slot] = this.entities.code(record.entityKey);
    this.countCodes(slot, 1);
    let keys = this.keysByDocument.get(record.documentId);
    if (!keys) {
      keys = new Set();
      this.keysByDocument.set(record.documentId, keys);
    }
    keys.add(key);
    this.pending.add(slot);
  }

  /** Removes every chunk of `documentId` in one tenant's namespace. Returns how many were removed. */
  deleteDocument(documentId: string, tenant: string | undefined): number {
    const keys = this.keysByDocument.get(documentId);
    if (!keys) return 0;
    let removed = 0;
    for (const key of [...keys]) {
      const slot = this.slotByKey.get(key);
      if (slot === undefined) continue;
      if (((this.records[slot] as StoredRecord).tenant ?? "") !== (tenant ?? "")) continue;
      this.removeSlot(slot, key);
      removed++;
    }
    return removed;
  }

  /** Brings the graph up to date with every change since the last call, in one multi-threaded add. */
  flush(): void {
    if (this.pending.size === 0) return;
    const slots = [...this.pending].sort((a, b) => a - b);
    const keys = new BigUint64Array(slots.length);
    const vectors = new Float32Array(slots.length * this.dimensions);
    for (let index = 0; index < slots.length; index++) {
      const slot = slots[index] as number;
      this.dropFromGraph(slot);
      keys[index] = BigInt(slot);
      vectors.set(this.matrix.row(slot), index * this.dimensions);
      this.inGraph[slot] = 1;
    }
    this.graph.add(keys, vectors, 0);
    this.pending.clear();
    this.changed = true;
  }

  /** Writes the graph to `path` (after a flush). */
  saveGraph(path: string): void {
    this.flush();
    this.graph.save(path);
  }

  /**
   * Replaces the graph with one saved by `saveGraph` for exactly the current rows (the caller checks
   * that it belongs to this log state). Returns false, keeping the current graph, when the file does
   * not hold one node per live row.
   */
  loadGraph(path: string): boolean {
    const graph = this.newGraph();
    graph.load(path);
    if (graph.size() !== this.count) return false;
    this.graph = graph;
    this.inGraph.fill(1, 0, this.count);
    this.pending.clear();
    return true;
  }

  /** Best `topK` hits by exact cosine among the graph's candidates; ties broken by id. */
  search(query: VectorQuery): VectorHit[] {
    const queryVector = new Float32Array(this.dimensions);
    writeUnit(
      query.vector instanceof Float32Array ? query.vector : Float32Array.from(query.vector),
      queryVector,
    );
    const topK = query.topK;
    const minScore = query.minScore ?? Number.NEGATIVE_INFINITY;
    const tenant = this.tenants.lookup(query.tenant);
    const source = query.source === undefined ? undefined : this.sources.lookup(query.source);
    const entity = query.entityKey === undefined ? undefined : this.entities.lookup(query.entityKey);
    if (tenant === -1 || source === -1 || entity === -1 || topK <= 0 || this.count === 0) return [];
    const filter =
      query.filter && Object.keys(query.filter).length > 0 ? Object.entries(query.filter) : undefined;
    const filters: Filters = { tenant, source, entity, filter };

    // Rows that can pass, by the counts of the codes asked for (metadata filters are not counted).
    let reachable = this.tenants.live[tenant] ?? 0;
    if (source !== undefined) reachable = Math.min(reachable, this.sources.live[source] ?? 0);
    if (entity !== undefined) reachable = Math.min(reachable, this.entities.live[entity] ?? 0);
    if (reachable === 0) return [];
    const hits =
      this.count <= this.settings.exactUpTo || reachable <= this.settings.exactUpTo
        ? undefined
        : this.searchGraph(queryVector, topK, minScore, filters, reachable);
    this.lastPath = hits === undefined ? "exact" : "graph";
    return this.hitsOf(finish(hits ?? this.scan(queryVector, topK, minScore, filters), topK));
  }

  /** Every stored record with its (normalised) vector, in slot order: used to persist the index. */
  *entries(): IterableIterator<{ record: StoredRecord; vector: Float32Array }> {
    for (let slot = 0; slot < this.count; slot++)
      yield { record: this.records[slot] as StoredRecord, vector: this.matrix.row(slot) };
  }

  /**
   * Asks the graph for a growing number of candidates until `topK` of them pass the filters (or no
   * better ones can exist); undefined when a filter is so selective that an exact scan is cheaper.
   */
  private searchGraph(
    query: Float32Array,
    topK: number,
    minScore: number,
    filters: Filters,
    reachable: number,
  ): ScoredSlot[] | undefined {
    this.flush();
    const passes = this.filterTest(filters);
    const live = this.count;
    let wanted = Math.max(2 * topK, this.settings.expansionSearch);
    for (;;) {
      const k = Math.min(wanted, live);
      const { keys, distances } = this.graph.search(query, k, 1);
      // Asked for every row and the graph did not reach them all: a row it missed may rank higher,
      // and an exact scan of a store this small is cheap.
      if (k >= live && keys.length < live) return undefined;
      const found: ScoredSlot[] = [];
      for (let index = 0; index < keys.length; index++) {
        const slot = Number(keys[index]);
        if (!passes(slot)) continue;
        const score = dot(this.matrix.row(slot), query);
        if (score >= minScore) found.push({ slot, score });
      }
      // Done when enough passed, or when the graph's worst candidate already scores below minScore
      // (later candidates score lower still).
      const worst = keys.length === 0 ? Number.NEGATIVE_INFINITY : 1 - (distances[keys.length - 1] as number);
      const hits = () =>
        found.map((hit) => ({ slot: hit.slot, score: hit.score, id: this.recordAt(hit.slot).id }));
      if (found.length >= topK || worst < minScore) return hits();
      // The graph has nothing more to give. An HNSW graph does not always reach every node, so when
      // it gave fewer rows than can pass the filters, the exact scan answers: a query never comes
      // back short of rows the store holds.
      if (k >= live || keys.length < k) return found.length < reachable ? undefined : hits();
      wanted *= 4;
      if (wanted > live / 8) return undefined;
    }
  }

  /** Exact top-k over every row passing the filters (the small-store and selective-filter path). */
  private scan(query: Float32Array, topK: number, minScore: number, filters: Filters): ScoredSlot[] {
    const passes = this.filterTest(filters);
    const found: ScoredSlot[] = [];
    const scores = this.matrix.scores(query, this.count);
    for (let slot = 0; slot < this.count; slot++) {
      const score = scores[slot] as number;
      if (score < minScore || !passes(slot)) continue;
      found.push({ slot, score, id: this.recordAt(slot).id });
    }
    return found.sort(byScoreThenId).slice(0, topK);
  }

  private recordAt(slot: number): StoredRecord {
    return this.records[slot] as StoredRecord;
  }

  private hitsOf(scored: readonly ScoredSlot[]): VectorHit[] {
    return scored.map(({ slot, score }) => toHit(this.recordAt(slot), Math.max(-1, Math.min(1, score))));
  }

  private filterTest(filters: Filters): (slot: number) => boolean {
    const { tenant, source, entity, filter } = filters;
    return (slot) =>
      this.tenantCodes[slot] === tenant &&
      (source === undefined || this.sourceCodes[slot] === source) &&
      (entity === undefined || this.entityCodes[slot] === entity) &&
      (filter === undefined || matches(this.recordAt(slot), filter));
  }

  private newGraph(): UsearchIndex {
    return new this.usearch.Index({
      dimensions: this.dimensions,
      metric: "cos",
      quantization: this.settings.quantization,
      connectivity: this.settings.connectivity,
      expansion_add: this.settings.expansionAdd,
      expansion_search: this.settings.expansionSearch,
      multi: false,
    });
  }

  private dropFromGraph(slot: number): void {
    if (this.inGraph[slot] !== 1) return;
    this.graph.remove(BigInt(slot));
    this.inGraph[slot] = 0;
    this.changed = true;
  }

  private removeSlot(slot: number, key: string): void {
    const record = this.recordAt(slot);
    this.unlinkDocument(record, key);
    this.forgetCodes(slot);
    this.slotByKey.delete(key);
    this.dropFromGraph(slot);
    this.pending.delete(slot);
    // Swap the last slot into the hole so slots stay dense (see the module comment).
    const last = --this.count;
    if (slot !== last) {
      const lastKey = this.keys[last] as string;
      this.matrix.copyRow(last, slot);
      this.records[slot] = this.recordAt(last);
      this.keys[slot] = lastKey;
      this.tenantCodes[slot] = this.tenantCodes[last] as number;
      this.sourceCodes[slot] = this.sourceCodes[last] as number;
      this.entityCodes[slot] = this.entityCodes[last] as number;
      this.slotByKey.set(lastKey, slot);
      this.dropFromGraph(last);
      this.pending.delete(last);
      this.pending.add(slot);
    }
    this.records.length = last;
    this.keys.length = last;
  }

  private countCodes(slot: number, delta: number): void {
    const bump = (codes: Codes, code: number) => {
      codes.live[code] = (codes.live[code] ?? 0) + delta;
    };
    bump(this.tenants, this.tenantCodes[slot] as number);
    bump(this.sources, this.sourceCodes[slot] as number);
    bump(this.entities, this.entityCodes[slot] as number);
  }

  private forgetCodes(slot: number): void {
    this.countCodes(slot, -1);
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
    const inGraph = new Uint8Array(capacity);
    inGraph.set(this.inGraph);
    this.inGraph = inGraph;
    this.capacity = capacity;
  }
}

export interface ScoredSlot {
  slot: number;
  score: number;
  id?: string;
}

function byScoreThenId(a: ScoredSlot, b: ScoredSlot): number {
  const left = a.id ?? "";
  const right = b.id ?? "";
  return b.score - a.score || (left < right ? -1 : left > right ? 1 : 0);
}

function finish(scored: ScoredSlot[], topK: number): ScoredSlot[] {
  return scored.sort(byScoreThenId).slice(0, topK);
}

function grown(codes: Int32Array, capacity: number): Int32Array {
  const next = new Int32Array(capacity);
  next.set(codes);
  return next;
}

function dot(row: Float32Array, query: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < row.length; index++) sum += (row[index] as number) * (query[index] as number);
  return sum;
}

function writeUnit(vector: Float32Array, target: Float32Array): void {
  let norm = 0;
  for (let index = 0; index < target.length; index++) norm += (vector[index] as number) ** 2;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < target.length; index++) target[index] = (vector[index] as number) * scale;
}
