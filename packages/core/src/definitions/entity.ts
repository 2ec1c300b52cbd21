// Entities: the kinds of thing context is about (user, session, product...). An entity's key schema
// validates request keys, and its canonical form is the stable string every store indexes by.
import type { z } from "zod";
import { CtxError, describeIssues } from "../errors.js";

/** What a context is about (a user, a session, a product), with the zod schema of its key. */
export interface Entity<Name extends string = string, KeySchema extends z.ZodType = z.ZodType> {
  readonly kind: "entity";
  readonly name: Name;
  readonly key: KeySchema;
  /** Validates `key` against the entity's schema and returns its canonical string, e.g. `userId=u1`. */
  canonicalKey(key: unknown): string;
}

/** The key an entity takes from callers: the input type of its zod key schema (`{ userId: string }`). */
export type EntityKey<E extends Entity> = z.input<E["key"]>;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Defines an entity: a lowercase name and the zod schema every key of it must match (`CTX_INVALID_KEY` otherwise). */
export function defineEntity<const Name extends string, KeySchema extends z.ZodType>(
  name: Name,
  definition: { key: KeySchema },
): Entity<Name, KeySchema> {
  if (!NAME.test(name)) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Entity name ${JSON.stringify(name)} must be lower_snake_case (a-z, 0-9, _), starting with a letter.`,
      { entity: name },
    );
  }
  if (!definition?.key || typeof definition.key.safeParse !== "function") {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `Entity "${name}" needs a zod schema for its key, e.g. { key: z.object({ userId: z.string() }) }.`,
      {
        entity: name,
      },
    );
  }
  return {
    kind: "entity",
    name,
    key: definition.key,
    canonicalKey(key: unknown): string {
      const parsed = definition.key.safeParse(key);
      if (!parsed.success) {
        throw new CtxError(
          "CTX_INVALID_KEY",
          `Key for entity "${name}" does not match its schema (${describeIssues(parsed.error.issues)}); got ${safeJson(key)}.`,
          { entity: name },
        );
      }
      return canonicalize(parsed.data);
    },
  };
}

/** Stable string for a parsed key: `a=1&b=x` for flat objects (sorted fields), stable JSON otherwise. */
export function canonicalize(value: unknown): string {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return typeof value === "string" ? encodeURIComponent(value) : stableJson(value);
  // Runs for every key written and read: one pass, no intermediate arrays for one-field keys.
  const record = value as Record<string, unknown>;
  const names = Object.keys(record);
  if (names.length > 1) names.sort(byCodeUnit);
  let text = "";
  for (const name of names) {
    const field = record[name];
    if (field === undefined) continue;
    if (typeof field !== "string" && typeof field !== "number" && typeof field !== "boolean")
      return stableJson(value);
    text += `${text.length === 0 ? "" : "&"}${encodeURIComponent(name)}=${encodeURIComponent(String(field))}`;
  }
  return text;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * JSON with object keys sorted and `undefined` properties left out, so equal data always gives the
 * same string (canonical keys, hashes). Example: `stableJson({ b: 1, a: 2 })` is `{"a":2,"b":1}`.
 */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

export function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}
