// The governance phases of an assembly (docs/governance.md):
//   access (after the plan): a source the principal may not read is `skipped` ("not permitted")
//     before any lookup, so whether it holds data is never learned, let alone revealed;
//   redaction (after the prompt lines): tagged values are kept, masked, pseudonymised or their
//     source dropped, as the purpose's policy says, before anything renders, packs, traces or
//     reaches telemetry: every later phase only ever sees the redacted value.
import { createHmac } from "node:crypto";
import { stableJson } from "../definitions/entity.js";
import {
  actionFor,
  type CompiledGovernance,
  isReader,
  type Principal,
  type PurposePolicy,
  type RedactionAction,
} from "../definitions/governance.js";
import type { AnySource } from "../definitions/source.js";
import { CtxError } from "../errors.js";
import { countedLines } from "../render/request-time.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { AssemblyPlan } from "./plan.js";
import { withPromptLines } from "./prompt-lines.js";
import { type Resolution, skipped } from "./resolution.js";

export const NOT_PERMITTED = "not permitted";

/** The plan without the lookups the principal may not make; those sources are `skipped`. */
export function applyAccess(plan: AssemblyPlan, principal: Principal | undefined): AssemblyPlan {
  const denied = new Set<AnySource>();
  for (const source of plan.selected) {
    if (source.readers === undefined) continue;
    if (principal === undefined) {
      throw new CtxError(
        "CTX_PRINCIPAL_REQUIRED",
        `assemble: source "${source.name}" declares readers, so the request needs a principal ({ id, roles }) from the caller's identity; nothing was read.`,
        { source: source.name },
      );
    }
    if (!isReader(source.readers, principal)) denied.add(source);
  }
  if (denied.size === 0) return plan;
  const allowed = <Entry extends { source: AnySource }>(entries: readonly Entry[]) =>
    entries.filter((entry) => !denied.has(entry.source));
  return {
    ...plan,
    reads: allowed(plan.reads),
    realtime: allowed(plan.realtime),
    vectors: allowed(plan.vectors),
    skipped: [
      ...plan.skipped.filter((resolution) => !denied.has(resolution.source)),
      ...[...denied].map((source) => skipped(source, NOT_PERMITTED)),
    ],
  };
}

export interface RedactionContext {
  readonly governance: CompiledGovernance;
  readonly policy: PurposePolicy;
  readonly purpose: string;
  readonly principal: Principal | undefined;
  readonly tokenizer: Tokenizer;
  readonly onTokenize: () => void;
}

/** Resolutions with every tagged value redacted for the purpose (untagged ones are returned as they are). */
export function redactResolutions(
  resolutions: readonly Resolution[],
  context: RedactionContext,
): readonly Resolution[] {
  const { policy, principal } = context;
  if (
    policy.unredactedFor !== undefined &&
    principal !== undefined &&
    isReader(policy.unredactedFor, principal)
  )
    return resolutions;
  return resolutions.map((resolution) => redactOne(resolution, context));
}

function redactOne(resolution: Resolution, context: RedactionContext): Resolution {
  const tags = resolution.source.pii;
  if (!tags) return resolution;
  const { policy, purpose } = context;
  const whole = tags.category === undefined ? "keep" : actionFor(policy, tags.category);
  const fieldActions = Object.entries(tags.fields ?? {}).map(
    ([field, category]) => [field, category, actionFor(policy, category)] as const,
  );
  const dropping =
    whole === "drop" ? tags.category : fieldActions.find(([, , action]) => action === "drop")?.[1];
  if (dropping !== undefined) {
    // The whole source goes: its note policy says so; it never renders as empty.
    return {
      source: resolution.source,
      key: resolution.key,
      status: "skipped",
      reason: `redacted: PII category "${dropping}" is dropped for purpose "${purpose}"`,
      latencyMs: resolution.latencyMs,
    };
  }
  const hasValue = resolution.value !== undefined || resolution.windowEvents !== undefined;
  // A last known good value is shown by `fallback`; it is redacted like the value, or not shown.
  const { fallback, ...rest } = resolution;
  let redacted: Resolution = rest;
  if (fallback && whole === "keep") {
    redacted = {
      ...redacted,
      fallback: { ...fallback, value: redactFields(fallback.value, fieldActions, context) },
    };
  }
  if (!hasValue) return redacted;
  if (whole !== "keep") {
    // The whole value is personal data: each prompt line is replaced, the value with the same lines.
    const lines = (resolution.lines ?? []).map((line) =>
      replacement(whole, tags.category as string, line.trimEnd(), context),
    );
    const counted = lines.map((line) => countedLines(line, context.tokenizer, context.onTokenize));
    const {
      rendered: _rendered,
      windowEvents: _events,
      lines: _lines,
      tokens: _tokens,
      value: _value,
      ...bare
    } = redacted;
    return {
      ...bare,
      value: resolution.kind === "list" ? lines : lines.join(" "),
      kind: resolution.kind ?? "text",
      lines: counted.flatMap((entry) => entry.lines),
      tokens: counted.flatMap((entry) => entry.tokens),
    };
  }
  if (!fieldActions.some(([, , action]) => action !== "keep")) return redacted;
  // Field tags: the value is rewritten and rendered again by the source's own render function.
  const { rendered: _rendered, lines: _lines, tokens: _tokens, kind: _kind, ...bare } = redacted;
  const rewritten: Resolution =
    resolution.windowEvents !== undefined
      ? {
          ...bare,
          windowEvents: resolution.windowEvents.map(({ rendered: _eventRendered, ...event }) => ({
            ...event,
            value: redactFields(event.value, fieldActions, context),
          })),
          ...(resolution.value === undefined
            ? {}
            : {
                value: (resolution.value as unknown[]).map((event) =>
                  redactFields(event, fieldActions, context),
                ),
              }),
        }
      : { ...bare, value: redactFields(resolution.value, fieldActions, context) };
  const [relined] = withPromptLines({
    resolutions: [rewritten],
    tokenizer: context.tokenizer,
    onTokenize: context.onTokenize,
  }).resolutions;
  return relined as Resolution;
}

function redactFields(
  value: unknown,
  fieldActions: ReadonlyArray<readonly [string, string, RedactionAction]>,
  context: RedactionContext,
): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [field, category, action] of fieldActions) {
    if (action === "keep" || !Object.hasOwn(copy, field) || copy[field] === undefined || copy[field] === null)
      continue;
    copy[field] = replacement(action, category, copy[field], context);
  }
  return copy;
}

/** The text standing in for a tagged value. */
export function replacement(
  action: "mask" | "pseudonymize" | "drop",
  category: string,
  value: unknown,
  context: { readonly governance: CompiledGovernance },
): string {
  if (action !== "pseudonymize") return `[redacted ${category}]`;
  return pseudonym(context.governance, category, value);
}

/** `pii_` + 16 hex digits of HMAC-SHA256(key, category + value): stable per key, not reversible. */
export function pseudonym(governance: CompiledGovernance, category: string, value: unknown): string {
  const key = governance.pseudonymKey;
  if (key === undefined) {
    throw new CtxError(
      "CTX_CONFIG",
      "A purpose pseudonymises PII but no governance.pseudonymKey is set; pass a secret of at least 16 bytes.",
      {},
    );
  }
  const digest = createHmac("sha256", key)
    .update(`${category}\u0000${typeof value === "string" ? value : stableJson(value)}`)
    .digest("hex");
  return `pii_${digest.slice(0, 16)}`;
}
