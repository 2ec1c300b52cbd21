// Record blobs: how envelopes are laid out inside a Redis hash field. A small fixed binary header holds
// what the server-side Lua scripts compare (event time, write time, event id), so last-write-wins and
// window merges never decode the body; the body holds the rest of the envelope, encoded with msgpack
// (chosen by measurement, see docs/redis.md) or JSON, tagged by its first byte so either decodes.
//
//   value  : "v" 0x01 | eventTime f64 BE | writeTime f64 BE | body
//   window : "w" 0x01 | entry*   (event time ascending, then event id)
//   entry  : eventTime f64 BE | idLength u16 BE | eventId utf8 | bodyLength u32 BE | body
//   body   : codec byte (0x01 msgpack, 0x02 json) | encoded { v, s, e?, r?, w?, i? }
//
// Why JSON bodies by default: for the text-heavy envelopes ctxstore stores (a 500-token profile plus
// its rendered lines), msgpack saves ~2% of bytes but encodes ~4x and decodes ~6x slower in V8
// than JSON.stringify/JSON.parse (bench/index.ts prints the figures). msgpack stays available.
//
// Decoding never throws: a blob that does not parse is reported with a reason (the store turns it
// into `{ kind: "invalid", reason }` for that record only).
import type { Envelope, RenderedText } from "@ctxstore/core";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";

/**
 * How stored value bodies are encoded: `json` (the store's default, readable with redis-cli) or
 * `msgpack` (smaller). Both always decode.
 */
export type BodyCodec = "msgpack" | "json";

const VALUE_TAG = 0x76; // "v"
const WINDOW_TAG = 0x77; // "w"
const FORMAT_VERSION = 0x01;
const CODEC_BYTE: Record<BodyCodec, number> = { msgpack: 0x01, json: 0x02 };
const VALUE_HEADER = 18;
export const WINDOW_HEADER = Buffer.from([WINDOW_TAG, FORMAT_VERSION]);

/** The body: the envelope minus what the binary header carries. Short names keep blobs small. */
interface Body {
  /** value */
  v: unknown;
  /** schema version */
  s: number;
  /** empty: the reason, or true without one */
  e?: string | true;
  /** rendered text */
  r?: RenderedText;
  /** write time (window entries; values carry it in the header) */
  w?: number;
  /** event id (values only; window entries carry it in the entry header) */
  i?: string;
}

/**
 * Encodes `body` behind a header of `headerBytes` (left for the caller to fill) in one buffer; for
 * JSON bodies the text is written straight into it, without an intermediate buffer and copy.
 */
function encodeBody(
  body: Body,
  requested: BodyCodec,
  headerBytes: number,
): { out: Buffer; bodyBytes: number } {
  // msgpack strings are UTF-8 and would replace lone surrogates; JSON escapes them (\ud800) exactly.
  if (requested === "msgpack" && !hasIllFormedString(body)) {
    const encoded = msgpackEncode(body, { ignoreUndefined: true });
    const out = Buffer.allocUnsafe(headerBytes + 1 + encoded.length);
    out[headerBytes] = CODEC_BYTE.msgpack;
    out.set(encoded, headerBytes + 1);
    return { out, bodyBytes: encoded.length + 1 };
  }
  const json = JSON.stringify(body);
  const bodyBytes = Buffer.byteLength(json) + 1;
  const out = Buffer.allocUnsafe(headerBytes + bodyBytes);
  out[headerBytes] = CODEC_BYTE.json;
  out.write(json, headerBytes + 1, "utf8");
  return { out, bodyBytes };
}

const LONE_SURROGATE = /\p{Cs}/u;

function hasIllFormedString(value: unknown): boolean {
  if (typeof value === "string") return LONE_SURROGATE.test(value);
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(hasIllFormedString);
  return Object.entries(value).some(
    ([name, field]) => LONE_SURROGATE.test(name) || hasIllFormedString(field),
  );
}

function bodyOf(envelope: Envelope, forWindow: boolean): Body {
  const body: Body = { v: envelope.value, s: envelope.schemaVersion };
  if (envelope.empty === true) body.e = envelope.emptyReason ?? true;
  if (envelope.rendered !== undefined) body.r = envelope.rendered;
  if (forWindow) body.w = envelope.writeTime;
  else if (envelope.eventId !== undefined) body.i = envelope.eventId;
  return body;
}

/**
 * The value record, behind `room` bytes left for the caller (the store puts the script argument's
 * header there, so the record is never copied into a second buffer).
 */
export function encodeValue(envelope: Envelope, codec: BodyCodec, room = 0): Buffer {
  const { out } = encodeBody(bodyOf(envelope, false), codec, room + VALUE_HEADER);
  out[room] = VALUE_TAG;
  out[room + 1] = FORMAT_VERSION;
  out.writeDoubleBE(envelope.eventTime, room + 2);
  out.writeDoubleBE(envelope.writeTime, room + 10);
  return out;
}

export function encodeWindowEntry(event: Envelope, codec: BodyCodec): Buffer {
  const id = event.eventId ?? "";
  const idBytes = Buffer.byteLength(id);
  const { out, bodyBytes } = encodeBody(bodyOf(event, true), codec, 14 + idBytes);
  out.writeDoubleBE(event.eventTime, 0);
  out.writeUInt16BE(idBytes, 8);
  out.write(id, 10, "utf8");
  out.writeUInt32BE(bodyBytes, 10 + idBytes);
  return out;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export function recordKind(blob: Buffer): "value" | "window" | "unknown" {
  if (blob.length >= 2 && blob[1] === FORMAT_VERSION) {
    if (blob[0] === VALUE_TAG) return "value";
    if (blob[0] === WINDOW_TAG) return "window";
  }
  return "unknown";
}

export function decodeValue(blob: Buffer): Decoded<Envelope> {
  const kind = recordKind(blob);
  if (kind === "window") return fail("the field holds a stream window, but it was read as a batch value");
  if (kind !== "value" || blob.length < VALUE_HEADER + 2)
    return fail(`not a ctxstore value record (${describeBlob(blob)})`);
  const eventTime = blob.readDoubleBE(2);
  const writeTime = blob.readDoubleBE(10);
  const body = decodeBody(blob.subarray(VALUE_HEADER));
  if (!body.ok) return body;
  return toEnvelope(body.value, eventTime, writeTime, body.value.i);
}

export function decodeWindow(blob: Buffer): Decoded<Envelope[]> {
  const kind = recordKind(blob);
  if (kind === "value") return fail("the field holds a batch value, but it was read as a stream window");
  if (kind !== "window") return fail(`not a ctxstore window record (${describeBlob(blob)})`);
  const events: Envelope[] = [];
  let position = 2;
  while (position < blob.length) {
    if (position + 14 > blob.length) return fail(`window entry ${events.length} is truncated`);
    const eventTime = blob.readDoubleBE(position);
    const idLength = blob.readUInt16BE(position + 8);
    const idEnd = position + 10 + idLength;
    if (idEnd + 4 > blob.length) return fail(`window entry ${events.length} is truncated`);
    const eventId = blob.toString("utf8", position + 10, idEnd);
    const bodyLength = blob.readUInt32BE(idEnd);
    const bodyEnd = idEnd + 4 + bodyLength;
    if (bodyEnd > blob.length) return fail(`window entry ${events.length} is truncated`);
    const body = decodeBody(blob.subarray(idEnd + 4, bodyEnd));
    if (!body.ok) return fail(`window entry ${events.length}: ${body.reason}`);
    const writeTime = body.value.w;
    if (typeof writeTime !== "number" || !Number.isFinite(writeTime)) {
      return fail(`window entry ${events.length} has no numeric write time`);
    }
    const envelope = toEnvelope(body.value, eventTime, writeTime, eventId);
    if (!envelope.ok) return fail(`window entry ${events.length}: ${envelope.reason}`);
    events.push(envelope.value);
    position = bodyEnd;
  }
  return { ok: true, value: events };
}

function decodeBody(bytes: Buffer): Decoded<Body> {
  if (bytes.length < 2) return fail("the envelope body is empty");
  let decoded: unknown;
  try {
    if (bytes[0] === CODEC_BYTE.msgpack) decoded = msgpackDecode(bytes.subarray(1));
    else if (bytes[0] === CODEC_BYTE.json) decoded = JSON.parse(bytes.toString("utf8", 1));
    else return fail(`unknown body codec byte 0x${(bytes[0] as number).toString(16)}`);
  } catch (error) {
    return fail(
      `the envelope body does not decode (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (decoded === null || typeof decoded !== "object" || Array.isArray(decoded))
    return fail("the envelope body is not an object");
  const body = decoded as Record<string, unknown>;
  if (!("v" in body)) return fail("the envelope body has no value");
  if (typeof body.s !== "number" || !Number.isInteger(body.s))
    return fail("the envelope body has no integer schema version");
  if (body.e !== undefined && body.e !== true && typeof body.e !== "string")
    return fail("the envelope's empty marker is malformed");
  if (body.i !== undefined && typeof body.i !== "string")
    return fail("the envelope's event id is not a string");
  if (body.r !== undefined) {
    const problem = renderedProblem(body.r);
    if (problem !== undefined) return fail(`the envelope's rendered text is malformed: ${problem}`);
  }
  return { ok: true, value: body as unknown as Body };
}

function renderedProblem(rendered: unknown): string | undefined {
  if (rendered === null || typeof rendered !== "object") return "not an object";
  const { kind, lines, tokens } = rendered as Record<string, unknown>;
  if (kind !== "text" && kind !== "list") return `kind ${JSON.stringify(kind)}`;
  if (!Array.isArray(lines) || !lines.every((line) => typeof line === "string"))
    return "lines are not strings";
  if (tokens === null || typeof tokens !== "object") return "tokens is not an object";
  for (const [encoding, counts] of Object.entries(tokens)) {
    if (
      !Array.isArray(counts) ||
      counts.length !== lines.length ||
      !counts.every((count) => Number.isInteger(count) && count >= 0)
    ) {
      return `token counts for ${encoding} do not match the lines`;
    }
  }
  return undefined;
}

function toEnvelope(
  body: Body,
  eventTime: number,
  writeTime: number,
  eventId: string | undefined,
): Decoded<Envelope> {
  if (!Number.isFinite(eventTime) || !Number.isFinite(writeTime))
    return fail("the record's event or write time is not a finite number");
  const envelope: {
    -readonly [K in keyof Envelope]: Envelope[K];
  } = { value: body.v, eventTime, writeTime, schemaVersion: body.s };
  if (body.e !== undefined) {
    envelope.empty = true;
    if (typeof body.e === "string") envelope.emptyReason = body.e;
  }
  if (eventId !== undefined) envelope.eventId = eventId;
  if (body.r !== undefined) envelope.rendered = body.r;
  return { ok: true, value: envelope };
}

function describeBlob(blob: Buffer): string {
  const preview = blob
    .subarray(0, 16)
    .toString("utf8")
    .replace(/[^\x20-\x7e]/g, "?");
  return `${blob.length} bytes starting ${JSON.stringify(preview)}`;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
