// Builds a js-tiktoken encoder without stalling the process. `new Tiktoken(ranks)` decodes all of an
// encoding's ranks in one synchronous run (o200k_base: 200k base64 tokens, 0.6-2 s), during which no
// timer can fire: a request deadline, a health check or a socket keep-alive all wait for it. Here the
// same tables are filled in slices of a few milliseconds with a yield to the event loop between
// them, so a deadline set while the encoding loads still fires on time.
import { Tiktoken, type TiktokenBPE } from "js-tiktoken/lite";

/** Longest stretch of synchronous work between two yields. */
const SLICE_MS = 8;

/** The two tables `Tiktoken`'s constructor fills (internal fields of js-tiktoken 1.x, checked below). */
interface TiktokenTables {
  rankMap: Map<string, number>;
  textMap: Map<number, Uint8Array>;
}

/**
 * A `Tiktoken` equal to `new Tiktoken(ranks)` (tiktoken.test.ts compares the tables), built in
 * slices. Throws if js-tiktoken's internals changed shape, rather than building a broken encoder.
 */
export async function buildTiktoken(ranks: TiktokenBPE): Promise<Tiktoken> {
  const tiktoken = new Tiktoken({ ...ranks, bpe_ranks: "" });
  const tables = tiktoken as unknown as Partial<TiktokenTables>;
  if (!(tables.rankMap instanceof Map) || !(tables.textMap instanceof Map)) {
    throw new Error(
      "js-tiktoken's encoder no longer keeps rankMap/textMap tables; ctxstore's sliced loader needs updating.",
    );
  }
  const { rankMap, textMap } = tables as TiktokenTables;
  // Same semantics as the constructor: each line is "<prefix> <first rank> <token> <token> ...",
  // tokens are base64 byte strings, ranks count up from the first; a repeated token keeps its last rank.
  const lastRank = new Map<string, number>();
  const text = ranks.bpe_ranks;
  let lineStart = 0;
  while (lineStart < text.length) {
    const sliceEnd = performance.now() + SLICE_MS;
    while (lineStart < text.length && performance.now() < sliceEnd) {
      // A few hundred lines between clock reads: reading the clock per line would cost more than the line.
      for (let lines = 0; lines < 256 && lineStart < text.length; lines++) {
        let lineEnd = text.indexOf("\n", lineStart);
        if (lineEnd < 0) lineEnd = text.length;
        const line = text.slice(lineStart, lineEnd);
        lineStart = lineEnd + 1;
        if (line.length === 0) continue;
        const [, offsetText, ...tokens] = line.split(" ");
        const offset = Number.parseInt(offsetText as string, 10);
        for (let index = 0; index < tokens.length; index++)
          lastRank.set(tokens[index] as string, offset + index);
      }
    }
    await yieldToEventLoop();
  }
  let entries = 0;
  let sliceEnd = performance.now() + SLICE_MS;
  for (const [token, rank] of lastRank) {
    const bytes = base64Bytes(token);
    rankMap.set(bytes.join(","), rank);
    textMap.set(rank, bytes);
    if (++entries % 256 === 0 && performance.now() >= sliceEnd) {
      await yieldToEventLoop();
      sliceEnd = performance.now() + SLICE_MS;
    }
  }
  return tiktoken;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Standard base64 (with padding) to bytes; `atob` exists on every runtime core supports. */
function base64Bytes(token: string): Uint8Array {
  const binary = atob(token);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
