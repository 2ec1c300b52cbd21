// Keeps a socket's late 'error' from crashing the user's process. ioredis listens for its socket's
// errors with `once()`, so a socket that emits two loses the second to nobody, and Node throws an
// 'error' event nobody listens to: an uncaught exception. A TLS socket does emit two when the client
// rejects the server's certificate while the server's alert is on its way (closing the client
// mid-handshake sends close_notify; the server answers "tlsv1 alert decode error"). ioredis declined
// the once -> on change (redis/ioredis#961), so every socket a client of ours opens gets a listener
// of its own for its whole life. It uses ioredis' `connector.stream` (ioredis 5 and 6): the socket is
// assigned there in a later tick than the client's constructor, so guarding right after it is in time.
import type { Cluster, Redis } from "ioredis";

const guarded = new WeakSet<object>();

/**
 * Gives every socket `client` opens (now and after reconnects; for a Cluster, every node's, and the
 * connections ioredis duplicates from them) a permanent 'error' listener that passes the error to
 * `onError` (ioredis still reports the first one itself, as its own 'error' event).
 */
export function guardSockets(client: Redis | Cluster, onError: (error: Error) => void = () => {}): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  if ((client as { isCluster?: boolean }).isCluster === true) {
    const cluster = client as Cluster;
    for (const node of cluster.nodes("all")) guardSockets(node, onError);
    cluster.on("+node", (node: Redis) => guardSockets(node, onError));
    return;
  }
  const redis = client as Redis;
  const connector = (redis as unknown as { connector?: { stream?: unknown } }).connector;
  if (connector !== undefined && !guarded.has(connector)) {
    guarded.add(connector);
    let stream = connector.stream;
    const listen = (socket: unknown) => {
      if (typeof socket === "object" && socket !== null && "on" in socket)
        (socket as NodeJS.EventEmitter).on("error", onError);
    };
    listen(stream);
    Object.defineProperty(connector, "stream", {
      configurable: true,
      enumerable: true,
      get: () => stream,
      set: (socket: unknown) => {
        stream = socket;
        listen(socket);
      },
    });
  }
  // Cluster refreshes its slot map over a duplicate of a node's connection.
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (...args: Parameters<Redis["duplicate"]>) => {
    const copy = duplicate(...args);
    guardSockets(copy, onError);
    return copy;
  };
}
