// The per-call context request: which entities this model call is about and how much room the
// context may take. It arrives as JSON in `providerOptions.ctxstore`, or from a user function of the
// call parameters; either way it is validated here, so a bad call fails with a message naming the
// expected shape instead of reaching the model without context.
import { CtxError } from "@ctxstore/core";
import { describeIssues } from "@ctxstore/core/store";
import { z } from "zod";

const durationSchema = z.union([
  z.number().positive(),
  z.string().regex(/^\d+(?:\.\d+)?(?:ms|s|m|h|d|w)$/, 'a duration like "150ms" or "2s"'),
]);

/** The shape of `providerOptions.ctxstore` (and of what a `request` function returns). */
export const contextRequestSchema = z.strictObject({
  /**
   * Entity keys by entity name, e.g. `{ user: { userId: "u1" }, session: { sessionId: "s9" } }`.
   * Required, so a forgotten key is an error; `{}` for a store whose sources have no entity.
   */
  keys: z.record(z.string(), z.unknown()),
  /** Overrides the query (default: the text of the last user message). */
  query: z.string().optional(),
  /** Token budget for this call; capped by the derived budget when a context window is configured. */
  maxTokens: z.number().int().positive().optional(),
  /** Assembly deadline for this call ("150ms"), overriding the middleware's. */
  deadline: durationSchema.optional(),
  /** Restrict assembly to these source names. */
  sources: z.array(z.string()).nonempty().optional(),
  /** Tenant for vector sources that read it from the request. */
  tenant: z.string().min(1).optional(),
});

export type ContextRequest = z.output<typeof contextRequestSchema>;

/** The expected shape, spelled out for error messages. */
export const CONTEXT_REQUEST_SHAPE =
  '{ keys: { <entity>: <key> }, query?: string, maxTokens?: positive integer, deadline?: "150ms" | ms, sources?: string[], tenant?: string }';

/** Validates one call's request; `origin` names where it came from in the error message. */
export function parseContextRequest(input: unknown, origin: string): ContextRequest {
  const parsed = contextRequestSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new CtxError(
    "CTX_INVALID_REQUEST",
    `${origin} must be ${CONTEXT_REQUEST_SHAPE}; ${describeIssues(parsed.error.issues)}. Example: providerOptions: { ctxstore: { keys: { user: { userId: "u1" } } } }.`,
    {
      origin,
      issues: parsed.error.issues
        .slice(0, 5)
        .map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    },
  );
}
