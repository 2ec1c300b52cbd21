// Packer blocks made from resolutions: a value block (the value's own lines, truncated from the end
// that matters: stream windows keep their newest events) and a note block (a status line: a
// confirmed-empty line or an unknown-value note, never truncated away from its head).

import type { PackBlock } from "../pack/types.js";
import type { Resolution } from "./resolution.js";

export function valueBlock(
  resolution: Resolution,
  content: {
    readonly lines: readonly string[];
    readonly tokens: readonly number[];
    readonly kind: "text" | "list";
  },
): PackBlock {
  const { source } = resolution;
  return {
    source: source.name,
    tier: source.tier,
    priority: source.priority,
    required: source.required,
    kind: content.kind,
    // Stream windows read oldest -> newest, so the newest are at the end; ranked lists keep the head.
    keep: source.tier === "stream" ? "tail" : "head",
    lines: content.lines,
    tokens: content.tokens,
  };
}

export function noteBlock(
  resolution: Resolution,
  content: { readonly lines: readonly string[]; readonly tokens: readonly number[] },
): PackBlock {
  return {
    source: resolution.source.name,
    tier: resolution.source.tier,
    priority: resolution.source.priority,
    required: false,
    kind: "note",
    keep: "head",
    lines: content.lines,
    tokens: content.tokens,
  };
}
