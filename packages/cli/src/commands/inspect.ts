// `ctxstore inspect`: serves the inspector page for the config's context store until Ctrl-C.
import { CtxError } from "@ctxstore/core";
import { freshnessReader } from "../freshness/snapshot.js";
import { inspectorScript } from "../inspector/assets.js";
import { inspectorHandler } from "../inspector/handler.js";
import { startInspectorServer } from "../inspector/server.js";
import { EXIT } from "../output/exit-codes.js";
import type { CommandContext } from "./run.js";

export interface InspectOptions {
  port?: string;
  host?: string;
}

export const DEFAULT_PORT = 4317;

export async function inspectCommand(command: CommandContext, options: InspectOptions): Promise<number> {
  const port = options.port === undefined ? DEFAULT_PORT : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `--port must be an integer from 0 to 65535; got ${options.port}.`,
      {
        usage: true,
      },
    );
  const loaded = await command.config();
  // Bundle the page and load the tokenizer before listening: a broken build fails here rather than in
  // the browser, and the first request's deadline is not spent loading the encoding.
  await Promise.all([inspectorScript(), loaded.config.context.ready()]);
  const freshness = freshnessReader(loaded.config);
  const handler = inspectorHandler({
    context: loaded.config.context,
    enabled: true,
    ...(loaded.config.requests ? { requests: loaded.config.requests } : {}),
    freshness: () => freshness.snapshot(),
  });
  const server = await startInspectorServer(handler, { port, hostname: options.host ?? "127.0.0.1" });
  const { terminal } = command;
  if (terminal.json) terminal.out.write(`${JSON.stringify({ url: server.url, config: loaded.path })}\n`);
  else
    terminal.print(
      `ctxstore inspector for ${loaded.path}\n  ${terminal.colors.bold(server.url)}\n(Ctrl-C to stop)`,
    );
  await new Promise<void>((resolve) =>
    command.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  await server.close();
  freshness.stop();
  return EXIT.ok;
}
