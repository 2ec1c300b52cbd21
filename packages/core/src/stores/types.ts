// The online store interface: the low-latency key-value side of ctxstore, read once per `assemble`.
// Implementations: `memoryStore()` (embedded default), `@ctxstore/redis`. Every implementation must
// pass `testOnlineStore` from `@ctxstore/core/testing`.
import type { Envelope } from "../envelope.js";

/** Where a record lives: all records of one (entity, key) belong together (one Redis hash, one slot). */
export interface RecordAddress {
  /** Entity name, e.g. "user". */
  readonly entity: string;
  /** Canonical entity key, e.g. "userId=u1". */
  readonly key: string;
  /** Source field: `${source.name}@${version}`. */
  readonly field: string;
  /**
   * Tenant of a multi-tenant context store: part of where the record lives, so two tenants never
   * share a record. Only stores with `tenancy: true` accept it (others refuse, never ignore it).
   */
  readonly tenant?: string;
}

/** Every record of one entity key (of one tenant): what `forget` erases. */
export interface EntityAddress {
  readonly entity: string;
  readonly key: string;
  readonly tenant?: string;
}

export interface ReadRequest extends RecordAddress {
  /** `value`: one envelope (batch); `window`: the stream events of a window source. */
  readonly kind: "value" | "window";
}

/**
 * What a store read returns for one `ReadRequest`: a value's envelope (undefined when absent), a
 * window's events, or a record that exists but could not be decoded.
 */
export type ReadResult =
  | { readonly kind: "value"; readonly envelope: Envelope | undefined }
  /** Events sorted by event time ascending (oldest first), at most the window size. */
  | { readonly kind: "window"; readonly events: readonly Envelope[] }
  /** The record exists but could not be decoded (written by something else, corrupted). */
  | { readonly kind: "invalid"; readonly reason: string };

/** One `OnlineStore.read`: every record an assembly needs, plus stream watermarks, read together. */
export interface OnlineReadBatch {
  readonly records: readonly ReadRequest[];
  /** Source fields whose ingest watermark to read in the same round trip. */
  readonly watermarks?: readonly string[];
  /**
   * Tenants to report on in the same round trip: whether any record was ever written or appended
   * for each (see {@link OnlineReadResult.tenants}). Only stores with `tenancy: true` accept it.
   */
  readonly tenants?: readonly string[];
}

/** The answer to an `OnlineReadBatch`: one result per record, in request order, and the watermarks. */
export interface OnlineReadResult {
  /** One result per request, in request order. */
  readonly records: readonly ReadResult[];
  /** Latest time up to which each stream's ingest is known complete (epoch ms), when recorded. */
  readonly watermarks: Readonly<Record<string, number | undefined>>;
  /**
   * For each tenant the batch asked about: true once a write or append carrying that tenant has
   * reached the store, false while none has. It is how a read tells a tenant with no data (a wrong
   * tenant id: `missing`) from a real tenant's entity with no recent events (`empty`): watermarks
   * are per source, so they say nothing about a tenant. Never cleared by `forget` or `delete`.
   * A tenancy store must answer every tenant asked about; core reads an unanswered one as unknown.
   */
  readonly tenants?: Readonly<Record<string, boolean>>;
}

export interface ValueWrite extends RecordAddress {
  readonly envelope: Envelope;
  /**
   * Expire the entity's record set after this long without writes: the longest bound among the
   * entity's batch and stream sources (twice a batch source's `maxAge`, a stream's `retention`).
   * Absent, so the record never expires, when any of those sources has no such bound.
   */
  readonly ttlMs?: number;
}

export interface WindowAppend extends RecordAddress {
  /** Must carry `eventId`. */
  readonly event: Envelope;
  /** Keep the newest N events by event time. */
  readonly window: number;
  /** Same as {@link ValueWrite.ttlMs}: the entity's record set expires this long after its last write. */
  readonly ttlMs?: number;
}

/** Whether one value write was applied; a write older (by event time) than the stored value is not. */
export interface WriteOutcome {
  readonly applied: boolean;
  /** Why a write was not applied: an envelope with a newer event time is already stored. */
  readonly reason?: "older";
}

/** Whether one event was added to its window, and why not. */
export interface AppendOutcome {
  readonly applied: boolean;
  /** `duplicate`: this event id is already in the window; `outside-window`: older than the N kept. */
  readonly reason?: "duplicate" | "outside-window";
}

/**
 * A write's per-call bound: when `signal` aborts (the caller's deadline), the store stops waiting and
 * rejects with `CTX_TIMEOUT` (the signal's reason when it is a CtxError), saying that what was sent
 * may or may not have been applied. An already aborted signal sends nothing.
 */
export interface StoreCallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * Where batch values and stream windows are served from (memory, Redis...): the interface a store
 * implements. Its members' comments are the contract `testOnlineStore` checks.
 */
export interface OnlineStore {
  /** Short name for traces and errors ("memory", "redis"). */
  readonly name: string;
  /**
   * Reads many records (and watermarks) in ONE round trip. Rejects when the store is unreachable;
   * a single undecodable record is `{ kind: "invalid" }`, never a rejection and never "missing".
   */
  read(batch: OnlineReadBatch, options?: { signal?: AbortSignal }): Promise<OnlineReadResult>;
  /**
   * Last-write-wins by event time, atomically: an envelope never replaces one with a greater event
   * time, whatever the arrival order; on equal event times the greater (or equal) write time wins.
   */
  write(writes: readonly ValueWrite[], options?: StoreCallOptions): Promise<WriteOutcome[]>;
  /** Adds events to windows atomically: dedupe by event id, keep the newest N by event time. */
  append(appends: readonly WindowAppend[], options?: StoreCallOptions): Promise<AppendOutcome[]>;
  /** Raises a stream's ingest watermark (never lowers it). */
  setWatermark(field: string, time: number, options?: StoreCallOptions): Promise<void>;
  /** Removes records (tests, GDPR deletes). */
  delete(addresses: readonly RecordAddress[]): Promise<void>;
  /** True when the store keeps records apart by `RecordAddress.tenant`; without it a tenant is refused. */
  readonly tenancy?: boolean;
  /**
   * Erases every record (all fields, every source version) of each entity key; resolves to how
   * many records were removed per address. Optional: without it, `ctx.forget` deletes the fields
   * of the context store's current sources and says so in its receipt.
   */
  forget?(entities: readonly EntityAddress[]): Promise<number[]>;
  /**
   * Releases the store's connections. Afterwards every call rejects with `CTX_STORE_UNAVAILABLE` (a
   * closed store never answers "absent"); closing twice is fine.
   */
  close(): Promise<void>;
}
