// The durable write mode's settings: how many replicas must hold a write before it is acknowledged,
// and how long to wait for them. Checked once, when a store, producer or ingest worker is created;
// durable.ts sends the writes.
import { CtxError } from "@ctxstore/core";

/**
 * The `durability` option: acknowledge a write only once `replicas` replicas hold it (Redis `WAIT`),
 * so an acknowledged write survives the loss of its primary.
 */
export interface DurabilityOptions {
  /**
   * Replicas that must hold a write before it is acknowledged (`WAIT <replicas> <timeoutMs>`).
   * With Sentinel or Cluster, 1 means: an acknowledged write survives `kill -9` of its primary.
   */
  replicas: number;
  /** Longest wait for them; then the call fails (the write may still have been applied). Default 500 ms. */
  timeoutMs?: number;
}

/** Checked durability settings, as the store applies them (`timeoutMs` in milliseconds). */
export interface Durability {
  readonly replicas: number;
  readonly timeoutMs: number;
}

export function parseDurability(
  value: DurabilityOptions | undefined,
  writeTimeoutMs: number,
  component: string,
): Durability | undefined {
  if (value === undefined) return undefined;
  const replicas = value?.replicas;
  const timeoutMs = value?.timeoutMs ?? 500;
  if (!Number.isSafeInteger(replicas) || replicas < 1) {
    throw new CtxError(
      "CTX_CONFIG",
      `${component}: durability.replicas must be a positive integer (the replicas that must hold a write before it is acknowledged); got ${String(replicas)}. Leave durability out for Redis' default asynchronous replication.`,
      { replicas },
    );
  }
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs >= writeTimeoutMs) {
    throw new CtxError(
      "CTX_CONFIG",
      `${component}: durability.timeoutMs must be a positive integer below writeTimeoutMs (${writeTimeoutMs}); got ${String(timeoutMs)}.`,
      { timeoutMs, writeTimeoutMs },
    );
  }
  return { replicas, timeoutMs };
}
