// Decoded records of recent reads, keyed by where they live and validated by their exact bytes. A
// hot entity (the same user across a conversation) is read on every request, but its profile changes
// rarely: when Redis returns the same bytes as last time, the frozen envelopes decoded then are handed
// out again instead of parsing the JSON anew. Every read still goes to Redis, so freshness, deletes
// and expiry are never served from here; only the decoding is skipped. Bounded by bytes, LRU.

export class DecodeCache<Result> {
  private readonly entries = new Map<string, { blob: Buffer; result: Result }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The cached result when `blob` is byte-identical to the one it was decoded from. */
  get(key: string, blob: Buffer): Result | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || !entry.blob.equals(blob)) return undefined;
    // Refresh recency.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.result;
  }

  /** Stores a decoded result; `result` must be deeply frozen (it is shared by later reads). */
  set(key: string, blob: Buffer, result: Result): void {
    if (this.maxBytes <= 0 || blob.length > this.maxBytes / 4) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.bytes -= previous.blob.length;
      this.entries.delete(key);
    }
    // A copy: reply buffers can be slices of a much larger socket chunk that we must not pin.
    this.entries.set(key, { blob: Buffer.from(blob), result });
    this.bytes += blob.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.blob.length;
    }
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
