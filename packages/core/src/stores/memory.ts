// The embedded online store: everything in one process's memory. It is the default for demos, tests
// and single-process apps, and the reference behaviour every other OnlineStore is checked against
// (see `testOnlineStore`). Nothing survives a restart.
//
// Stored envelopes are deep-copied and frozen at write time. The copy costs once per write and means
// reads hand out the stored objects themselves (no copy per read) while neither the writer nor any
// reader can change what is stored. The copy also enforces the envelope contract that values are
// JSON-serialisable, so code that works here does not break on a store that serialises (Redis).
//
// Request checks, the closed state and rejected promises are `defineOnlineStore`'s; this file is the
// storage.
//
// TTL is honoured lazily: an entity whose record set expired reads as absent and is dropped the next
// time anything touches it. So that entities nobody touches again (finished sessions) do not pile up,
// every write also checks a couple of entities for expiry, round-robin, like Redis's active expiry:
// memory stays bounded with no timer keeping the process alive.
import type { Envelope } from "../envelope.js";
import { CtxError } from "../errors.js";
import { defineOnlineStore } from "./define-online-store.js";
import { freezeCheckedJson } from "./json-data.js";
import type { RecordSampling, SampledRecord, SamplePage } from "./sampling.js";
import type {
  AppendOutcome,
  EntityAddress,
  OnlineReadBatch,
  OnlineReadResult,
  OnlineStore,
  ReadRequest,
  ReadResult,
  RecordAddress,
  ValueWrite,
  WindowAppend,
  WriteOutcome,
} from "./types.js";

/** Options of `memoryStore()`. */
export interface MemoryStoreOptions {
  /** Clock (epoch ms) used for TTL expiry. Default `Date.now`. */
  now?: () => number;
}

/** The embedded store, plus a size figure for tests and dashboards, and freshness sampling. */
export interface MemoryStore extends OnlineStore, RecordSampling {
  /** Entities (entity, key) currently held, including expired ones not yet swept. */
  readonly entityCount: number;
}

/** Entities checked for expiry per record written: more than one, so sweeping outpaces growth. */
const SWEEP_PER_WRITE = 2;

type StoredRecord =
  | { readonly kind: "value"; readonly envelope: Envelope }
  /** Frozen, oldest first; replaced (never mutated) on append so a returned array stays valid. */
  | { readonly kind: "window"; readonly events: readonly Envelope[] };

interface EntityRecords {
  readonly fields: Map<string, StoredRecord>;
  /** Epoch ms after which the whole record set reads as absent; undefined = never. */
  expiresAt: number | undefined;
}

const APPLIED: WriteOutcome & AppendOutcome = Object.freeze({ applied: true });
const OLDER: WriteOutcome = Object.freeze({ applied: false, reason: "older" });
const DUPLICATE: AppendOutcome = Object.freeze({ applied: false, reason: "duplicate" });
const OUTSIDE_WINDOW: AppendOutcome = Object.freeze({ applied: false, reason: "outside-window" });
const NO_EVENTS: readonly Envelope[] = Object.freeze([]);

/** The embedded in-memory online store, the default of `createContextStore`: no server, lost when the process exits. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const entities = new Map<string, EntityRecords>();
  // Map iterators stay valid while entries are added and deleted, so one cursor can walk forever.
  let sweepCursor = entities.entries();
  let sampleCursor = entities.entries();
  const watermarks = new Map<string, number>();
  // Tenants any write or append has carried: a tenant not in it has no data at all (a wrong tenant
  // id), so its empty stream windows read `missing`, not `empty`. Forget and delete leave it.
  const tenantsWithData = new Set<string>();

  /** The live record set of an entity, dropping it when its TTL has passed. */
  function liveEntity(entityKey: string, at: number): EntityRecords | undefined {
    const records = entities.get(entityKey);
    if (records === undefined) return undefined;
    if (records.expiresAt !== undefined && records.expiresAt <= at) {
      entities.delete(entityKey);
      return undefined;
    }
    return records;
  }

  function sweepExpired(at: number): void {
    for (let step = 0; step < SWEEP_PER_WRITE; step++) {
      let next = sweepCursor.next();
      if (next.done) {
        sweepCursor = entities.entries();
        next = sweepCursor.next();
        if (next.done) return;
      }
      const [entityKey, records] = next.value;
      if (records.expiresAt !== undefined && records.expiresAt <= at) entities.delete(entityKey);
    }
  }

  function entityForWrite(entityKey: string, at: number): EntityRecords {
    sweepExpired(at);
    let records = liveEntity(entityKey, at);
    if (records === undefined) {
      records = { fields: new Map(), expiresAt: undefined };
      entities.set(entityKey, records);
    }
    return records;
  }

  /** A write refreshes the expiry; it never shortens one set by a source with a longer TTL. */
  function touch(records: EntityRecords, ttlMs: number | undefined, at: number): void {
    if (ttlMs === undefined) return;
    const expiresAt = at + ttlMs;
    if (records.expiresAt === undefined || records.expiresAt < expiresAt) records.expiresAt = expiresAt;
  }

  return defineOnlineStore({
    name: "memory",
    tenancy: true,
    afterClose:
      "The store and its data are gone: create a new memoryStore() (or stop using this one before closing it).",

    get entityCount(): number {
      return entities.size;
    },

    // One walk over the entities, resumed by the next call; a call without a cursor starts over.
    // The cursor string only says "go on": the position is this iterator (one monitor per store).
    async sampleRecords(request: { cursor: string | undefined; limit: number }): Promise<SamplePage> {
      if (request.cursor === undefined) sampleCursor = entities.entries();
      const records: SampledRecord[] = [];
      const at = now();
      for (let visited = 0; visited < request.limit; visited++) {
        const next = sampleCursor.next();
        if (next.done) return { records, cursor: undefined, commands: 0 };
        const [entityKey, entity] = next.value;
        if (entity.expiresAt !== undefined && entity.expiresAt <= at) continue;
        for (const [field, record] of entity.fields) {
          records.push(
            record.kind === "value"
              ? { entity: entityKey, field, kind: "value", eventTime: record.envelope.eventTime }
              : { entity: entityKey, field, kind: "window", eventTime: newestEventTime(record.events) },
          );
        }
      }
      return { records, cursor: "memory", commands: 0 };
    },

    async read(batch: OnlineReadBatch): Promise<OnlineReadResult> {
      const at = now();
      const results: ReadResult[] = new Array(batch.records.length);
      for (let index = 0; index < batch.records.length; index++) {
        const request = batch.records[index] as ReadRequest;
        const stored = liveEntity(entityKeyOf(request), at)?.fields.get(request.field);
        results[index] = toReadResult(request.kind, stored);
      }
      const marks: Record<string, number | undefined> = {};
      for (const field of batch.watermarks ?? []) {
        // defineProperty: a field named "__proto__" must be a key, not a prototype change.
        Object.defineProperty(marks, field, {
          value: watermarks.get(field),
          enumerable: true,
          writable: true,
        });
      }
      if (batch.tenants === undefined) return { records: results, watermarks: marks };
      const tenants: Record<string, boolean> = {};
      for (const tenant of batch.tenants) {
        Object.defineProperty(tenants, tenant, {
          value: tenantsWithData.has(tenant),
          enumerable: true,
          writable: true,
        });
      }
      return { records: results, watermarks: marks, tenants };
    },

    async write(writes: readonly ValueWrite[]): Promise<WriteOutcome[]> {
      // Copy everything first (the wrapper checked it), then refuse a field of the other kind.
      const prepared = writes.map((write) => freezeCheckedJson(write.envelope) as Envelope);
      const at = now();
      checkKinds(writes, "value", at);
      for (const write of writes) if (write.tenant !== undefined) tenantsWithData.add(write.tenant);
      return writes.map((write, index) => {
        const envelope = prepared[index] as Envelope;
        const records = entityForWrite(entityKeyOf(write), at);
        const current = records.fields.get(write.field);
        if (current?.kind === "value" && !supersedes(envelope, current.envelope)) return OLDER;
        records.fields.set(write.field, { kind: "value", envelope });
        touch(records, write.ttlMs, at);
        return APPLIED;
      });
    },

    async append(appends: readonly WindowAppend[]): Promise<AppendOutcome[]> {
      const prepared = appends.map((append) => freezeCheckedJson(append.event) as Envelope);
      const at = now();
      checkKinds(appends, "window", at);
      for (const append of appends) if (append.tenant !== undefined) tenantsWithData.add(append.tenant);
      return appends.map((append, index) => {
        const event = prepared[index] as Envelope;
        const records = entityForWrite(entityKeyOf(append), at);
        const current = records.fields.get(append.field);
        const events = current?.kind === "window" ? current.events : NO_EVENTS;
        if (events.some((kept) => kept.eventId === event.eventId)) return DUPLICATE;
        const position = insertionPoint(events, event);
        const merged = [...events.slice(0, position), event, ...events.slice(position)];
        const dropped = Math.max(0, merged.length - append.window);
        if (position < dropped) {
          // The new event would be evicted at once; a shrunk window size still trims what is kept.
          if (dropped > 1) {
            records.fields.set(append.field, {
              kind: "window",
              events: Object.freeze(events.slice(dropped - 1)),
            });
          }
          return OUTSIDE_WINDOW;
        }
        records.fields.set(append.field, { kind: "window", events: Object.freeze(merged.slice(dropped)) });
        touch(records, append.ttlMs, at);
        return APPLIED;
      });
    },

    async setWatermark(field: string, time: number): Promise<void> {
      const current = watermarks.get(field);
      if (current === undefined || time > current) watermarks.set(field, time);
    },

    async delete(addresses: readonly RecordAddress[]): Promise<void> {
      for (const address of addresses) {
        const entityKey = entityKeyOf(address);
        const records = entities.get(entityKey);
        if (records === undefined) continue;
        records.fields.delete(address.field);
        if (records.fields.size === 0) entities.delete(entityKey);
      }
    },

    async forget(addresses: readonly EntityAddress[]): Promise<number[]> {
      return addresses.map((address) => {
        const entityKey = entityKeyOf(address);
        const removed = entities.get(entityKey)?.fields.size ?? 0;
        entities.delete(entityKey);
        return removed;
      });
    },

    async close(): Promise<void> {
      entities.clear();
      watermarks.clear();
      tenantsWithData.clear();
    },
  });

  /** A field holds either a value (batch) or a window (stream), never both. */
  function checkKinds(addresses: readonly RecordAddress[], kind: StoredRecord["kind"], at: number): void {
    addresses.forEach((address, index) => {
      const stored = liveEntity(entityKeyOf(address), at)?.fields.get(address.field);
      if (stored !== undefined && stored.kind !== kind) {
        const operation = kind === "value" ? "write" : "append";
        throw new CtxError(
          "CTX_INVALID_REQUEST",
          `memory store: ${operation} #${index} targets ${address.entity} ${address.key} ${address.field}, which holds a ${stored.kind === "value" ? "value (batch source)" : "window (stream source)"}; use ${kind === "value" ? "append()" : "write()"} for it, or delete it first.`,
          { store: "memory", index, entity: address.entity, key: address.key, field: address.field },
        );
      }
    });
  }
}

function toReadResult(kind: "value" | "window", stored: StoredRecord | undefined): ReadResult {
  if (stored === undefined)
    return kind === "value" ? { kind, envelope: undefined } : { kind, events: NO_EVENTS };
  if (stored.kind !== kind) {
    return {
      kind: "invalid",
      reason: `read as a ${kind} but the record holds a ${stored.kind}; was the field written by another source type?`,
    };
  }
  return stored.kind === "value"
    ? { kind: "value", envelope: stored.envelope }
    : { kind: "window", events: stored.events };
}

/** LWW: greater event time wins; on a tie the greater-or-equal write time wins. */
function supersedes(incoming: Envelope, current: Envelope): boolean {
  if (incoming.eventTime !== current.eventTime) return incoming.eventTime > current.eventTime;
  return incoming.writeTime >= current.writeTime;
}

/** Window order: event time ascending, then event id (so equal event times order deterministically). */
function comesBefore(left: Envelope, right: Envelope): boolean {
  if (left.eventTime !== right.eventTime) return left.eventTime < right.eventTime;
  return (left.eventId as string) < (right.eventId as string);
}

function insertionPoint(events: readonly Envelope[], event: Envelope): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (comesBefore(events[middle] as Envelope, event)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Length-prefixed so no choice of tenant, entity and key strings can collide ("a:b"+"c" vs
 * "a"+"b:c"); no tenant is its own namespace, apart from every tenant's.
 */
function entityKeyOf(address: EntityAddress): string {
  const tenant = address.tenant;
  const scoped = `${address.entity.length}:${address.entity}:${address.key}`;
  return tenant === undefined ? scoped : `t${tenant.length}:${tenant}:${scoped}`;
}

function newestEventTime(events: readonly Envelope[]): number | undefined {
  let newest: number | undefined;
  for (const event of events) if (newest === undefined || event.eventTime > newest) newest = event.eventTime;
  return newest;
}
