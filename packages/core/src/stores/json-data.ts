// JSON data: what envelopes may hold. Values travel through Redis, Parquet and JSON Lines, so
// anything JSON cannot represent (Date, Map, NaN, undefined in arrays, cycles) is rejected up front
// with the path that offends, instead of coming back changed.
import { CtxError } from "../errors.js";

/** Returns a deep-frozen copy of `value` as plain JSON data; throws CTX_INVALID_VALUE naming `path`. */
export function frozenJsonCopy(value: unknown, path: string, context: string): unknown {
  return copyJson(value, path, context, new Set());
}

function copyJson(value: unknown, path: string, label: string, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      return rejectValue(
        path,
        label,
        `${String(value)} (not representable in JSON; use null or a finite number)`,
      );
    case "object": {
      if (value === null) return null;
      if (ancestors.has(value)) return rejectValue(path, label, "a circular reference");
      ancestors.add(value);
      let copy: unknown;
      if (Array.isArray(value)) {
        const items: unknown[] = new Array(value.length);
        for (let index = 0; index < value.length; index++) {
          const item: unknown = value[index];
          if (item === undefined) rejectValue(`${path}[${index}]`, label, "undefined (use null in arrays)");
          items[index] = copyJson(item, `${path}[${index}]`, label, ancestors);
        }
        copy = Object.freeze(items);
      } else {
        const prototype: unknown = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) {
          const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
          rejectValue(
            path,
            label,
            `a ${kind} instance (convert it to plain JSON data first, e.g. a Date to epoch ms)`,
          );
        }
        const fields: Record<string, unknown> = {};
        for (const [name, field] of Object.entries(value)) {
          // Like JSON: an undefined property is the same as an absent one.
          if (field === undefined) continue;
          const fieldCopy = copyJson(field, `${path}.${name}`, label, ancestors);
          if (name === "__proto__") {
            Object.defineProperty(fields, name, {
              value: fieldCopy,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          } else {
            fields[name] = fieldCopy;
          }
        }
        copy = Object.freeze(fields);
      }
      ancestors.delete(value);
      return copy;
    }
    default:
      return rejectValue(path, label, `a ${typeof value} (only JSON data can be stored)`);
  }
}

function rejectValue(path: string, context: string, what: string): never {
  throw new CtxError("CTX_INVALID_VALUE", `${context}: ${path} is ${what}; nothing was written.`, {
    context,
    path,
  });
}
