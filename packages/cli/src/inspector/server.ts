// Serves the inspector's fetch handler on a local port (srvx's Node adapter). Bound to 127.0.0.1 by
// default: the page shows stored context about any entity, so it is not for the open network.
import { CtxError } from "@ctxstore/core";
import { serve } from "srvx";

export interface RunningInspector {
  readonly url: string;
  close(): Promise<void>;
}

export async function startInspectorServer(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): Promise<RunningInspector> {
  const server = serve({
    fetch: handler,
    port: options.port,
    hostname: options.hostname,
    // One inspector per port: a second one must fail, not share the port with the first.
    reusePort: false,
    silent: true,
    gracefulShutdown: false,
  });
  try {
    await server.ready();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `Port ${options.port} on ${options.hostname} is ${code === "EADDRINUSE" ? "already in use" : "not allowed for this user"}: pass another --port (or --port 0 for any free one).`,
        { port: options.port, usage: true },
      );
    }
    throw error;
  }
  const address = server.node?.server?.address();
  const port = address && typeof address === "object" ? address.port : options.port;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return { url: `http://${host}:${port}/`, close: () => server.close(true) };
}
