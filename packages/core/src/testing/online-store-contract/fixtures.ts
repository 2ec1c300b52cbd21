// Shared helpers of the OnlineStore contract suite: addresses and envelopes to write, typed accessors for
// read results, and the reference window model the suite checks append outcomes against.
import type { Envelope } from "../../envelope.js";
import type { AppendOutcome, ReadResult, RecordAddress, WindowAppend } from "../../stores/types.js";

export function recordAt(entity: string, key: string, field: string): RecordAddress {
  return { entity, key, field };
}

export type EnvelopeFields = { -readonly [Name in keyof Envelope]?: Envelope[Name] };

/** An envelope at `eventTime`, with `writeTime` defaulting to it and `value` to a small object. */
export function envelopeAt(eventTime: number, fields: EnvelopeFields = {}): Envelope {
  return { value: { at: eventTime }, eventTime, writeTime: eventTime, schemaVersion: 1, ...fields };
}

export function storedEnvelope(result: ReadResult | undefined): Envelope | undefined {
  if (result?.kind !== "value") throw new Error(`expected a value result, got ${JSON.stringify(result)}`);
  return result.envelope;
}

export function storedEvents(result: ReadResult | undefined): readonly Envelope[] {
  if (result?.kind !== "window") throw new Error(`expected a window result, got ${JSON.stringify(result)}`);
  return result.events;
}

export function addressId(address: RecordAddress): string {
  return JSON.stringify([address.entity, address.key, address.field]);
}

/** Window order from the contract: event time, then event id. */
export function windowOrder(left: Envelope, right: Envelope): number {
  if (left.eventTime !== right.eventTime) return left.eventTime - right.eventTime;
  const leftId = left.eventId ?? "";
  const rightId = right.eventId ?? "";
  return leftId < rightId ? -1 : leftId > rightId ? 1 : 0;
}

/** The append outcomes the contract prescribes for `appends` applied in order to empty windows. */
export function expectedAppendOutcomes(appends: readonly WindowAppend[]): AppendOutcome[] {
  const windows = new Map<string, Envelope[]>();
  return appends.map(({ event, window, ...address }) => {
    const kept = windows.get(addressId(address)) ?? [];
    if (kept.some((existing) => existing.eventId === event.eventId))
      return { applied: false, reason: "duplicate" };
    const merged = [...kept, event].sort(windowOrder);
    const next = merged.slice(-window);
    windows.set(addressId(address), next);
    return next.includes(event) ? { applied: true } : { applied: false, reason: "outside-window" };
  });
}

/** Splits `items` into consecutive batches of the given sizes (the last size repeats). */
export function chunk<Item>(items: readonly Item[], sizes: readonly number[]): Item[][] {
  const batches: Item[][] = [];
  let start = 0;
  for (let index = 0; start < items.length; index++) {
    const size = sizes[Math.min(index, sizes.length - 1)] ?? 1;
    batches.push(items.slice(start, start + size));
    start += size;
  }
  return batches;
}

/** Fisher-Yates with Math.random: arrival orders differ per run, and every order must pass. */
export function shuffle<Item>(items: readonly Item[]): Item[] {
  const shuffled = [...items];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other] as Item, shuffled[index] as Item];
  }
  return shuffled;
}

/** Runs a mutation that a store may legitimately refuse (frozen objects throw in strict mode). */
export function attemptMutation(mutate: () => void): void {
  try {
    mutate();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}
