// Extra reads that ride in the store's read pipeline: hash fields of keys outside ctxstore's own
// layout (e.g. the hashes a Python Feast deployment materialized), fetched with one HMGET each in
// the same round trip as the assembly's own reads. The store sends them with its own commands (one
// pipeline on a standalone server; one per Cluster node, in parallel) and hands back their raw
// replies; interpreting the bytes is the caller's job. Read-only by construction: HMGET is the only
// command an extension can add.
import { CtxError, type OnlineReadBatch, type OnlineReadResult } from "@ctxstore/core/store";
import { Command } from "ioredis";
import type { CommandReply, PipelinedCommand } from "./connection.js";

/** One HMGET: a key (binary-safe) and the fields to read from it. */
export interface HashFieldRead {
  readonly key: Buffer | string;
  readonly fields: ReadonlyArray<Buffer | string>;
}

/**
 * A read's reply: the field values in request order (null when absent), or the server's error for
 * this command alone (e.g. WRONGTYPE when the key holds no hash), so one bad key fails only the
 * values it carries. A lost connection still rejects the whole read.
 */
export type HashFieldReply =
  | { readonly values: ReadonlyArray<Buffer | null>; readonly error?: undefined }
  | { readonly error: string; readonly values?: undefined };

/**
 * What `readWithExtras` returns: the ordinary online read, plus one reply per extra hash read (used by
 * `@ctxstore/feast` to read Feast rows in the same round trip).
 */
export interface ReadWithExtrasResult {
  readonly online: OnlineReadResult;
  /** One reply per extra read, in request order. */
  readonly extras: readonly HashFieldReply[];
}

/** What a store offering extra reads adds to `OnlineStore` (see `redisStore`). */
export interface ExtraReadStore {
  /**
   * `read(batch)` plus `extras`, all in one pipelined round trip. `batch` may hold no records (only
   * extras are read then).
   */
  readWithExtras(
    batch: OnlineReadBatch,
    extras: readonly HashFieldRead[],
    options?: { signal?: AbortSignal },
  ): Promise<ReadWithExtrasResult>;
}

/** True when `store` can carry extra reads in its read pipeline. */
export function supportsExtraReads(store: unknown): store is ExtraReadStore {
  return (
    typeof store === "object" &&
    store !== null &&
    typeof (store as { readWithExtras?: unknown }).readWithExtras === "function"
  );
}

/** Pipeline commands for the extra reads (appended after the store's own). */
export function extraReadCommands(extras: readonly HashFieldRead[]): PipelinedCommand[] {
  return extras.map(({ key, fields }) => ({
    key,
    // ioredis' pipelines are Pipeline instances; its typings only show the chainable commands.
    add: (pipeline) =>
      (pipeline as unknown as { sendCommand(command: Command): unknown }).sendCommand(
        new EncodedHmget(key, fields),
      ),
  }));
}

/**
 * HMGET with binary arguments, encoded here instead of by ioredis. ioredis encodes a command with
 * any Buffer argument piece by piece (three pieces per argument, each measured twice), which for
 * the ~30 four-byte field names of a few Feast views cost several times the rest of the command.
 * Callers pass the same Buffers on every read (a Feast source's precomputed field names, a cached
 * entity key), so each argument's RESP encoding is kept per Buffer, next to a private copy of its
 * bytes that is compared on every use: a Buffer changed in place is encoded again, never sent
 * stale. A caller that also passes the same `fields` array again gets the whole command's bytes
 * back without concatenating them anew, once every argument has been checked the same way.
 * Subclassing Command and overriding toWritable is what ioredis' own Script does. The key stays the
 * command's argument, so ioredis finds its Cluster slot; the bytes are sent as given (no keyPrefix).
 */
class EncodedHmget extends Command {
  readonly #bytes: Buffer;

  constructor(key: Buffer | string, fields: ReadonlyArray<Buffer | string>) {
    super("hmget", [key], { replyEncoding: null });
    this.#bytes = encodeHmget(key, fields);
  }

  override toWritable(): Buffer {
    return this.#bytes;
  }
}

const commands = new WeakMap<object, { readonly segments: readonly Buffer[]; readonly bytes: Buffer }>();

function encodeHmget(key: Buffer | string, fields: ReadonlyArray<Buffer | string>): Buffer {
  const keySegment = bulk(key);
  const known = commands.get(fields);
  if (
    known !== undefined &&
    known.segments.length === fields.length + 1 &&
    known.segments[0] === keySegment
  ) {
    let same = true;
    for (let index = 0; index < fields.length && same; index++)
      same = bulk(fields[index] as Buffer | string) === known.segments[index + 1];
    if (same) return known.bytes;
  }
  const segments = [keySegment];
  for (const field of fields) segments.push(bulk(field));
  const bytes = Buffer.concat([
    Buffer.from(`*${fields.length + 2}\r\n$5\r\nHMGET\r\n`, "latin1"),
    ...segments,
  ]);
  commands.set(fields, { segments, bytes });
  return bytes;
}

const encodings = new WeakMap<Buffer, { readonly source: Buffer; readonly bulk: Buffer }>();

/** One argument as a RESP bulk string: `$<length>\r\n<bytes>\r\n`. */
function bulk(argument: Buffer | string): Buffer {
  if (typeof argument === "string") return encodeBulk(Buffer.from(argument, "utf8"));
  const known = encodings.get(argument);
  if (known?.source.equals(argument)) return known.bulk;
  const encoded = encodeBulk(argument);
  encodings.set(argument, { source: Buffer.from(argument), bulk: encoded });
  return encoded;
}

function encodeBulk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`, "latin1"), bytes, CRLF]);
}

const CRLF = Buffer.from("\r\n", "latin1");

/** The replies of the extra reads, which start at `offset` in the pipeline's replies. */
export function extraReadReplies(
  replies: readonly CommandReply[],
  offset: number,
  count: number,
): HashFieldReply[] {
  const out: HashFieldReply[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const reply = replies[offset + index];
    if (reply === undefined) out[index] = { error: "no reply" };
    else if (reply.error) out[index] = { error: reply.error.message };
    else out[index] = { values: reply.value as Array<Buffer | null> };
  }
  return out;
}

/** Checks the shape of extra reads before anything is sent. */
export function checkExtraReads(extras: unknown): asserts extras is readonly HashFieldRead[] {
  const valid =
    Array.isArray(extras) &&
    extras.every(
      (read) =>
        read !== null &&
        typeof read === "object" &&
        (Buffer.isBuffer(read.key) || (typeof read.key === "string" && read.key.length > 0)) &&
        Array.isArray(read.fields) &&
        read.fields.length > 0 &&
        read.fields.every((field: unknown) => Buffer.isBuffer(field) || typeof field === "string"),
    );
  if (!valid) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      "redis store: readWithExtras() takes [{ key: Buffer | string, fields: [Buffer | string, ...] }, ...] (at least one field each).",
      { store: "redis" },
    );
  }
}
