// A small producer for the ingest stream: validates the envelope of each event (source, key, JSON
// value, event time and id) and publishes a batch with one pipelined XADD round trip.
import { CtxError } from "@ctxstore/core";
import { openClient, type RedisConnectionOptions, withDeadline } from "../connection.js";
import { encodeStreamEvent, type StreamEvent } from "./wire.js";

export interface StreamProducerOptions extends RedisConnectionOptions {
  /** Stream key the ingest worker consumes. */
  stream: string;
  /** Cap the stream near this many entries (XADD MAXLEN ~). Default: uncapped. */
  maxLength?: number;
}

export interface StreamProducer {
  /** Publishes events in order; resolves with their stream entry ids. */
  publish(events: StreamEvent | readonly StreamEvent[]): Promise<string[]>;
  close(): Promise<void>;
}

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
  const connection = openClient(options, "stream producer");
  const { client } = connection;
  const trim = options.maxLength === undefined ? [] : ["MAXLEN", "~", String(options.maxLength)];
  return {
    async publish(events) {
      const list = Array.isArray(events) ? (events as readonly StreamEvent[]) : [events as StreamEvent];
      // Encode everything first: one bad event publishes nothing.
      const encoded = list.map(encodeStreamEvent);
      if (encoded.length === 0) return [];
      const pipeline = client.pipeline();
      for (const fields of encoded) pipeline.xadd(options.stream, ...trim, "*", ...fields);
      const results = await withDeadline(
        pipeline.exec(),
        connection.commandTimeoutMs,
        undefined,
        "stream producer: XADD",
      );
      return (results ?? []).map(([error, id]) => {
        if (error) {
          throw new CtxError(
            "CTX_STORE_UNAVAILABLE",
            `stream producer: XADD to ${options.stream} failed: ${error.message}. Events before it in the batch were published.`,
            {},
            { cause: error },
          );
        }
        return String(id);
      });
    },
    async close() {
      if (!connection.owned) return;
      await withDeadline(
        client.quit(),
        connection.commandTimeoutMs,
        undefined,
        "stream producer: close",
      ).catch(() => undefined);
      client.disconnect();
    },
  };
}
