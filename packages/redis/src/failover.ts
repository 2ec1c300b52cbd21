// Knowing when not to talk to a node: the failover guard for Sentinel and the dead-node gate for
// Cluster.
//
// Sentinel. A graceful failover (`SENTINEL FAILOVER`, or a primary that is slow but alive) leaves the
// old primary running and accepting writes until the sentinels turn it into a replica, up to ~10 s
// later; everything written to it meanwhile is discarded when it re-syncs. ioredis' own
// `failoverDetector` reacts only to `+switch-master`, which comes after the promotion. So the guard
// subscribes to every sentinel and closes the gate at `+try-failover` (the leader publishes it before
// it elects, selects and promotes a replica: at least a few of its 100 ms ticks), which is before the
// old primary stops replicating. While the gate is shut no command (read or write) leaves the client;
// it opens again once the client is connected to the primary the sentinels switched to (or the
// failover was aborted). A `ROLE` probe every `roleCheckMs` is the backstop when sentinel messages
// are missed: a connection that answers as a replica is closed and re-established.
//
// Cluster. ioredis keeps retrying commands for a slot whose master is dead (reconnects, redirections
// with a delay) until the replica is promoted, so a read waits out its whole deadline. The gate marks
// a node down when its connection closes and up when a connection to it is ready again (or a
// background TCP probe, every `probeIntervalMs` while it is down, is accepted). Commands for a node
// known down fail at once, with a slot-map refresh so the promoted replica is found as soon as the
// cluster knows it; commands in flight to a node whose connection closes fail at that moment.
import { connect } from "node:net";
import { CtxError } from "@ctxstore/core";
import { type Cluster, Redis, type RedisOptions } from "ioredis";
import { guardSockets } from "./socket-guard.js";

/** Sentinel events of a failover for one master: which close the gate, which end the failover. */
const FAILOVER_STARTS = ["+try-failover", "+failover-detected"];
const FAILOVER_ABORTS = [
  "-failover-abort-not-elected",
  "-failover-abort-no-good-slave",
  "-failover-abort-slave-timeout",
  "+failover-end-for-timeout",
];
const SWITCH = "+switch-master";

export interface SentinelGuard {
  /** Why no command may be sent now, or undefined when the client is talking to the primary. */
  blockedReason(): string | undefined;
  close(): void;
}

export interface SentinelGuardOptions {
  /** Longest time the gate stays shut without a `+switch-master` or an abort. Default 15000 ms. */
  maxFenceMs: number;
  /** Period of the `ROLE` backstop; 0 disables it. Default 1000 ms. */
  roleCheckMs: number;
  /** Told when the gate closes or opens (tests, logs). */
  onChange?: (state: { blocked: boolean; reason: string }) => void;
}

/**
 * Watches the sentinels of `client` (an ioredis Sentinel connection) and says when commands must
 * not go out. The subscriber connections reuse the client's sentinel credentials and TLS settings.
 */
export function guardSentinelClient(clients: readonly Redis[], options: SentinelGuardOptions): SentinelGuard {
  const client = clients[0] as Redis;
  const all = [...new Set(clients)];
  const settings = client.options as RedisOptions;
  const masterName = settings.name as string;
  let blocked: { reason: string; since: number; switchedTo?: { host: string; port: number } } | undefined;
  let closed = false;

  let lastReconnect = 0;
  /**
   * Re-establishes the connections that are up but on the wrong node. Only ready ones: disconnecting
   * a connection while ioredis is still asking the sentinels for the primary would end it for good
   * (ioredis 6.0.0 then fails the connect with "Connection is closed." and stops reconnecting).
   */
  const reconnectStray = (target?: { host: string; port: number }) => {
    const now = Date.now();
    if (now - lastReconnect < 250) return;
    lastReconnect = now;
    for (const each of all) {
      if (each.status === "ready" && (target === undefined || !connectedTo(each, target)))
        each.disconnect(true);
    }
  };
  const shut = (reason: string, switchedTo?: { host: string; port: number }) => {
    const wasOpen = blocked === undefined;
    blocked = { reason, since: blocked?.since ?? Date.now(), ...(switchedTo ? { switchedTo } : {}) };
    if (wasOpen) options.onChange?.({ blocked: true, reason });
  };
  const open = (reason: string) => {
    if (blocked === undefined) return;
    blocked = undefined;
    options.onChange?.({ blocked: false, reason });
  };

  const subscribers = (settings.sentinels ?? []).map((address) => {
    const subscriber = new Redis({
      host: address.host ?? "127.0.0.1",
      port: address.port ?? 26379,
      ...(settings.sentinelUsername ? { username: settings.sentinelUsername } : {}),
      ...(settings.sentinelPassword ? { password: settings.sentinelPassword } : {}),
      ...(settings.sentinelTLS ? { tls: settings.sentinelTLS } : {}),
      connectTimeout: settings.connectTimeout ?? 2_000,
      retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)),
      maxRetriesPerRequest: null,
      lazyConnect: false,
    });
    subscriber.on("error", () => {});
    guardSockets(subscriber);
    subscriber.subscribe(...FAILOVER_STARTS, ...FAILOVER_ABORTS, SWITCH).catch(() => undefined);
    subscriber.on("message", (channel: string, message: string) => {
      if (closed) return;
      const words = message.split(" ");
      if (channel === SWITCH) {
        // "<name> <old-ip> <old-port> <new-ip> <new-port>"
        if (words[0] !== masterName) return;
        const switchedTo = { host: words[3] as string, port: Number(words[4]) };
        shut(`the sentinels switched ${masterName} to ${switchedTo.host}:${switchedTo.port}`, switchedTo);
        // The reconnect asks the sentinels, so it lands on the new primary (or on a stale answer
        // from a sentinel that has not heard of the switch yet: blockedReason() retries then).
        lastReconnect = 0;
        reconnectStray(switchedTo);
        return;
      }
      // "master <name> <ip> <port> ..."
      if (words[0] !== "master" || words[1] !== masterName) return;
      if (FAILOVER_STARTS.includes(channel)) {
        shut(`a failover of ${masterName} is in progress (${channel})`);
      } else if (FAILOVER_ABORTS.includes(channel) && blocked?.switchedTo === undefined) {
        open(`the failover of ${masterName} ended without a switch (${channel})`);
      }
    });
    return subscriber;
  });

  let probing = false;
  const roleTimer =
    options.roleCheckMs > 0
      ? setInterval(() => {
          if (probing || client.status !== "ready") return;
          probing = true;
          client
            .call("ROLE")
            .then((reply) => {
              const role = Array.isArray(reply) ? String(reply[0]) : "";
              if (role !== "" && role !== "master") {
                shut(`the node the client was connected to answers as a ${role}`);
                lastReconnect = 0;
                reconnectStray();
              }
            })
            .catch(() => undefined)
            .finally(() => {
              probing = false;
            });
        }, options.roleCheckMs)
      : undefined;
  roleTimer?.unref();

  return {
    blockedReason() {
      if (blocked === undefined) return undefined;
      const { switchedTo, since, reason } = blocked;
      if (
        switchedTo !== undefined &&
        all.every((each) => each.status === "ready" && connectedTo(each, switchedTo))
      ) {
        open(`connected to the new primary ${switchedTo.host}:${switchedTo.port}`);
        return undefined;
      }
      if (switchedTo !== undefined) reconnectStray(switchedTo);
      if (
        switchedTo === undefined &&
        reason.startsWith("the node") &&
        all.every((each) => each.status === "ready")
      ) {
        // The ROLE backstop reconnected; ioredis checks the role of the node it reconnects to.
        open("reconnected to a primary");
        return undefined;
      }
      if (Date.now() - since > options.maxFenceMs) {
        open(`no switch was announced within ${options.maxFenceMs}ms`);
        return undefined;
      }
      return reason;
    },
    close() {
      closed = true;
      if (roleTimer !== undefined) clearInterval(roleTimer);
      for (const subscriber of subscribers) subscriber.disconnect();
    },
  };
}

function connectedTo(client: Redis, address: { host: string; port: number }): boolean {
  const stream = client.stream as { remotePort?: number; remoteAddress?: string } | undefined;
  if (stream?.remotePort !== address.port) return false;
  const remote = stream.remoteAddress?.replace(/^::ffff:/, "");
  return remote === undefined || remote === address.host || address.host === "localhost";
}

export interface ClusterGate {
  /** Throws CTX_STORE_UNAVAILABLE when `nodeKey` ("host:port") is known down. */
  check(nodeKey: string, slot: number): void;
  /**
   * Resolves `work`, or rejects with CTX_STORE_UNAVAILABLE as soon as the connection to `nodeKey`
   * closes while it is in flight (ioredis would otherwise keep retrying it until the slot moves).
   */
  race<T>(nodeKey: string, slot: number, work: Promise<T>): Promise<T>;
}

const gates = new WeakMap<Cluster, ClusterGate>();

/** The gate `clusterGate` made for this client, if any (none when fail-fast is turned off). */
export function existingClusterGate(client: Cluster): ClusterGate | undefined {
  return gates.get(client);
}

/** The gate of a Cluster client (created on first use; one per client). */
export function clusterGate(client: Cluster, probeIntervalMs = 250): ClusterGate {
  let gate = gates.get(client);
  if (gate !== undefined) return gate;
  const downSince = new Map<string, number>();
  const waiting = new Map<string, Set<() => void>>();
  const probing = new Set<string>();
  const lastProbe = new Map<string, number>();
  let lastRefresh = 0;
  const markDown = (key: string) => {
    if (!downSince.has(key)) downSince.set(key, Date.now());
    const listeners = waiting.get(key);
    if (listeners === undefined) return;
    waiting.delete(key);
    for (const listener of listeners) listener();
  };
  const watch = (redis: Redis) => {
    const key = `${redis.options.host}:${redis.options.port}`;
    redis.on("ready", () => {
      downSince.delete(key);
    });
    redis.on("close", () => markDown(key));
  };
  for (const redis of client.nodes("all")) watch(redis);
  client.on("+node", watch);
  /** A TCP connect to the node, in the background: when it is accepted, traffic may go there again. */
  const probe = (key: string) => {
    const now = Date.now();
    if (probing.has(key) || now - (lastProbe.get(key) ?? 0) < probeIntervalMs) return;
    probing.add(key);
    lastProbe.set(key, now);
    const separator = key.lastIndexOf(":");
    const socket = connect({ host: key.slice(0, separator), port: Number(key.slice(separator + 1)) });
    const done = (up: boolean) => {
      socket.destroy();
      probing.delete(key);
      if (up) downSince.delete(key);
    };
    socket.setTimeout(probeIntervalMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  };
  const downError = (nodeKey: string, slot: number, since: number) =>
    new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `redis cluster: the master for slot ${slot} (${nodeKey}) is unreachable (for ${Date.now() - since}ms); failing at once instead of waiting for a replica to take over. The client follows the slot by itself once the cluster promotes a replica.`,
      { node: nodeKey, slot, downForMs: Date.now() - since },
    );
  gate = {
    check(nodeKey, slot) {
      const since = downSince.get(nodeKey);
      if (since === undefined) return;
      const now = Date.now();
      if (now - lastRefresh > 100) {
        // So the promoted replica is found as soon as the cluster knows it.
        lastRefresh = now;
        client.refreshSlotsCache();
      }
      probe(nodeKey);
      throw downError(nodeKey, slot, since);
    },
    race(nodeKey, slot, work) {
      return new Promise((resolve, reject) => {
        const listeners = waiting.get(nodeKey) ?? new Set<() => void>();
        waiting.set(nodeKey, listeners);
        const onDown = () => reject(downError(nodeKey, slot, downSince.get(nodeKey) ?? Date.now()));
        listeners.add(onDown);
        const release = () => listeners.delete(onDown);
        work.then(
          (value) => {
            release();
            resolve(value);
          },
          (error: unknown) => {
            release();
            reject(error);
          },
        );
      });
    },
  };
  gates.set(client, gate);
  return gate;
}
