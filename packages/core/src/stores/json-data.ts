// JSON data: what envelopes may hold. Values travel through Redis, Parquet and JSON Lines, so
// anything JSON cannot represent (Date, Map, NaN, undefined in arrays, cycles) is rejected up front
// with the path that offends, instead of coming back changed. One check serves the context store's
// write path, `memoryStore()` and `@ctxstore/redis`.
import { CtxError } from "../errors.js";

/** Why `value` is not plain JSON data (what a JSON round trip would silently change), or undefined. */
export function jsonDataProblem(value: unknown, path: string): string | undefined {
  // Values are shallow, so the first walk does not track ancestors; one deeper than SHALLOW (or
  // circular) is walked again from the top with tracking, which names the exact circular path.
  let problem = problemIn(value, 0, undefined);
  if (problem === TOO_DEEP) problem = problemIn(value, 0, new Set());
  if (problem === undefined || problem === TOO_DEEP) return undefined;
  let at = path;
  for (let index = problem.trail.length - 1; index >= 0; index--) {
    const segment = problem.trail[index] as string | number;
    at += typeof segment === "number" ? `[${segment}]` : `.${segment}`;
  }
  return `${at} ${problem.what}`;
}

const SHALLOW = 64;

/**
 * What is wrong, and where: `trail` is filled innermost segment first while the walk unwinds, so
 * the walk itself allocates nothing for the (usual) value that has no problem — it runs for every
 * value written, twice (the write path and the store).
 */
interface Problem {
  readonly what: string;
  readonly trail: Array<string | number>;
}

const TOO_DEEP: Problem = Object.freeze({ what: "too deep", trail: [] });

function problem(what: string): Problem {
  return { what, trail: [] };
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

function problemIn(value: unknown, depth: number, ancestors: Set<object> | undefined): Problem | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value)
        ? undefined
        : problem(`is ${String(value)} (not representable in JSON; use null or a finite number)`);
    case "object": {
      if (value === null) return undefined;
      if (ancestors === undefined && depth >= SHALLOW) return TOO_DEEP;
      if (ancestors?.has(value)) return problem("is a circular reference");
      ancestors?.add(value);
      const found = problemInObject(value, depth, ancestors);
      ancestors?.delete(value);
      return found;
    }
    default:
      return problem(`is a ${typeof value} (only JSON data can be stored)`);
  }
}

function problemInObject(
  value: object,
  depth: number,
  ancestors: Set<object> | undefined,
): Problem | undefined {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === undefined) return within(problem("is undefined (use null in arrays)"), index);
      const found = problemIn(item, depth + 1, ancestors);
      if (found !== undefined) return within(found, index);
    }
    return undefined;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    return problem(`is a ${kind} instance (convert it to plain JSON data first, e.g. a Date to epoch ms)`);
  }
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    const field: unknown = (value as Record<string, unknown>)[name];
    if (field === undefined) continue;
    const found = problemIn(field, depth + 1, ancestors);
    if (found !== undefined) return within(found, name);
  }
  return undefined;
}

/** The problem one level further out (TOO_DEEP stays itself: it is only a signal to walk again). */
function within(found: Problem, segment: string | number): Problem {
  if (found !== TOO_DEEP) found.trail.push(segment);
  return found;
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
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    const field: unknown = (value as Record<string, unknown>)[name];
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
