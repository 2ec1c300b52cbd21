// The stream entry format shared by the producer helper and the ingest worker. One Redis Stream entry
// is one event, as flat string fields (readable with redis-cli, writable from any language):
//
//   source      source name, e.g. "recent_activity"                      required
//   key         the entity key as JSON, e.g. {"sessionId":"s9"}           required
//   value       the event / value as JSON                                  required unless empty
//   empty       "1": the batch value is positively empty (empty())        batch sources only
//   emptyReason why it is empty                                            optional
//   eventTime   epoch ms or ISO-8601                                       required unless the source derives it
//   eventId     dedupe id                                                  stream sources, unless the source derives it
//   tenant      whose record it is                                         required on a multi-tenant context store
import { CtxError, checkTenantId, type Empty, empty, isEmpty, toEpochMs } from "@ctxstore/core";

/**
 * One event as `publish` takes it: the source, the entity key, the value (an event, or a batch value),
 * and its event time and id.
 */
export interface StreamEvent {
  /** Source name (or the source itself). */
  source: string | { readonly name: string };
  /** Entity key, e.g. `{ sessionId: "s9" }`. */
  key: unknown;
  /** The event (stream sources) or value (batch sources); `empty(reason)` for a positively empty batch value. */
  value: unknown;
  /** When it happened. Required unless the source defines `eventTime`. */
  eventTime?: Date | number | string;
  /** Dedupe id. Required for stream sources unless the source defines `eventId`. */
  eventId?: string;
  /**
   * The tenant the event belongs to: required when the worker's context store is multi-tenant (an
   * event without one is dead-lettered, never applied to some default tenant), refused otherwise.
   */
  tenant?: string;
}

/** Flat field/value list for XADD. Throws CTX_INVALID_EVENT for what can never be ingested. */
export function encodeStreamEvent(event: StreamEvent): string[] {
  const source = typeof event?.source === "string" ? event.source : event?.source?.name;
  if (typeof source !== "string" || source.length === 0) {
    throw new CtxError(
      "CTX_INVALID_EVENT",
      "stream producer: every event needs `source` (a source name or the source).",
      {},
    );
  }
  if (event.key === undefined) {
    throw new CtxError(
      "CTX_INVALID_EVENT",
      `stream producer: the "${source}" event needs \`key\` (the entity key object).`,
      { source },
    );
  }
  const fields = ["source", source, "key", JSON.stringify(event.key)];
  if (isEmpty(event.value)) {
    fields.push("empty", "1");
    if ((event.value as Empty).reason !== undefined)
      fields.push("emptyReason", String((event.value as Empty).reason));
  } else {
    const json = JSON.stringify(event.value);
    if (json === undefined) {
      throw new CtxError(
        "CTX_INVALID_EVENT",
        `stream producer: the "${source}" event's value is not JSON data.`,
        { source },
      );
    }
    fields.push("value", json);
  }
  if (event.eventTime !== undefined)
    fields.push("eventTime", String(toEpochMs(event.eventTime, `eventTime of a "${source}" event`)));
  if (event.eventId !== undefined) {
    if (typeof event.eventId !== "string" || event.eventId.length === 0) {
      throw new CtxError(
        "CTX_INVALID_EVENT",
        `stream producer: the "${source}" event's eventId must be a non-empty string.`,
        { source },
      );
    }
    fields.push("eventId", event.eventId);
  }
  if (event.tenant !== undefined)
    fields.push("tenant", checkTenantId(event.tenant, `stream producer: the "${source}" event`));
  return fields;
}

export interface DecodedStreamEvent {
  readonly source: string;
  readonly key: unknown;
  /** The value, or `empty(reason)`. */
  readonly value: unknown;
  readonly eventTime: number | undefined;
  readonly eventId: string | undefined;
  /** As published; checked by the context store when the event is applied. */
  readonly tenant: string | undefined;
}

/** Parses an entry's fields; a string result is the reason it is invalid. */
export function decodeStreamEvent(fields: readonly string[]): DecodedStreamEvent | string {
  const source = fieldValue(fields, "source");
  if (!source) return "no `source` field";
  const keyText = fieldValue(fields, "key");
  if (keyText === undefined) return `no \`key\` field (source "${source}")`;
  const key = parseJson(keyText);
  if (!key.ok) return `\`key\` is not JSON (${key.reason})`;
  let value: unknown;
  if (fieldValue(fields, "empty") === "1") {
    value = empty(fieldValue(fields, "emptyReason"));
  } else {
    const valueText = fieldValue(fields, "value");
    if (valueText === undefined) return `no \`value\` field (source "${source}")`;
    const parsed = parseJson(valueText);
    if (!parsed.ok) return `\`value\` is not JSON (${parsed.reason})`;
    value = parsed.value;
  }
  let eventTime: number | undefined;
  const timeText = fieldValue(fields, "eventTime");
  if (timeText !== undefined) {
    eventTime = /^-?\d+(\.\d+)?$/.test(timeText) ? Number(timeText) : Date.parse(timeText);
    if (!Number.isFinite(eventTime))
      return `\`eventTime\` ${JSON.stringify(timeText)} is neither epoch ms nor ISO-8601`;
  }
  const eventId = fieldValue(fields, "eventId");
  if (eventId !== undefined && eventId.length === 0) return "`eventId` is empty";
  const tenant = fieldValue(fields, "tenant");
  return { source, key: key.value, value, eventTime, eventId, tenant };
}

/** The value of the field `name` (the last one wins, like a Map): a plain scan, no Map per event. */
function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let index = (fields.length & ~1) - 2; index >= 0; index -= 2) {
    if (fields[index] === name) return fields[index + 1];
  }
  return undefined;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Epoch ms of a stream entry id ("1700000000000-3" -> 1700000000000). */
export function entryTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}
