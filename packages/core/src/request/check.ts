// Checking a request (or one layer of it) against the request table, with ONE error for every
// caller: `CTX_INVALID_BUDGET` when only the budget is wrong, `CTX_INVALID_REQUEST` otherwise, and a
// message `<origin> must be <shape>; <field>: <problem>` naming where the request came from.
import { CtxError, type CtxErrorCode, describeIssues } from "../errors.js";
import { REQUIRED_FIELDS, type RequestField, requestSchema, requestShape } from "./fields.js";
import type { AssembleRequest, RequestLayer } from "./types.js";

const complete = { schema: requestSchema(REQUIRED_FIELDS), shape: requestShape(REQUIRED_FIELDS) };
const layerWithKeys = { schema: requestSchema(["keys"]), shape: requestShape(["keys"]) };
const layer = { schema: requestSchema([]), shape: requestShape([]) };

/**
 * Checks a complete request (`keys` and `budget` required) as `ctx.assemble` does; `origin` names
 * it in the message (default "assemble request"). Entity keys are checked by their entity's schema
 * at assembly, which knows the entities.
 */
export function checkAssembleRequest(input: unknown, origin = "assemble request"): AssembleRequest {
  return check(input, origin, complete) as AssembleRequest;
}

/** Options of {@link checkRequestLayer}. */
export interface CheckLayerOptions {
  /** The layer must carry `keys` (e.g. the AI SDK's per-call `providerOptions.ctxstore`). Default false. */
  readonly requireKeys?: boolean;
}

/** Checks one layer (every field optional unless asked); `origin` names it in the message. */
export function checkRequestLayer(
  input: unknown,
  origin: string,
  options: CheckLayerOptions = {},
): RequestLayer {
  return check(input, origin, options.requireKeys === true ? layerWithKeys : layer) as RequestLayer;
}

function check(
  input: unknown,
  origin: string,
  against: { schema: ReturnType<typeof requestSchema>; shape: string },
): unknown {
  const parsed = against.schema.safeParse(input);
  if (parsed.success) return input;
  const issues = parsed.error.issues;
  const onlyBudget = issues.every((issue) => (issue.path[0] as RequestField | undefined) === "budget");
  const code: CtxErrorCode = onlyBudget ? "CTX_INVALID_BUDGET" : "CTX_INVALID_REQUEST";
  throw new CtxError(code, `${origin} must be ${against.shape}; ${describeIssues(issues)}.`, {
    origin,
    issues: issues.slice(0, 5).map((issue) => ({ path: issue.path.map(String), message: issue.message })),
  });
}
