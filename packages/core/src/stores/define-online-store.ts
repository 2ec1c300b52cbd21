// `defineOnlineStore`: turns a store's storage logic into an OnlineStore that behaves like every
// other one at its edges. The wrapper owns what the contract suite demands of all stores and what
// each store used to repeat: the seven request checks (so every store rejects the same bad input
// with the same typed error before touching storage), the closed state (a closed store rejects,
// it never answers "absent"), and rejected promises instead of synchronous throws (a caller chaining
// `.catch` sees every failure). The driver keeps only what is particular to it.
import { CtxError, isCtxError } from "../errors.js";
import {
  checkEnvelope,
  checkReadBatch,
  checkReadRequest,
  checkReadTenants,
  checkRecordAddress,
  checkRequestArray,
  checkTtl,
  checkWatermarkFields,
  checkWatermarkRaise,
  checkWindowAppend,
} from "./checks.js";
import { carryDriverMembers } from "./driver-members.js";
import type {
  AppendOutcome,
  EntityAddress,
  OnlineReadBatch,
  OnlineReadResult,
  OnlineStore,
  RecordAddress,
  StoreCallOptions,
  ValueWrite,
  WindowAppend,
  WriteOutcome,
} from "./types.js";

/**
 * A store's storage logic. Every method receives input the wrapper has already checked (arrays of
 * well-formed addresses, envelopes holding JSON data, positive TTLs and windows, events with ids),
 * is never called after `close()`, and may throw synchronously: the wrapper turns that into a
 * rejection.
 */
export interface OnlineStoreDriver {
  /** Short name for traces and errors ("memory", "redis"); messages read `<name> store: ...`. */
  readonly name: string;
  /** What to tell a caller who used the store after `close()`, e.g. "Create a new memoryStore()." */
  readonly afterClose?: string;
  /**
   * Reads every record and watermark of the batch, and whether each tenant in `batch.tenants` has
   * ever had data, in one round trip where the storage allows; absent records come back absent,
   * never as errors. Rejects if `signal` aborts.
   */
  read(batch: OnlineReadBatch, options: { signal?: AbortSignal } | undefined): Promise<OnlineReadResult>;
  /**
   * Writes values last-write-wins by event time (ties: the later write time); one outcome per write,
   * in order. `options.signal`: see StoreCallOptions (the wrapper has checked it is not aborted yet).
   */
  write(writes: readonly ValueWrite[], options: StoreCallOptions | undefined): Promise<WriteOutcome[]>;
  /** Appends events to windows, deduplicated by `eventId`, keeping the newest `window` by event time. */
  append(appends: readonly WindowAppend[], options: StoreCallOptions | undefined): Promise<AppendOutcome[]>;
  /** Raises a stream's ingest watermark (epoch ms) to `time`; never lowers it. */
  setWatermark(field: string, time: number, options: StoreCallOptions | undefined): Promise<void>;
  /** Deletes the addressed records (absent ones are fine). */
  delete(addresses: readonly RecordAddress[]): Promise<void>;
  /** The driver keeps records apart by `tenant` (see RecordAddress.tenant). */
  readonly tenancy?: boolean;
  /** Erases every record of each entity key (see OnlineStore.forget). */
  forget?(entities: readonly EntityAddress[]): Promise<number[]>;
  /** Called once, by the first `close()`; later calls resolve without calling it again. */
  close(): Promise<void>;
}

const DRIVER_METHODS = new Set<PropertyKey>([
  "read",
  "write",
  "append",
  "setWatermark",
  "delete",
  "forget",
  "tenancy",
  "close",
  "afterClose",
]);

/** What `defineOnlineStore` returns: the OnlineStore plus the driver's own extra members. */
export type DefinedOnlineStore<Driver extends OnlineStoreDriver> = OnlineStore &
  Omit<Driver, keyof OnlineStoreDriver>;

/**
 * Wraps a driver into an OnlineStore. Members the driver adds beyond the interface (a client, a size
 * getter) are passed through unchanged.
 */
export function defineOnlineStore<Driver extends OnlineStoreDriver>(
  driver: Driver,
): DefinedOnlineStore<Driver> {
  const store = driver.name;
  const tenancy = driver.tenancy === true;
  /** A tenant the driver cannot keep apart is refused: ignoring it would mix tenants' records. */
  const checkTenancy = (address: { tenant?: unknown } | undefined, label: string) => {
    const tenant = address?.tenant;
    if (tenant === undefined) return;
    if (!tenancy) {
      throw new CtxError(
        "CTX_CONFIG",
        `${store} store: ${label} carries a tenant but this store does not keep tenants apart; use a store with tenancy support for a multi-tenant context store.`,
        { store, label },
      );
    }
    if (typeof tenant !== "string" || tenant.length === 0) {
      throw new CtxError(
        "CTX_INVALID_TENANT",
        `${store} store: ${label} has tenant ${String(tenant)}; use a non-empty string.`,
        {
          store,
          label,
        },
      );
    }
  };
  let closed = false;
  let closing: Promise<void> | undefined;

  /** A write whose caller gave up before it started sends nothing. */
  const refuseAborted = (signal: AbortSignal | undefined, operation: string) => {
    if (!signal?.aborted) return;
    if (isCtxError(signal.reason)) throw signal.reason;
    throw new CtxError(
      "CTX_TIMEOUT",
      `${store} store: ${operation} was not sent: the caller's signal had already aborted. Nothing was applied.`,
      { store, operation },
      { cause: signal.reason },
    );
  };

  /** Runs `work` unless the store is closed; every failure, synchronous or not, is a rejection. */
  function guarded<Result>(operation: string, work: () => Promise<Result>): Promise<Result> {
    if (closed) {
      return Promise.reject(
        new CtxError(
          "CTX_STORE_UNAVAILABLE",
          `${store} store: ${operation}() was called after close().${driver.afterClose ? ` ${driver.afterClose}` : ""}`,
          { store, operation },
        ),
      );
    }
    try {
      return work();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  const wrapped: OnlineStore = {
    name: store,

    read(batch, options) {
      return guarded("read", () => {
        options?.signal?.throwIfAborted();
        checkReadBatch(store, batch);
        for (let index = 0; index < batch.records.length; index++) {
          checkReadRequest(store, batch.records[index], index);
          checkTenancy(batch.records[index], `read request #${index}`);
        }
        checkWatermarkFields(store, batch.watermarks);
        checkReadTenants(store, batch.tenants);
        if (batch.tenants !== undefined && batch.tenants.length > 0)
          checkTenancy({ tenant: batch.tenants[0] }, "read() tenants");
        return driver.read(batch, options);
      });
    },

    write(writes, options) {
      return guarded("write", () => {
        refuseAborted(options?.signal, "write");
        checkRequestArray(store, writes, "write", "ValueWrite");
        // Everything is checked before the driver sees any of it: a bad item writes nothing.
        for (let index = 0; index < writes.length; index++) {
          const write = writes[index] as ValueWrite;
          const label = `write #${index}`;
          checkRecordAddress(store, write, label);
          checkTenancy(write, label);
          checkTtl(store, write.ttlMs, label);
          checkEnvelope(store, write.envelope, label);
        }
        return driver.write(writes, options);
      });
    },

    append(appends, options) {
      return guarded("append", () => {
        refuseAborted(options?.signal, "append");
        checkRequestArray(store, appends, "append", "WindowAppend");
        for (let index = 0; index < appends.length; index++) {
          const append = appends[index] as WindowAppend;
          const label = `append #${index}`;
          checkRecordAddress(store, append, label);
          checkTenancy(append, label);
          checkTtl(store, append.ttlMs, label);
          checkWindowAppend(store, append, index, label);
          checkEnvelope(store, append.event, label);
        }
        return driver.append(appends, options);
      });
    },

    setWatermark(field, time, options) {
      return guarded("setWatermark", () => {
        refuseAborted(options?.signal, "setWatermark");
        checkWatermarkRaise(store, field, time);
        return driver.setWatermark(field, time, options);
      });
    },

    delete(addresses) {
      return guarded("delete", () => {
        checkRequestArray(store, addresses, "delete", "RecordAddress");
        addresses.forEach((address, index) => {
          checkRecordAddress(store, address, `delete #${index}`);
          checkTenancy(address, `delete #${index}`);
        });
        return driver.delete(addresses);
      });
    },

    close() {
      closed = true;
      closing ??= (async () => driver.close())();
      return closing;
    },
  };

  if (tenancy) (wrapped as { tenancy?: boolean }).tenancy = true;
  const forget = driver.forget;
  if (forget) {
    wrapped.forget = (entities) =>
      guarded("forget", () => {
        checkRequestArray(store, entities, "forget", "EntityAddress");
        entities.forEach((address, index) => {
          for (const part of ["entity", "key"] as const) {
            if (typeof address?.[part] !== "string" || address[part].length === 0) {
              throw new CtxError(
                "CTX_INVALID_REQUEST",
                `${store} store: forget #${index} has ${part} ${JSON.stringify(address?.[part])}; entity and key must be non-empty strings.`,
                { store, index, part },
              );
            }
          }
          checkTenancy(address, `forget #${index}`);
        });
        return forget.call(driver, entities);
      });
  }
  carryDriverMembers(wrapped, driver, DRIVER_METHODS);
  return wrapped as DefinedOnlineStore<Driver>;
}
