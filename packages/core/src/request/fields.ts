// The fields of an assemble request, as ONE table: each field's zod schema and how error messages
// spell it. `ctx.assemble` and every adapter (ai-sdk, langchain, next) check requests and per-call
// layers against schemas built from this table (check.ts), so a field is added, renamed or
// tightened here once and every caller follows.
import { z } from "zod";
import { isDuration } from "../definitions/duration.js";

const TOKENS = { error: "must be a positive whole number of tokens, e.g. 1500" };
const maxTokens = z.number(TOKENS).int(TOKENS).positive(TOKENS);

/** One row per request field, in the order messages list them. */
export const REQUEST_FIELDS = {
  /** Entity keys by entity name: `{ user: { userId: "u1" } }`. Each is checked by its entity's key schema at assembly. */
  keys: { schema: z.record(z.string(), z.unknown()), shape: "{ <entity>: <key> }" },
  /** The user's question: vector sources search with it, realtime resolvers receive it. */
  query: { schema: z.string(), shape: "string" },
  /** The token budget: the packed text's exact token count never exceeds `maxTokens`. */
  budget: { schema: z.strictObject({ maxTokens }), shape: "{ maxTokens: positive integer }" },
  /** The whole request's deadline. Parsed by core's duration parser only. */
  deadline: {
    schema: z.custom<number | string>(isDuration, {
      error: 'must be a positive duration like "150ms" or "2s", or a number of milliseconds',
    }),
    shape: '"150ms" | ms',
  },
  /** Assemble only these sources (by name). */
  sources: { schema: z.array(z.string()).nonempty(), shape: "string[]" },
  /** The caller's tenant (docs/governance.md); its id is checked by the context store. */
  tenant: { schema: z.string().min(1), shape: "string" },
  /** What the context is for: its redaction policy applies (docs/governance.md). */
  purpose: { schema: z.string().min(1), shape: "string" },
  /** Who is asking, for sources' `readers` and the audit record. */
  principal: {
    schema: z.strictObject({ id: z.string().min(1), roles: z.array(z.string()).optional() }),
    shape: "{ id: string, roles?: string[] }",
  },
  /** Aborts the whole assembly (the framework's request or run signal). */
  signal: {
    schema: z.custom<AbortSignal>((value) => value instanceof AbortSignal, {
      error: "must be an AbortSignal",
    }),
    shape: "AbortSignal",
  },
} as const;

export type RequestField = keyof typeof REQUEST_FIELDS;

/** The fields a complete request must have; every other field is optional. */
export const REQUIRED_FIELDS: readonly RequestField[] = ["keys", "budget"];

export const FIELD_NAMES = Object.keys(REQUEST_FIELDS) as RequestField[];

/**
 * A strict object schema over the table: `required` fields must be present, the others may be absent
 * or `undefined`; any other field is an error (a misspelt `maxToken` must not pass silently).
 */
export function requestSchema(required: readonly RequestField[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const name of FIELD_NAMES) {
    const schema = REQUEST_FIELDS[name].schema;
    shape[name] = required.includes(name) ? schema : schema.optional();
  }
  return z.strictObject(shape);
}

/** The shape spelled out for messages: `{ keys: { <entity>: <key> }, query?: string, ... }`. */
export function requestShape(required: readonly RequestField[]): string {
  const fields = FIELD_NAMES.map(
    (name) => `${name}${required.includes(name) ? "" : "?"}: ${REQUEST_FIELDS[name].shape}`,
  );
  return `{ ${fields.join(", ")} }`;
}
