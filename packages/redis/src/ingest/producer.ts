// A small producer for the ingest stream: validates the envelope of each event (source, key, JSON
// value, event time and id) and publishes a batch with one pipelined XADD round trip.
import { CtxError, type Duration, isCtxError, parseDuration } from "@ctxstore/core";
import {
  closeClient,
  downNote,
  failOnConnectionLoss,
  openClient,
  type RedisConnectionOptions,
  unavailableReason,
  withDeadline,
} from "../connection.js";
import { runWrites } from "../durable.js";
import { encodeStreamEvent, type StreamEvent } from "./wire.js";

/** Options of `createStreamProducer`: the connection, the stream key and an optional length cap. */
export interface StreamProducerOptions extends RedisConnectionOptions {
  /** Stream key the ingest worker consumes. */
  stream: string;
  /** Cap the stream near this many entries (XADD MAXLEN ~). Default: uncapped. */
  maxLength?: number;
  /**
   * `"multi"`: the stream feeds a multi-tenant context store, so an event without `tenant` is refused
   * here (`CTX_TENANT_REQUIRED`, nothing of the batch published) instead of being dead-lettered by the
   * worker. `"single"`: an event with a tenant is refused. Default: not checked here (the worker does).
   */
  tenancy?: "single" | "multi";
}

/** A bound for one `publish` (a request path publishing within its own deadline). */
export interface PublishOptions {
  /**
   * Longest the publish may take ("250ms" or milliseconds); at it, `CTX_TIMEOUT` (the events may or
   * may not have been published). Default: the producer's command timeout (the write timeout in the
   * durable mode).
   */
  deadline?: Duration | undefined;
  /** Abandons the publish when it aborts (a request's `signal`), with the same outcome. */
  signal?: AbortSignal | undefined;
}

/** Publishes ctxstore events to a Redis stream for ingest workers, from `createStreamProducer`. */
export interface StreamProducer {
  /** Publishes events in order; resolves with their stream entry ids. */
  publish(events: StreamEvent | readonly StreamEvent[], options?: PublishOptions): Promise<string[]>;
  /** Closes the producer's connection (never a client you passed in). */
  close(): Promise<void>;
}

/**
 * The signal one publish runs under: aborted at `deadlineMs` (with a reason that says what that
 * means) or when the caller's `signal` aborts; `release` stops the timer.
 */
function callBound(
  deadlineMs: number | undefined,
  signal: AbortSignal | undefined,
): { signal: AbortSignal | undefined; release: () => void } {
  if (deadlineMs === undefined) return { signal, release: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new CtxError(
          "CTX_TIMEOUT",
          `stream producer: publish did not finish within its deadline of ${deadlineMs}ms, so the events may or may not have been published. Publish again (event ids deduplicate a replay).`,
          { deadlineMs },
        ),
      ),
    deadlineMs,
  );
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * A producer of events for `createStreamIngestor`: each `publish` is one XADD per event, in order,
 * encoded with the source, key, value, event time and event id. Throws `CTX_CONFIG` for a missing
 * stream key or bad connection settings; a failed publish rejects with a `CtxError` (e.g.
 * `CTX_STORE_UNAVAILABLE`, or `CTX_TIMEOUT` past a publish's `deadline`), never silently.
 *
 * ```ts
 * const producer = createStreamProducer({ url, stream: "ctx:events" });
 * await producer.publish({ source: recent, key: { sessionId: "s9" }, value: event, eventTime: Date.now(), eventId: "e1" });
 * ```
 */
export function createStreamProducer(options: StreamProducerOptions): StreamProducer {
  if (typeof options.stream !== "string" || options.stream.length === 0) {
    throw new CtxError(
      "CTX_CONFIG",
      'stream producer: `stream` must be the stream key, e.g. "ctx:events".',
      {},
    );
  }
  if (
    options.maxLength !== undefined &&
    (!Number.isSafeInteger(options.maxLength) || options.maxLength < 1)
  ) {
    throw new CtxError(
      "CTX_CONFIG",
      `stream producer: maxLength must be a positive integer; got ${String(options.maxLength)}.`,
      {},
    );
  }
  if (options.tenancy !== undefined && options.tenancy !== "single" && options.tenancy !== "multi") {
    throw new CtxError(
      "CTX_CONFIG",
      `stream producer: tenancy must be "single" or "multi"; got ${JSON.stringify(options.tenancy)}.`,
      {},
    );
  }
  const connection = openClient(options, "stream producer");
  const { client } = connection;
  const trim = options.maxLength === undefined ? [] : ["MAXLEN", "~", String(options.maxLength)];
  /** A raw client error (ioredis' "Reached the max retries per request limit", ...) as a CtxError. */
  const publishing = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (isCtxError(error)) throw error;
      throw new CtxError(
        "CTX_STORE_UNAVAILABLE",
        `stream producer: XADD to ${options.stream} failed (${error instanceof Error ? error.message : String(error)}), so whether the events were published is unknown. Publish again shortly (event ids deduplicate a replay).`,
        {},
        { cause: error },
      );
    });
  /** The event's tenant against the declared tenancy (its format is checked when it is encoded). */
  const checkTenancy = (event: StreamEvent, index: number) => {
    const tenant = (event as { tenant?: unknown } | undefined)?.tenant;
    if (options.tenancy === "multi" && tenant === undefined) {
      throw new CtxError(
        "CTX_TENANT_REQUIRED",
        `stream producer: event #${index} has no \`tenant\`, and this stream feeds a multi-tenant context store (tenancy: "multi"); nothing was published. Pass the tenant the event belongs to.`,
        { index },
      );
    }
    if (options.tenancy === "single" && tenant !== undefined) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `stream producer: event #${index} carries a tenant, but this stream feeds a single-tenant context store (tenancy: "single"); nothing was published. Leave tenant out.`,
        { index },
      );
    }
  };
  return {
    async publish(events, publishOptions) {
      const deadlineMs =
        publishOptions?.deadline === undefined
          ? undefined
          : parseDuration(publishOptions.deadline, "stream producer: publish deadline");
      const signal = publishOptions?.signal;
      if (signal?.aborted) {
        throw new CtxError(
          "CTX_TIMEOUT",
          `stream producer: nothing was published to ${options.stream}: the caller's signal had already aborted.`,
          {},
          { cause: signal.reason },
        );
      }
      const list = Array.isArray(events) ? (events as readonly StreamEvent[]) : [events as StreamEvent];
      // Encode everything first: one bad event publishes nothing.
      list.forEach(checkTenancy);
      const encoded = list.map(encodeStreamEvent);
      if (encoded.length === 0) return [];
      const blocked = unavailableReason(client) ?? connection.blockedReason();
      if (blocked !== undefined) {
        throw new CtxError(
          "CTX_STORE_UNAVAILABLE",
          `stream producer: nothing was published to ${options.stream}: ${blocked}. Publish again shortly.`,
          {},
        );
      }
      const what = `stream producer: XADD to ${options.stream}`;
      const bound = callBound(deadlineMs, signal);
      const replies = await publishing(
        withDeadline(
          failOnConnectionLoss(
            connection.writer,
            runWrites(
              connection,
              encoded.map((fields) => ({
                key: options.stream,
                add: (pipeline) => pipeline.xadd(options.stream, ...trim, "*", ...fields),
              })),
              what,
            ),
            what,
          ),
          // With durability the WAIT is part of the call (its timeout is below writeTimeoutMs).
          connection.durability === undefined ? connection.commandTimeoutMs : connection.writeTimeoutMs,
          bound.signal,
          what,
        ).finally(bound.release),
      );
      return replies.map(({ error, value: id }) => {
        if (error) {
          throw new CtxError(
            "CTX_STORE_UNAVAILABLE",
            `stream producer: XADD to ${options.stream} failed: ${error.message}${downNote(client)}. Events before it in the batch were published.`,
            {},
            { cause: error },
          );
        }
        return String(id);
      });
    },
    async close() {
      connection.closeWatch();
      if (!connection.owned) return;
      await closeClient(client, connection.commandTimeoutMs, "stream producer: close");
    },
  };
}
