// A TCP proxy that counts network round trips between a client and a Redis server. A round trip
// starts whenever the client sends bytes after the server last spoke (or for the first time) on a
// connection: a pipelined batch is one turn however many commands it holds, and a client that waits
// for a reply before sending the next command shows one turn per command.
import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy between a client and a Redis server that counts network round trips (a pipelined batch
 * is one), from `startRoundTripProxy`; connect the client to its `url`.
 */
export interface RoundTripProxy {
  readonly port: number;
  readonly url: string;
  /** Client turns since start or the last `reset()`, over all connections. */
  roundTrips(): number;
  /** Sets the round-trip count back to 0. */
  reset(): void;
  /** Closes the proxy and every connection through it. */
  stop(): Promise<void>;
}

/**
 * `delayMs` holds every forwarded chunk that long in each direction (simulated network latency;
 * Node timers make anything below 1 ms about 1 ms). Order is preserved per direction.
 */
export async function startRoundTripProxy(target: {
  host?: string;
  port: number;
  delayMs?: number;
}): Promise<RoundTripProxy> {
  const delayMs = target.delayMs ?? 0;
  const forward = (to: Socket, chunk: Buffer) => {
    if (delayMs <= 0) to.write(chunk);
    else setTimeout(() => to.write(chunk), delayMs);
  };
  let turns = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: target.host ?? "127.0.0.1", port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    let clientSpokeLast = false;
    client.on("data", (chunk) => {
      if (!clientSpokeLast) turns++;
      clientSpokeLast = true;
      forward(upstream, chunk);
    });
    upstream.on("data", (chunk) => {
      clientSpokeLast = false;
      forward(client, chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    roundTrips: () => turns,
    reset() {
      turns = 0;
    },
    stop() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
