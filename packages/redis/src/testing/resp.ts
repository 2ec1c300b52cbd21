// A minimal one-shot RESP2 client for the test-support helpers: readiness probes and admin commands
// (PING, CLUSTER INFO, SENTINEL ...) against servers that may not be up yet. It opens a socket, sends
// one command, parses one reply and closes, so a dead port fails fast instead of queueing like a
// full client would.
import { connect } from "node:net";

/** A parsed RESP2 reply: a string, an integer, nil, an array, or a server error (as an Error). */
export type RespReply = string | number | null | RespReply[] | Error;

/** Sends one command to host:port and resolves with its parsed reply (server errors resolve as Error). */
export function sendCommand(
  port: number,
  args: readonly string[],
  { host = "127.0.0.1", timeoutMs = 2_000 }: { host?: string; timeoutMs?: number } = {},
): Promise<RespReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${host}:${port} did not answer ${args[0]} within ${timeoutMs}ms`));
    }, timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("close", () => {
      clearTimeout(timer);
      reject(new Error(`${host}:${port} closed the connection before answering ${args[0]}`));
    });
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseReply(buffer, 0);
      if (parsed === undefined) return;
      clearTimeout(timer);
      socket.end();
      resolve(parsed.reply);
    });
    socket.write(encodeCommand(args));
  });
}

export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parses one reply starting at `offset`; undefined when the buffer does not hold a whole reply yet. */
export function parseReply(buffer: Buffer, offset: number): { reply: RespReply; next: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case "+":
      return { reply: line, next: afterLine };
    case "-":
      return { reply: new Error(line), next: afterLine };
    case ":":
      return { reply: Number(line), next: afterLine };
    case "$": {
      const length = Number(line);
      if (length < 0) return { reply: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { reply: buffer.toString("utf8", afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { reply: null, next: afterLine };
      const items: RespReply[] = [];
      let next = afterLine;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.reply);
        next = item.next;
      }
      return { reply: items, next };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}

/** Calls per command since the last `CONFIG RESETSTAT`, from `INFO commandstats` (e.g. `{ hmget: 4 }`). */
export async function commandStats(port: number, host = "127.0.0.1"): Promise<Record<string, number>> {
  const info = await sendCommand(port, ["INFO", "commandstats"], { host });
  const calls: Record<string, number> = {};
  if (typeof info !== "string") return calls;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}
