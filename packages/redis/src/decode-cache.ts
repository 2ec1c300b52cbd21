// Decoded records of recent reads, keyed by where they live and validated by their exact bytes. A
// hot entity (the same user across a conversation) is read on every request, but its profile changes
// rarely: when Redis returns the same bytes as last time, the frozen envelopes decoded then are handed
// out again instead of parsing the JSON anew. Every read still goes to Redis, so freshness, deletes
// and expiry are never served from here; only the decoding is skipped. Bounded by bytes.
import { BoundedCache } from "@ctxstore/core/store";

export class DecodeCache<Result> {
  // Weighted by blob bytes; second-chance eviction, so a hit never re-inserts (see BoundedCache).
  private readonly entries: BoundedCache<{ blob: Buffer; result: Result }>;

  constructor(private readonly maxBytes: number) {
    this.entries = new BoundedCache(maxBytes, (entry) => entry.blob.length);
  }

  /** The cached result when `blob` is byte-identical to the one it was decoded from. */
  get(key: string, blob: Buffer): Result | undefined {
    const entry = this.entries.get(key);
    return entry?.blob.equals(blob) ? entry.result : undefined;
  }

  /** Stores a decoded result; `result` must be deeply frozen (it is shared by later reads). */
  set(key: string, blob: Buffer, result: Result): void {
    if (this.maxBytes <= 0 || blob.length > this.maxBytes / 4) return;
    // A copy: reply buffers can be slices of a much larger socket chunk that we must not pin.
    this.entries.set(key, { blob: Buffer.from(blob), result });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Freezes plain decoded data all the way down (objects and arrays from JSON or msgpack). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value as Record<string, unknown>)) deepFreeze(field);
  }
  return value;
}
