// A bounded cache for the hot path of every request (token counts of recurring lines, decoded Redis
// records). Eviction is second-chance ("clock"): a hit only sets a flag on the entry, it never moves
// it. A classic LRU deletes and re-inserts on every hit, which stores a freshly allocated key string
// in a long-lived Map: V8 then has to keep those young strings alive and promote them, and on the
// serving path that was the bulk of the garbage collector's pauses (a ~2.5 ms scavenge every ~200
// assemblies, most of assemble.redis' p99). Bounded by a weight (entries, or bytes).

interface Slot<Value> {
  readonly key: string;
  value: Value;
  weight: number;
  /** Set by a hit; the next eviction pass spares the entry once and clears it. */
  used: boolean;
}

export class BoundedCache<Value> {
  private readonly slots = new Map<string, Slot<Value>>();
  private total = 0;

  /**
   * @param capacity the largest total weight kept
   * @param weigh an entry's weight (default 1: capacity counts entries)
   */
  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: Value, key: string) => number = () => 1,
  ) {}

  get(key: string): Value | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

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
      this.slots.set(key, { key, value, weight, used: false });
      this.total += weight;
    }
    this.evict();
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.total -= slot.weight;
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
      const oldest = this.slots.values().next().value as Slot<Value>;
      this.slots.delete(oldest.key);
      // Every entry can be spared at most once per pass, so this ends.
      if (oldest.used && spared < this.slots.size + 1) {
        oldest.used = false;
        this.slots.set(oldest.key, oldest);
        spared++;
      } else {
        this.total -= oldest.weight;
      }
    }
  }
}
