// JSON data: what envelopes may hold. Values travel through Redis, Parquet and JSON Lines, so
// anything JSON cannot represent (Date, Map, NaN, undefined in arrays, cycles) is rejected up front
// with the path that offends, instead of coming back changed. One check serves the context store's
// write path, `memoryStore()` and `@ctxstore/redis`.
import { CtxError } from "../errors.js";

/** Why `value` is not plain JSON data (what a JSON round trip would silently change), or undefined. */
export function jsonDataProblem(value: unknown, path: string): string | undefined {
  const trail: Array<string | number> = [];
  // Values are shallow, so the first walk does not track ancestors; one deeper than SHALLOW (or
  // circular) is walked again from the top with tracking, which names the exact circular path.
  let problem = problemIn(value, trail, undefined);
  if (problem === TOO_DEEP) {
    trail.length = 0;
    problem = problemIn(value, trail, new Set());
  }
  return problem === undefined || problem === TOO_DEEP ? undefined : problem(pathOf(path, trail));
}

const SHALLOW = 64;
const TOO_DEEP: Problem = () => "too deep";

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

/** The problem as a function of the offending path, which is only spelled out when there is one. */
type Problem = (path: string) => string;

// The walk keeps the path as a trail of segments and builds the string only for a problem: every
// value written goes through here, and most have none.
function problemIn(
  value: unknown,
  trail: Array<string | number>,
  ancestors: Set<object> | undefined,
): Problem | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value)
        ? undefined
        : (path) => `${path} is ${String(value)} (not representable in JSON; use null or a finite number)`;
    case "object": {
      if (value === null) return undefined;
      if (ancestors === undefined && trail.length >= SHALLOW) return TOO_DEEP;
      if (ancestors?.has(value)) return (path) => `${path} is a circular reference`;
      ancestors?.add(value);
      try {
        if (Array.isArray(value)) {
          for (let index = 0; index < value.length; index++) {
            const item: unknown = value[index];
            trail.push(index);
            if (item === undefined) return (path) => `${path} is undefined (use null in arrays)`;
            const problem = problemIn(item, trail, ancestors);
            if (problem !== undefined) return problem;
            trail.pop();
          }
          return undefined;
        }
        const prototype: unknown = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) {
          const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
          return (path) =>
            `${path} is a ${kind} instance (convert it to plain JSON data first, e.g. a Date to epoch ms)`;
        }
        for (const name in value) {
          if (!Object.hasOwn(value, name)) continue;
          const field: unknown = (value as Record<string, unknown>)[name];
          if (field === undefined) continue;
          trail.push(name);
          const problem = problemIn(field, trail, ancestors);
          if (problem !== undefined) return problem;
          trail.pop();
        }
        return undefined;
      } finally {
        ancestors?.delete(value);
      }
    }
    default:
      return (path) => `${path} is a ${typeof value} (only JSON data can be stored)`;
  }
}

function pathOf(root: string, trail: ReadonlyArray<string | number>): string {
  let path = root;
  for (const segment of trail) path += typeof segment === "number" ? `[${segment}]` : `.${segment}`;
  return path;
}

/**
 * An upper bound of the UTF-8 size of `JSON.stringify(value)` for data already checked by
 * `jsonDataProblem`, without building the text: a UTF-16 unit of a string or key is at most 6 bytes
 * (a `\u001f` escape; UTF-8 needs at most 3), a number at most 25 characters. Stops counting once
 * past `limit` (the result is then only known to be over it).
 */
export function jsonBytesBound(value: unknown, limit: number): number {
  switch (typeof value) {
    case "string":
      return value.length * 6 + 2;
    case "number":
      return 25;
    case "boolean":
      return 5;
    case "object": {
      if (value === null) return 4;
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) {
          total += jsonBytesBound(item, limit) + 1;
          if (total > limit) return total;
        }
        return total;
      }
      for (const name in value) {
        const field: unknown = (value as Record<string, unknown>)[name];
        if (field === undefined || !Object.hasOwn(value, name)) continue;
        total += name.length * 6 + 4 + jsonBytesBound(field, limit);
        if (total > limit) return total;
      }
      return total;
    }
    default:
      return 0;
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
