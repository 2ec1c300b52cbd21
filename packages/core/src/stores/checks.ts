// Input checks every OnlineStore makes on the requests it is handed, so that all stores reject the
// same bad input with the same typed errors (the contract suite tests them). `defineOnlineStore`
// applies them all; a store written without the wrapper calls them itself.
import type { Envelope } from "../envelope.js";
import { CtxError } from "../errors.js";
import { jsonDataProblem } from "./json-data.js";
import type { OnlineReadBatch, ReadRequest, RecordAddress, WindowAppend } from "./types.js";

/** `store` names the implementation in messages ("memory", "redis"). */
export function checkRequestArray(store: string, items: unknown, operation: string, itemType: string): void {
  if (!Array.isArray(items)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: ${operation}() takes an array of ${itemType}.`,
      {
        store,
        operation,
      },
    );
  }
}

/**
 * Throws `CTX_INVALID_REQUEST` unless `address` has non-empty string `entity`, `key` and `field`;
 * `label` names the item in the message ("write 3").
 */
export function checkRecordAddress(store: string, address: RecordAddress | undefined, label: string): void {
  for (const part of ["entity", "key", "field"] as const) {
    const value = address?.[part];
    if (typeof value !== "string" || value.length === 0) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `${store} store: ${label} has ${part} ${JSON.stringify(value)}; entity, key and field must be non-empty strings.`,
        { store, label, part },
      );
    }
  }
}

/** Throws `CTX_INVALID_REQUEST` unless `ttlMs` is absent or a positive, finite number of milliseconds. */
export function checkTtl(store: string, ttlMs: number | undefined, label: string): void {
  if (ttlMs !== undefined && (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: ${label} has ttlMs ${String(ttlMs)}; use a positive number of milliseconds, or leave it out for no expiry.`,
      { store, label, ttlMs },
    );
  }
}

const ENVELOPE_NUMBERS = ["eventTime", "writeTime", "schemaVersion"] as const;

/** The envelope contract: an object with finite times and version, a value (null when empty), JSON data only. */
export function checkEnvelope(store: string, envelope: Envelope | undefined, label: string): void {
  if (envelope === null || typeof envelope !== "object") {
    throw new CtxError("CTX_INVALID_VALUE", `${store} store: ${label} has no envelope object.`, {
      store,
      label,
    });
  }
  for (const field of ENVELOPE_NUMBERS) {
    if (typeof envelope[field] !== "number" || !Number.isFinite(envelope[field])) {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `${store} store: ${label} has ${field} ${String(envelope[field])}; it must be a finite number (epoch ms for times).`,
        { store, label, [field]: envelope[field] },
      );
    }
  }
  if (envelope.value === undefined) {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `${store} store: ${label} has value undefined; store null for an empty value (with empty: true).`,
      { store, label },
    );
  }
  const problem = jsonDataProblem(envelope, "envelope");
  if (problem !== undefined) {
    throw new CtxError("CTX_INVALID_VALUE", `${store} store: ${label}: ${problem}; nothing was written.`, {
      store,
      label,
    });
  }
}

/** A read batch: `{ records: ReadRequest[], watermarks?: string[] }`. */
export function checkReadBatch(store: string, batch: OnlineReadBatch): void {
  if (batch === null || typeof batch !== "object" || !Array.isArray(batch.records)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: read() takes { records: ReadRequest[], watermarks?: string[] }.`,
      { store },
    );
  }
}

/** One read request: an address plus kind "value" (batch) or "window" (stream). */
export function checkReadRequest(
  store: string,
  request: ReadRequest | undefined,
  index: number,
): asserts request is ReadRequest {
  if (request === undefined || (request.kind !== "value" && request.kind !== "window")) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: read request #${index} has kind ${JSON.stringify(request?.kind)}; use "value" (batch) or "window" (stream).`,
      { store, index },
    );
  }
  checkRecordAddress(store, request, `read request #${index}`);
}

/** A window append's own fields: a positive integer window, and a non-empty string eventId (the dedupe key). */
export function checkWindowAppend(store: string, append: WindowAppend, index: number, label: string): void {
  if (!Number.isSafeInteger(append.window) || append.window < 1) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: ${label} has window ${String(append.window)}; the window size must be a positive integer.`,
      { store, index, window: append.window },
    );
  }
  const eventId = append.event?.eventId;
  if (typeof eventId !== "string" || eventId.length === 0) {
    throw new CtxError(
      "CTX_INVALID_EVENT",
      `${store} store: ${label} to ${append.entity} ${append.key} ${append.field} has no eventId; stream events need a non-empty string eventId so retries are deduplicated.`,
      { store, index, entity: append.entity, key: append.key, field: append.field },
    );
  }
}

/** The watermarks a read asks for: when given, an array of non-empty source fields. */
export function checkWatermarkFields(store: string, fields: unknown): void {
  if (fields === undefined) return;
  if (!Array.isArray(fields) || fields.some((field) => typeof field !== "string" || field.length === 0)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: read() watermarks must be an array of non-empty source fields (strings), e.g. ["recent_activity@1"].`,
      { store },
    );
  }
}

/** The tenants a read asks about: when given, an array of non-empty strings. */
export function checkReadTenants(store: string, tenants: unknown): void {
  if (tenants === undefined) return;
  if (
    !Array.isArray(tenants) ||
    tenants.some((tenant) => typeof tenant !== "string" || tenant.length === 0)
  ) {
    throw new CtxError(
      "CTX_INVALID_TENANT",
      `${store} store: read() tenants must be an array of non-empty tenant ids (strings), e.g. ["acme"].`,
      { store },
    );
  }
}

/** A watermark raise: a non-empty source field and a finite epoch-ms time. */
export function checkWatermarkRaise(store: string, field: unknown, time: unknown): void {
  if (typeof field !== "string" || field.length === 0) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: setWatermark() needs a non-empty source field.`,
      {
        store,
      },
    );
  }
  if (typeof time !== "number" || !Number.isFinite(time)) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${store} store: setWatermark("${field}", ${String(time)}) needs a finite epoch-ms time.`,
      { store, field },
    );
  }
}
