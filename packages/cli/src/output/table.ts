// Plain, borderless tables (cli-table3) for terminal output: column headers, two-space gaps, no box
// drawing, so the text reads the same when piped into a file or a ticket.
import Table from "cli-table3";

const BORDERLESS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

export function table(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  bold = (s: string) => s,
) {
  const output = new Table({
    head: header.map(bold),
    chars: BORDERLESS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
  });
  for (const row of rows) output.push([...row]);
  return output
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}
