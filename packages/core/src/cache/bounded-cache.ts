// A bounded cache for the hot path of every request (token counts of recurring lines, decoded Redis
// records). Eviction is second-chance ("clock"): a hit only sets a flag on the entry, it never moves
// it. A classic LRU deletes and re-inserts on every hit, which stores a freshly allocated key string
// in a long-lived Map: V8 then has to keep those young strings alive and promote them, and on the
// serving path that was the bulk of the garbage collector's pauses (a ~2.5 ms scavenge every ~200
// assemblies, most of assemble.redis' p99). Bounded by a weight (entries, or bytes).
//
// The eviction order is an explicit queue, not the Map's insertion order: a Map keeps deleted entries
// as holes until it rehashes, so asking it for its oldest entry after many evictions walks every hole
// first, and a stream of one-off keys (materializing 200,000 unique lines) made each insert O(holes).

interface Slot<Value> {
  readonly key: string;
  value: Value;
  weight: number;
  /** Set by a hit; the next eviction pass spares the entry once and clears it. */
  used: boolean;
  /** False once deleted or evicted: its place in the queue is skipped. */
  live: boolean;
}

/** Queue slots consumed before the queue is compacted (amortised O(1) per operation). */
const COMPACT_AFTER = 64;

/**
 * A cache bounded by total weight (entries by default, or bytes with a `weigh` function), with
 * second-chance ("clock") eviction: a hit sets a flag instead of moving the entry, so the hot path
 * allocates nothing. Not thread-shared; one per store instance.
 */
export class BoundedCache<Value> {
  private readonly slots = new Map<string, Slot<Value>>();
  /** Oldest first, from `head`; may hold dead slots, which are skipped. */
  private queue: Array<Slot<Value>> = [];
  private head = 0;
  private total = 0;

  /**
   * @param capacity the largest total weight kept
   * @param weigh an entry's weight (default 1: capacity counts entries)
   */
  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: Value, key: string) => number = () => 1,
  ) {}

  /** The value kept for `key` (marking it recently used), or undefined. */
  get(key: string): Value | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  /** Whether `key` is kept, without counting as a hit. */
  has(key: string): boolean {
    return this.slots.has(key);
  }

  /**
   * Keeps `value` for `key`, evicting older entries until the total weight fits `capacity`. A value
   * heavier than `capacity` is not kept, and any older value for the key is dropped.
   */
  set(key: string, value: Value): void {
    const weight = this.weigh(value, key);
    if (weight > this.capacity) {
      // Too heavy to keep: an older value for the key must not be served in its place.
      this.delete(key);
      return;
    }
    const existing = this.slots.get(key);
    if (existing !== undefined) {
      this.total += weight - existing.weight;
      existing.value = value;
      existing.weight = weight;
      existing.used = true;
    } else {
      const slot = { key, value, weight, used: false, live: true };
      this.slots.set(key, slot);
      this.queue.push(slot);
      this.total += weight;
    }
    this.evict();
  }

  /** Forgets `key` (no-op when it is not kept). */
  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    slot.live = false;
    this.total -= slot.weight;
    // Deletes without evictions would otherwise grow the queue with dead slots forever.
    if (this.queue.length - this.head > 2 * this.slots.size + COMPACT_AFTER) {
      this.queue = this.queue.filter((queued, index) => index >= this.head && queued.live);
      this.head = 0;
    }
  }

  get size(): number {
    return this.slots.size;
  }

  get weight(): number {
    return this.total;
  }

  /** Oldest first; a used entry is moved to the back once (its flag cleared) instead of evicted. */
  private evict(): void {
    let spared = 0;
    while (this.total > this.capacity) {
      const oldest = this.queue[this.head] as Slot<Value>;
      this.head++;
      if (oldest.live) {
        // Every entry can be spared at most once per pass, so this ends.
        if (oldest.used && spared < this.slots.size) {
          oldest.used = false;
          this.queue.push(oldest);
          spared++;
        } else {
          oldest.live = false;
          this.slots.delete(oldest.key);
          this.total -= oldest.weight;
        }
      }
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
