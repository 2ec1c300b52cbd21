// JSON data: what envelopes may hold. Values travel through Redis, Parquet and JSON Lines, so
// anything JSON cannot represent (Date, Map, NaN, undefined in arrays, cycles) is rejected up front
// with the path that offends, instead of coming back changed. One check serves the context store's
// write path, `memoryStore()` and `@ctxstore/redis`.
import { CtxError } from "../errors.js";

/** Why `value` is not plain JSON data (what a JSON round trip would silently change), or undefined. */
export function jsonDataProblem(value: unknown, path: string): string | undefined {
  return problemIn(value, path, new Set());
}

/** A deep-frozen copy of `value` as plain JSON data; throws CTX_INVALID_VALUE naming the path. */
export function frozenJsonCopy(value: unknown, path: string, context: string): unknown {
  const problem = jsonDataProblem(value, path);
  if (problem !== undefined) {
    throw new CtxError("CTX_INVALID_VALUE", `${context}: ${problem}; nothing was written.`, {
      context,
      path,
    });
  }
  return freezeCheckedJson(value);
}

function problemIn(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value)
        ? undefined
        : `${path} is ${String(value)} (not representable in JSON; use null or a finite number)`;
    case "object": {
      if (value === null) return undefined;
      if (ancestors.has(value)) return `${path} is a circular reference`;
      ancestors.add(value);
      try {
        if (Array.isArray(value)) {
          for (let index = 0; index < value.length; index++) {
            const item: unknown = value[index];
            if (item === undefined) return `${path}[${index}] is undefined (use null in arrays)`;
            const problem = problemIn(item, `${path}[${index}]`, ancestors);
            if (problem !== undefined) return problem;
          }
          return undefined;
        }
        const prototype: unknown = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) {
          const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
          return `${path} is a ${kind} instance (convert it to plain JSON data first, e.g. a Date to epoch ms)`;
        }
        for (const [name, field] of Object.entries(value)) {
          if (field === undefined) continue;
          const problem = problemIn(field, `${path}.${name}`, ancestors);
          if (problem !== undefined) return problem;
        }
        return undefined;
      } finally {
        ancestors.delete(value);
      }
    }
    default:
      return `${path} is a ${typeof value} (only JSON data can be stored)`;
  }
}

/**
 * Copies JSON data already checked by `jsonDataProblem` and freezes every level. Like JSON, undefined
 * properties are dropped.
 */
export function freezeCheckedJson(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return Object.freeze(value.map(freezeCheckedJson));
  const fields: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    if (field === undefined) continue;
    if (name === "__proto__") {
      // Kept as data, never as the prototype.
      Object.defineProperty(fields, name, {
        value: freezeCheckedJson(field),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      fields[name] = freezeCheckedJson(field);
    }
  }
  return Object.freeze(fields);
}
