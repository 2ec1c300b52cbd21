// The assembly trace as AI SDK provider metadata. Provider metadata must be plain JSON, so the trace
// is copied without `undefined` fields; `contextTrace` reads it back, typed, from a result.
import type { AssemblyTrace } from "@ctxstore/core";

type JsonValue = null | string | number | boolean | JsonValue[] | { [key: string]: JsonValue };

export function toProviderMetadata(trace: AssemblyTrace): { [key: string]: JsonValue } {
  return toJson(trace) as { [key: string]: JsonValue };
}

function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const copy: { [key: string]: JsonValue } = {};
    for (const key in value) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined && typeof field !== "function") copy[key] = toJson(field);
    }
    return copy;
  }
  return null;
}

/**
 * The ctxstore trace of a `generateText`/`streamText` result (pass `result.providerMetadata`, or a
 * step's), or undefined when the call ran without context. `providerKey`: the middleware's, if changed.
 */
export function contextTrace(
  providerMetadata: Readonly<Record<string, unknown>> | undefined,
  providerKey = "ctxstore",
): AssemblyTrace | undefined {
  const trace = providerMetadata?.[providerKey];
  return trace !== null && typeof trace === "object" ? (trace as AssemblyTrace) : undefined;
}
