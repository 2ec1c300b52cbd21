// Where the CLI writes and how: colour only when the stream is a TTY and NO_COLOR is unset, machine
// output (`--json`) on stdout as one JSON document, human progress and notes on stderr.
import type { Writable } from "node:stream";
import picocolors from "picocolors";

export type Colors = ReturnType<typeof picocolors.createColors>;

export interface Terminal {
  readonly out: Writable & { isTTY?: boolean; columns?: number };
  readonly err: Writable & { isTTY?: boolean; columns?: number };
  /** Colours for stdout text. */
  readonly colors: Colors;
  /** Colours for stderr text (progress, notes). */
  readonly errColors: Colors;
  readonly json: boolean;
  readonly quiet: boolean;
  print(text: string): void;
  note(text: string): void;
  printJson(value: unknown): void;
}

export function colourAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

export function createTerminal(options: { json: boolean; quiet: boolean }): Terminal {
  const out = process.stdout;
  const err = process.stderr;
  return {
    out,
    err,
    colors: picocolors.createColors(colourAllowed(out)),
    errColors: picocolors.createColors(colourAllowed(err)),
    json: options.json,
    quiet: options.quiet,
    print: (text) => void out.write(text.endsWith("\n") ? text : `${text}\n`),
    note: (text) => {
      if (!options.quiet) err.write(text.endsWith("\n") ? text : `${text}\n`);
    },
    printJson: (value) => void out.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}
