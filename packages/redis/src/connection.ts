// Opening and talking to Redis: builds an ioredis client from a URL, a Cluster node list or a Sentinel
// group (or adopts the caller's own client), with short, configurable command timeouts and reconnect
// backoff, and runs groups of commands as pipelines: one pipeline for a standalone server, one per
// Cluster node (in parallel) otherwise, so a batch costs one network round trip either way.
import { CtxError, isCtxError } from "@ctxstore/core";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { type Durability, type DurabilityOptions, parseDurability } from "./durability.js";
import { clusterGate, existingClusterGate, guardSentinelClient, type SentinelGuard } from "./failover.js";
import { clusterSlot } from "./layout.js";
import { guardSockets } from "./socket-guard.js";

/** An ioredis client: a standalone/Sentinel `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * How a store, producer or ingest worker connects: your own client, a `url`, Cluster nodes or a
 * Sentinel group, with ioredis options, timeouts (ms), reconnect backoff and durability.
 */
export interface RedisConnectionOptions {
  /** Your own ioredis `Redis` or `Cluster` instance; the store never closes it. */
  client?: RedisClient;
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url?: string;
  /** Redis Cluster startup nodes, plus ioredis ClusterOptions. */
  cluster?: { nodes: ReadonlyArray<{ host: string; port: number } | string>; options?: ClusterOptions };
  /** Sentinel-managed primary: the sentinels and the monitored name. */
  sentinel?: {
    sentinels: ReadonlyArray<{ host: string; port: number }>;
    name: string;
    /** Extra ioredis options (password, sentinelPassword, tls...). */
    options?: RedisOptions;
  };
  /** Extra ioredis options for a `url` connection. */
  redisOptions?: RedisOptions;
  /**
   * Longest wait for one store operation (a read pipeline, a write batch) before it fails with
   * `CTX_TIMEOUT`. Default 1000 ms. Requests usually carry a tighter deadline of their own.
   */
  commandTimeoutMs?: number;
  /**
   * Longest wait for one write batch (pipelined Lua scripts; ingest batches can hold thousands of
   * events). Default 5000 ms.
   */
  writeTimeoutMs?: number;
  /** Longest wait for a TCP connection. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect backoff after a lost connection: doubles from `minDelayMs` up to `maxDelayMs`. Default 50 / 2000 ms. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /**
   * Acknowledge a write only once this many replicas hold it (`WAIT`; see docs/redis.md "Durable
   * writes"). Default: none, Redis' asynchronous replication (a `kill -9` of the primary can lose
   * the last acknowledged writes).
   */
  durability?: DurabilityOptions;
  /**
   * How the client avoids nodes that must not be used. Sentinel: `watchSentinels` (default true)
   * stops every command from the moment a failover starts until the client is connected to the new
   * primary, and `roleCheckMs` (default 1000, 0 = off) probes `ROLE` as a backstop. Cluster:
   * `failFast` (default true) rejects commands for a master whose connection is down at once instead
   * of waiting for the promotion.
   */
  failover?: { watchSentinels?: boolean; roleCheckMs?: number; failFast?: boolean };
}

export interface OpenedClient {
  readonly client: RedisClient;
  readonly owned: boolean;
  /** For messages: "redis://127.0.0.1:6380", "cluster 127.0.0.1:7000,...", "sentinel ctxstore". */
  readonly description: string;
  readonly commandTimeoutMs: number;
  readonly writeTimeoutMs: number;
  /** The durable write mode, when configured. */
  readonly durability: Durability | undefined;
  /**
   * The connection writes go through: `client`, or in the durable mode a second connection of its
   * own, because `WAIT` blocks its connection and reads queued behind it would wait as long.
   */
  readonly writer: RedisClient;
  /** Last connection error event seen (ioredis reports them as events). */
  lastError(): Error | undefined;
  /** Why no command may be sent now (a Sentinel failover in progress), or undefined. */
  blockedReason(): string | undefined;
  /**
   * Stops the failover watch (its sentinel subscriptions) and closes the durable mode's writer
   * connection; `client` itself is the caller's to close.
   */
  closeWatch(): void;
}

export function openClient(options: RedisConnectionOptions, component: string): OpenedClient {
  const given = (["client", "url", "cluster", "sentinel"] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length !== 1) {
    throw new CtxError(
      "CTX_CONFIG",
      `${component}: pass exactly one of \`client\`, \`url\`, \`cluster\` or \`sentinel\`; got ${given.length === 0 ? "none" : given.join(", ")}. Example: redisStore({ url: "redis://127.0.0.1:6379" }).`,
      { given },
    );
  }
  const commandTimeoutMs = positive(options.commandTimeoutMs, 1_000, "commandTimeoutMs", component);
  const writeTimeoutMs = positive(options.writeTimeoutMs, 5_000, "writeTimeoutMs", component);
  // ioredis' own per-command timer is the backstop for the longest operation; reads are bounded
  // sooner by the store's own deadline (commandTimeoutMs / the caller's signal).
  const clientTimeoutMs = Math.max(commandTimeoutMs, writeTimeoutMs) + 50;
  const connectTimeoutMs = positive(options.connectTimeoutMs, 2_000, "connectTimeoutMs", component);
  const minDelayMs = positive(options.reconnect?.minDelayMs, 50, "reconnect.minDelayMs", component);
  const maxDelayMs = positive(options.reconnect?.maxDelayMs, 2_000, "reconnect.maxDelayMs", component);
  const retryStrategy = (attempt: number) =>
    Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt - 1, 16));
  const durability = parseDurability(options.durability, writeTimeoutMs, component);
  const watchSentinels = options.failover?.watchSentinels ?? true;
  const roleCheckMs = options.failover?.roleCheckMs ?? 1_000;
  if (!Number.isFinite(roleCheckMs) || roleCheckMs < 0) {
    throw new CtxError(
      "CTX_CONFIG",
      `${component}: failover.roleCheckMs must be a number of milliseconds (0 turns the check off); got ${String(roleCheckMs)}.`,
      {},
    );
  }
  /** The parts of OpenedClient every kind of connection shares. */
  const opened = (client: RedisClient, owned: boolean, description: string): OpenedClient => {
    const writer =
      durability === undefined
        ? client
        : track((isCluster(client) ? client.duplicate() : client.duplicate()) as RedisClient);
    let guard: SentinelGuard | undefined;
    if (!isCluster(client) && watchSentinels && (client.options as RedisOptions).sentinels?.length) {
      guard = guardSentinelClient([client, writer as Redis], { maxFenceMs: 15_000, roleCheckMs });
    }
    if (options.failover?.failFast !== false) {
      if (isCluster(client)) clusterGate(client);
      if (isCluster(writer)) clusterGate(writer);
    }
    return {
      client,
      owned,
      description,
      commandTimeoutMs,
      writeTimeoutMs,
      durability,
      writer,
      lastError: () => lastError,
      blockedReason: () =>
        guard?.blockedReason() ?? (writer === client ? undefined : unavailableReason(writer)),
      closeWatch: () => {
        guard?.close();
        if (writer !== client) writer.disconnect();
      },
    };
  };
  const common: RedisOptions = {
    // So commands to a hung server leave ioredis' queue instead of piling up.
    commandTimeout: clientTimeoutMs,
    connectTimeout: connectTimeoutMs,
    // Commands caught by a disconnect fail after one reconnect attempt instead of twenty: callers
    // (assemble, the ingest worker) have their own deadline and retry policy.
    maxRetriesPerRequest: 1,
    retryStrategy,
  };
  let lastError: Error | undefined;
  const track = (client: RedisClient) => {
    // Without a listener ioredis prints every connection error; the store reports them on use instead.
    const record = (error: Error) => {
      lastError = error;
      lastErrors.set(client, error);
    };
    client.on("error", record);
    // A socket's second error (ioredis hears only the first) must not become an uncaught exception.
    guardSockets(client, record);
    // Down from a lost connection until the client is ready again (see unavailableReason).
    client.on("close", () => lostConnections.add(client));
    client.on("ready", () => lostConnections.delete(client));
    return client;
  };
  if (options.client !== undefined) {
    const client = options.client;
    if (typeof (client as { pipeline?: unknown }).pipeline !== "function") {
      throw new CtxError(
        "CTX_CONFIG",
        `${component}: \`client\` must be an ioredis Redis or Cluster instance.`,
        {},
      );
    }
    return opened(client, false, isCluster(client) ? "cluster (your client)" : "redis (your client)");
  }
  if (options.url !== undefined) {
    if (typeof options.url !== "string" || !/^rediss?:\/\//.test(options.url)) {
      throw new CtxError(
        "CTX_CONFIG",
        `${component}: url ${JSON.stringify(options.url)} must look like redis://host:port.`,
        {},
      );
    }
    const client = track(
      new Redis(options.url, { ...common, ...options.redisOptions, replyMapping: "legacy" }),
    );
    return opened(client, true, redactUrl(options.url));
  }
  if (options.cluster !== undefined) {
    const nodes = options.cluster.nodes;
    if (!Array.isArray(nodes) || nodes.length === 0) {
      throw new CtxError(
        "CTX_CONFIG",
        `${component}: cluster.nodes must list at least one startup node ({ host, port }).`,
        {},
      );
    }
    const client = track(
      new Cluster(nodes as Array<{ host: string; port: number } | string>, {
        clusterRetryStrategy: retryStrategy,
        ...options.cluster.options,
        redisOptions: {
          commandTimeout: clientTimeoutMs,
          connectTimeout: connectTimeoutMs,
          maxRetriesPerRequest: 1,
          ...options.cluster.options?.redisOptions,
          replyMapping: "legacy",
        },
      }),
    );
    const first = nodes[0];
    const label = typeof first === "string" ? first : `${first?.host}:${first?.port}`;
    return opened(client, true, `cluster ${label}${nodes.length > 1 ? ",..." : ""}`);
  }
  const sentinel = options.sentinel as NonNullable<RedisConnectionOptions["sentinel"]>;
  if (
    !Array.isArray(sentinel.sentinels) ||
    sentinel.sentinels.length === 0 ||
    typeof sentinel.name !== "string"
  ) {
    throw new CtxError(
      "CTX_CONFIG",
      `${component}: sentinel needs { sentinels: [{ host, port }, ...], name: "<monitored primary name>" }.`,
      {},
    );
  }
  const client = track(
    new Redis({
      ...common,
      sentinels: sentinel.sentinels.map((address) => ({ host: address.host, port: address.port })),
      name: sentinel.name,
      sentinelRetryStrategy: retryStrategy,
      // ioredis' own failoverDetector stays off: the failover watch (failover.ts) reconnects on
      // +switch-master itself and stops commands from the start of the failover; with the detector
      // on, connections ended for good ("Connection is closed.", status "end") when the primary was
      // killed after an earlier failover (ioredis 6.0.0).
      ...sentinel.options,
      // The store parses RESP2-shaped replies (arrays, string doubles).
      replyMapping: "legacy",
    }),
  );
  return opened(client, true, `sentinel ${sentinel.name}`);
}

function positive(value: number | undefined, fallback: number, name: string, component: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new CtxError(
      "CTX_CONFIG",
      `${component}: ${name} must be a positive number of milliseconds; got ${String(value)}.`,
      { [name]: value },
    );
  }
  return value;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * Clients this package opened whose connection was lost and that have not been ready since. Their
 * status alone does not say so while a reconnect attempt is under way ("connecting", "connect"): a
 * command then waits in ioredis' offline queue for as long as the attempt hangs (a host gone, a
 * half-dead proxy), and the caller got CTX_TIMEOUT after the command timeout instead of a prompt
 * CTX_STORE_UNAVAILABLE. A client that has not connected yet (start-up) still queues.
 */
const lostConnections = new WeakSet<RedisClient>();

/** The last connection error of each client openClient created, for "why is it down" messages. */
const lastErrors = new WeakMap<RedisClient, Error>();

// Node's codes for a TLS peer whose certificate chain or name the client does not accept.
const TLS_TRUST_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * ` (last connection error: ...)` for a message, with what to do when it is a TLS trust failure;
 * "" without an error.
 */
export function connectionErrorNote(error: Error | undefined): string {
  if (error === undefined) return "";
  const code = (error as { code?: unknown }).code;
  const tls =
    typeof code === "string" && TLS_TRUST_CODES.has(code)
      ? ": the server's TLS certificate is not trusted; pass the CA that signed it as redisOptions.tls.ca (Cluster: cluster.options.redisOptions.tls, Sentinel: sentinel.options.tls) and connect with the host name the certificate names"
      : "";
  return ` (last connection error: ${error.message}${tls})`;
}

/** `connectionErrorNote` of the client's last connection error while it is not connected; "" once it is. */
export function downNote(client: RedisClient): string {
  return client.status === "ready" ? "" : connectionErrorNote(lastErrors.get(client));
}

/** Why the client cannot take commands right now (fail fast instead of queueing), or undefined. */
export function unavailableReason(client: RedisClient): string | undefined {
  switch (client.status) {
    case "end":
      return `the connection is closed${connectionErrorNote(lastErrors.get(client))}`;
    case "close":
    case "reconnecting":
      return `the connection was lost and is reconnecting${connectionErrorNote(lastErrors.get(client))}`;
    case "ready":
      return undefined;
    default:
      return lostConnections.has(client)
        ? `the connection was lost and a reconnect attempt is under way${connectionErrorNote(lastErrors.get(client))}`
        : undefined;
  }
}

type Pipeline = ReturnType<Redis["pipeline"]>;

/** One command of a batch: the key that routes it, and how to add it to a pipeline. */
export interface PipelinedCommand {
  /** Binary keys (another system's hashes, see extra-reads.ts) route like string ones. */
  readonly key: string | Buffer;
  add(pipeline: Pipeline): void;
}

export type CommandReply = { error: Error; value?: undefined } | { error?: undefined; value: unknown };

/**
 * Runs the commands as one pipeline (standalone / Sentinel) or one pipeline per Cluster node, in
 * parallel, and returns one reply per command in order. Rejects only when a whole pipeline fails.
 */
export async function runPipelined(
  client: RedisClient,
  commands: readonly PipelinedCommand[],
): Promise<CommandReply[]> {
  const replies: CommandReply[] = new Array(commands.length);
  const groups = groupByNode(client, commands);
  const gate = isCluster(client) ? existingClusterGate(client) : undefined;
  await Promise.all(
    groups.map(async (indexes) => {
      const pipeline = client.pipeline();
      for (const index of indexes) (commands[index] as PipelinedCommand).add(pipeline);
      let sent = pipeline.exec();
      if (gate !== undefined && isCluster(client)) {
        const slot = clusterSlot((commands[indexes[0] as number] as PipelinedCommand).key);
        const owner = client.slots[slot]?.[0];
        if (owner !== undefined) sent = gate.race(owner, slot, sent);
      }
      const results = await sent;
      if (results === null) throw new Error("the pipeline was discarded");
      indexes.forEach((commandIndex, position) => {
        const [error, value] = results[position] ?? [new Error("no reply"), undefined];
        replies[commandIndex] = error ? { error } : { value };
      });
    }),
  );
  return replies;
}

function groupByNode(client: RedisClient, commands: readonly PipelinedCommand[]): number[][] {
  if (!isCluster(client)) return commands.length === 0 ? [] : [commands.map((_, index) => index)];
  // The gate exists only when openClient created it (failover.failFast, the default).
  const gate = existingClusterGate(client);
  const groups = new Map<string, number[]>();
  commands.forEach((command, index) => {
    const slot = clusterSlot(command.key);
    // Same grouping ioredis uses to accept a pipeline: the nodes serving the slot. Before the slot
    // map is known (startup), group per slot; ioredis waits for the map before sending.
    const owners = client.slots[slot];
    if (owners?.[0] !== undefined) gate?.check(owners[0], slot);
    const group = owners && owners.length > 0 ? owners.join(";") : `slot:${slot}`;
    let list = groups.get(group);
    if (list === undefined) {
      list = [];
      groups.set(group, list);
    }
    list.push(index);
  });
  return [...groups.values()];
}

/**
 * Rejects with CTX_STORE_UNAVAILABLE as soon as the client's connection closes while `work` is in
 * flight. ioredis would hold such a command for a retry on the next connection, so the caller got
 * CTX_TIMEOUT once the command timeout ran out; whether it was applied is unknown either way.
 */
export function failOnConnectionLoss<T>(client: RedisClient, work: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onClose = () => {
      reject(
        new CtxError(
          "CTX_STORE_UNAVAILABLE",
          `${what}: the connection was lost while it was in flight, so whether it was applied is unknown; send it again once Redis answers (the client reconnects by itself).`,
          {},
        ),
      );
    };
    client.once("close", onClose);
    work.then(
      (value) => {
        client.off("close", onClose);
        resolve(value);
      },
      (error: unknown) => {
        client.off("close", onClose);
        reject(error);
      },
    );
  });
}

/**
 * Closes a client this package opened: QUIT (so replies in flight arrive) when it is connected,
 * bounded by `timeoutMs`, then drops the socket. A client that is not connected is dropped at once:
 * QUIT would end its socket in the middle of a TLS handshake, and there is nothing to wait for.
 */
export async function closeClient(client: RedisClient, timeoutMs: number, what: string): Promise<void> {
  try {
    if (client.status === "ready") await withDeadline(client.quit(), timeoutMs, undefined, what);
  } catch {
    // A dead or hung server cannot answer QUIT; drop the socket instead.
  } finally {
    client.disconnect();
  }
}

/** Rejects with CTX_TIMEOUT after `timeoutMs`, or when `signal` aborts, whichever first. */
export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      // The caller's own reason (core's "deadline of 250ms passed") says it best.
      if (isCtxError(signal?.reason, "CTX_TIMEOUT")) {
        reject(signal.reason);
        return;
      }
      reject(
        new CtxError(
          "CTX_TIMEOUT",
          `${what} was abandoned: the caller's deadline passed or it was aborted; a write may or may not have been applied.`,
          {},
          { cause: signal?.reason },
        ),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new CtxError(
          "CTX_TIMEOUT",
          `${what} got no answer within ${timeoutMs}ms (commandTimeoutMs). Redis is overloaded, paused or unreachable; raise commandTimeoutMs only if it is merely slow.`,
          { timeoutMs },
        ),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
