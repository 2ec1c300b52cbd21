// The peers table generator: complete input renders every peer's figures and quotes; empty or
// partial input is reported as missing, never rendered as zeros; peers that did not run say so.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  insertTable,
  missingFigures,
  type PeerFigure,
  parseFigures,
  peersTable,
  REQUIRED_METRICS,
  TABLE_END,
  TABLE_START,
} from "./tables.js";

function peerFigures(peer: string): PeerFigure[] {
  const base = { bench: "peers", peer, versions: `${peer}@1.0.0`, budget: 2000 };
  return [
    { ...base, metric: "runs", value: 1, unit: "bool", limits: "none found" },
    { ...base, metric: "p50_ms", value: 5.037, unit: "ms" },
    { ...base, metric: "p99_ms", value: 24.86, unit: "ms" },
    { ...base, metric: "prompt_tokens", value: 1094, unit: "tokens", within_budget: true },
    { ...base, metric: "complete_share", value: 0.998, unit: "ratio" },
    { ...base, metric: "vector_search_p50_ms", value: 0.561, unit: "ms" },
    { ...base, metric: "loyalty_timeout", value: 1, unit: "prompt", quote: '"Loyalty: unknown | timed out"' },
    { ...base, metric: "store_down", value: 1, unit: "prompt", quote: "(no mention)" },
  ];
}

const lines = (figures: readonly PeerFigure[]) => figures.map((figure) => JSON.stringify(figure)).join("\n");

describe("parseFigures", () => {
  it("keeps the peers JSON lines and ignores the human table and other benches", () => {
    const text = `bench  metric\n-----\n${lines(peerFigures("a"))}\n{"bench":"pack","metric":"p50_ms","value":1,"unit":"ms"}\n{broken`;
    expect(parseFigures(text)).toHaveLength(8);
  });

  it("reads the figures of a full run's log, where turbo prefixes every line with the package's task", () => {
    const log = lines(peerFigures("a"))
      .split("\n")
      .map((line) => `@ctxstore/bench-peers:bench: ${line}`)
      .join("\n");
    expect(parseFigures(log)).toEqual(peerFigures("a"));
  });
});

describe("peersTable", () => {
  it("renders one row per peer with latency, tokens against the budget and the quotes (pipes escaped)", () => {
    const table = peersTable([...peerFigures("ctxstore"), ...peerFigures("by hand")]);
    const rows = table.split("\n");
    expect(rows).toHaveLength(4);
    expect(rows[2]).toBe(
      '| ctxstore | ctxstore@1.0.0 | 5.04 | 24.86 | 1094 / 2000 (within) | 99.8% | 0.56 | "Loyalty: unknown \\| timed out" | (no mention) | none found |',
    );
  });

  it("says a peer did not run, and why, instead of leaving it out", () => {
    const table = peersTable([
      {
        bench: "peers",
        metric: "runs",
        value: 0,
        unit: "bool",
        peer: "LlamaIndex.TS",
        reason: "cannot run offline",
      },
    ]);
    expect(table).toContain("| LlamaIndex.TS |  | did not run: cannot run offline |");
  });

  it("marks an over-budget prompt", () => {
    const figures = peerFigures("p").map((figure) =>
      figure.metric === "prompt_tokens" ? { ...figure, value: 2100, within_budget: false } : figure,
    );
    expect(peersTable(figures)).toContain("2100 / 2000 (over budget)");
  });
});

describe("missingFigures", () => {
  it("an empty input is missing every figure", () => {
    expect(missingFigures(parseFigures(""))).toEqual(["every figure: the input holds no peers JSON lines"]);
  });

  it("property: dropping any required figure of a peer that ran is reported by name, and shown as missing", () => {
    fc.assert(
      fc.property(fc.subarray([...REQUIRED_METRICS], { minLength: 1 }), (dropped) => {
        const figures = peerFigures("x").filter((figure) => !dropped.includes(figure.metric as never));
        expect(missingFigures(figures).sort()).toEqual(dropped.map((metric) => `x: ${metric}`).sort());
        expect(peersTable(figures)).toContain("missing");
      }),
    );
  });

  it("a complete run is missing nothing", () => {
    expect(missingFigures(peerFigures("a"))).toEqual([]);
  });
});

describe("insertTable", () => {
  it("replaces only the text between the markers, and is stable when run twice", () => {
    const document = `# Title\n\nbefore\n${TABLE_START}\nold table\n${TABLE_END}\nafter\n`;
    const once = insertTable(document, "| new |", "caption");
    expect(once).toBe(`# Title\n\nbefore\n${TABLE_START}\ncaption\n\n| new |\n${TABLE_END}\nafter\n`);
    expect(insertTable(once, "| new |", "caption")).toBe(once);
  });

  it("refuses a document without the markers, saying what to add", () => {
    expect(() => insertTable("# no markers", "| t |", "c")).toThrow(/add the two markers/);
  });
});
