// Persistence for the embedded vector store: one append-only JSON-lines log per directory. Every
// upsert/delete is appended before the call resolves; opening a directory replays the log. Vectors
// are base64 of little-endian float32 (a third larger than raw, a fifth of decimal JSON). A torn
// last line (the process died mid-write) is dropped on open; corruption anywhere else refuses to
// load rather than silently losing chunks. Opening compacts the log when most of it is dead entries.
import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readFile, rename, stat, truncate, unlink } from "node:fs/promises";
import { endianness } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CtxError } from "../errors.js";
import type { StoredRecord } from "./flat-index.js";
import type { VectorRecord } from "./types.js";

const FORMAT = "ctxstore-vectors";
const FORMAT_VERSION = 1;
const LOG_FILE = "vectors.jsonl";
const LOCK_FILE = "vectors.lock";

export type LogEntry =
  | { op: "upsert"; record: VectorRecord }
  | { op: "delete"; documentId: string; tenant: string | undefined };

export interface VectorLog {
  readonly path: string;
  /** Entries replayed on open (live + dead): the store compacts when most are dead. */
  readonly replayedEntries: number;
  appendUpserts(records: readonly VectorRecord[]): Promise<void>;
  appendDelete(documentId: string, tenant: string | undefined): Promise<void>;
  /** Rewrites the log from the live records (write to a temporary file, then rename over). */
  compact(live: Iterable<{ record: StoredRecord; vector: Float32Array }>): Promise<void>;
  close(): Promise<void>;
}

interface Header {
  format: typeof FORMAT;
  version: number;
  dimensions: number;
  multiTenant: boolean;
  /** Id of the embedder the vectors came from, when the store was told (older logs: absent). */
  embedder?: string;
}

export interface LogSettings {
  dimensions: number;
  multiTenant: boolean;
  embedder: string | undefined;
}

// Fast paths copy whole byte ranges on little-endian machines (all mainstream ones); the per-float
// DataView path keeps the format portable.
const LITTLE_ENDIAN = endianness() === "LE";

export function encodeVector(vector: ArrayLike<number>): string {
  const floats = vector instanceof Float32Array ? vector : Float32Array.from(vector);
  if (LITTLE_ENDIAN)
    return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString("base64");
  const bytes = Buffer.alloc(floats.length * 4);
  for (let index = 0; index < floats.length; index++) bytes.writeFloatLE(floats[index] as number, index * 4);
  return bytes.toString("base64");
}

export function decodeVector(encoded: string, dimensions: number): Float32Array {
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== dimensions * 4) {
    throw new Error(`vector holds ${bytes.length / 4} dimensions, expected ${dimensions}`);
  }
  const vector = new Float32Array(dimensions);
  if (LITTLE_ENDIAN) new Uint8Array(vector.buffer).set(bytes);
  else for (let index = 0; index < dimensions; index++) vector[index] = bytes.readFloatLE(index * 4);
  return vector;
}

function upsertLine(record: VectorRecord | StoredRecord, vector: ArrayLike<number>): string {
  const { vector: _ignored, ...rest } = record as VectorRecord;
  return `${JSON.stringify({ op: "upsert", record: rest, vector: encodeVector(vector) })}\n`;
}

/**
 * Opens (or creates) the log in `directory`, replaying existing entries through `apply` in order.
 * Throws `CTX_DIMENSION_MISMATCH` when the directory was written with another vector size, and
 * `CTX_CONFIG` when it was written with another tenancy mode or is corrupt.
 */
export async function openVectorLog(
  directory: string,
  settings: LogSettings,
  apply: (entry: LogEntry) => void,
  options: { readOnly?: boolean } = {},
): Promise<VectorLog> {
  const path = join(directory, LOG_FILE);
  if (options.readOnly) {
    const exists = await stat(path).then(
      (info) => info.size > 0,
      () => false,
    );
    // A missing index is not an empty one: answering [] would read as "no relevant documents".
    if (!exists) {
      throw new CtxError(
        "CTX_STORE_UNAVAILABLE",
        `No vector store in ${directory} (expected ${LOG_FILE}); index documents into it first, or fix the path.`,
        {
          path,
        },
      );
    }
    const replayed = await replay(path, settings, apply, { repair: false });
    const refuse = async (): Promise<never> => {
      throw new CtxError(
        "CTX_CONFIG",
        `Vector store directory ${directory} is open read-only; open it without { readOnly: true } to write.`,
      );
    };
    return {
      path,
      replayedEntries: replayed.entries,
      appendUpserts: refuse,
      appendDelete: refuse,
      compact: refuse,
      close: async () => {},
    };
  }

  await mkdir(directory, { recursive: true });
  const releaseLock = await acquireLock(directory);
  try {
    const exists = await stat(path).then(
      (info) => info.size > 0,
      () => false,
    );
    let entries = 0;
    let effective = settings;
    if (exists) {
      const replayed = await replay(path, settings, apply, { repair: true });
      entries = replayed.entries;
      // Keep the recorded embedder when this opener did not name one (compaction rewrites the header).
      if (settings.embedder === undefined && replayed.embedder !== undefined)
        effective = { ...settings, embedder: replayed.embedder };
    } else {
      await writeFresh(path, effective, []);
    }
    let handle: FileHandle = await open(path, "a");
    return {
      path,
      replayedEntries: entries,
      async appendUpserts(records) {
        let chunk = "";
        for (const record of records) chunk += upsertLine(record, record.vector);
        await handle.write(chunk);
      },
      async appendDelete(documentId, tenant) {
        await handle.write(
          `${JSON.stringify({ op: "delete", documentId, ...(tenant !== undefined && { tenant }) })}\n`,
        );
      },
      async compact(live) {
        await handle.close();
        await writeFresh(path, effective, live);
        handle = await open(path, "a");
      },
      async close() {
        await handle.close();
        await releaseLock();
      },
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

/**
 * One writing store per directory: two writers would each replay, append and compact over the
 * other's entries. The lock file holds the writer's pid; a lock left by a process that no longer
 * exists (a crash) is taken over.
 */
async function acquireLock(directory: string): Promise<() => Promise<void>> {
  const lockPath = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.write(String(process.pid));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(lockPath).catch(() => {});
      };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new CtxError(
          "CTX_CONFIG",
          `Vector store directory ${directory} is already open for writing (process ${holder}${holder === process.pid ? ", this one" : ""}). Close that store first, or open this one with { readOnly: true } to query.`,
          { directory, pid: holder },
        );
      }
      await unlink(lockPath).catch(() => {});
    }
  }
  throw new CtxError(
    "CTX_CONFIG",
    `Could not lock vector store directory ${directory}; another process keeps taking it.`,
    { directory },
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

async function writeFresh(
  path: string,
  settings: LogSettings,
  live: Iterable<{ record: StoredRecord; vector: Float32Array }>,
): Promise<void> {
  const temporary = `${path}.${process.pid}.compacting`;
  const handle = await open(temporary, "w");
  try {
    const header: Header = {
      format: FORMAT,
      version: FORMAT_VERSION,
      dimensions: settings.dimensions,
      multiTenant: settings.multiTenant,
      ...(settings.embedder !== undefined && { embedder: settings.embedder }),
    };
    let chunk = `${JSON.stringify(header)}\n`;
    for (const { record, vector } of live) {
      chunk += upsertLine(record, vector);
      if (chunk.length > 1 << 20) {
        await handle.write(chunk);
        chunk = "";
      }
    }
    await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

async function replay(
  path: string,
  settings: LogSettings,
  apply: (entry: LogEntry) => void,
  options: { repair: boolean },
): Promise<{ entries: number; embedder: string | undefined }> {
  const corrupt = (line: number, why: string) =>
    new CtxError(
      "CTX_CONFIG",
      `Vector store log ${path} is corrupt at line ${line} (${why}). Restore it from a backup or delete it and re-index.`,
      {
        path,
        line,
      },
    );
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNumber = 0;
  let goodBytes = 0;
  let pendingError: { line: number; why: string } | undefined;
  let entries = 0;
  let header: Header | undefined;
  for await (const line of lines) {
    lineNumber++;
    // A bad line followed by more lines is corruption; a bad LAST line is a torn write (dropped).
    if (pendingError) throw corrupt(pendingError.line, pendingError.why);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      pendingError = { line: lineNumber, why: "not JSON" };
      continue;
    }
    if (!header) {
      header = parsed as unknown as Header;
      if (header.format !== FORMAT || header.version !== FORMAT_VERSION) {
        throw corrupt(1, `not a ${FORMAT} v${FORMAT_VERSION} header`);
      }
      if (header.dimensions !== settings.dimensions) {
        throw new CtxError(
          "CTX_DIMENSION_MISMATCH",
          `Vector store directory ${path} holds vectors of ${header.dimensions} dimensions, expected ${settings.dimensions}. Open it with { dimensions: ${header.dimensions} } or use another directory.`,
          { path, expected: settings.dimensions, actual: header.dimensions },
        );
      }
      if (
        header.embedder !== undefined &&
        settings.embedder !== undefined &&
        header.embedder !== settings.embedder
      ) {
        throw new CtxError(
          "CTX_CONFIG",
          `Vector store directory ${path} was indexed with embedder "${header.embedder}", not "${settings.embedder}": vectors of different models are not comparable. Re-index into another directory, or query with "${header.embedder}".`,
          { path, expected: header.embedder, actual: settings.embedder },
        );
      }
      if (header.multiTenant !== settings.multiTenant) {
        throw new CtxError(
          "CTX_CONFIG",
          `Vector store directory ${path} was written with multiTenant: ${header.multiTenant}; open it with the same setting.`,
          { path },
        );
      }
    } else if (
      parsed.op === "upsert" &&
      typeof parsed.vector === "string" &&
      parsed.record &&
      typeof parsed.record === "object"
    ) {
      let vector: Float32Array;
      try {
        vector = decodeVector(parsed.vector, settings.dimensions);
      } catch (error) {
        pendingError = { line: lineNumber, why: (error as Error).message };
        continue;
      }
      apply({ op: "upsert", record: { ...(parsed.record as StoredRecord), vector } });
      entries++;
    } else if (parsed.op === "delete" && typeof parsed.documentId === "string") {
      apply({
        op: "delete",
        documentId: parsed.documentId,
        tenant: typeof parsed.tenant === "string" ? parsed.tenant : undefined,
      });
      entries++;
    } else {
      pendingError = { line: lineNumber, why: "unknown entry" };
      continue;
    }
    goodBytes += Buffer.byteLength(line, "utf8") + 1;
  }
  lines.close();
  if (!header) throw corrupt(1, "missing header");
  // A read-only opener never modifies the file: a torn tail may be a writer mid-append.
  if (!options.repair) return { entries, embedder: header.embedder };
  if (pendingError) {
    // Drop the torn tail so the next append starts on a clean line.
    await truncate(path, goodBytes);
  } else {
    // A log whose last line lacks its newline (torn exactly at the end) must not swallow the next entry.
    const handle = await open(path, "r+");
    try {
      const { size } = await handle.stat();
      if (size > goodBytes) await handle.truncate(goodBytes);
      else if (size < goodBytes) await handle.write("\n", size);
    } finally {
      await handle.close();
    }
  }
  return { entries, embedder: header.embedder };
}
