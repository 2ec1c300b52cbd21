// The context store a build or run uses: `contextStore`, as every other package names it, or
// `context`, its former name here (kept so existing calls keep working).
import { type ContextStore, CtxError } from "@ctxstore/core";

export function contextStoreOption(
  options: { readonly contextStore?: ContextStore | undefined; readonly context?: ContextStore | undefined },
  operation: string,
): ContextStore | undefined {
  const { contextStore, context } = options ?? {};
  if (contextStore !== undefined && context !== undefined && contextStore !== context) {
    throw new CtxError(
      "CTX_CONFIG",
      `${operation}: got both contextStore and context (its former name) with different stores; pass contextStore only.`,
      {},
    );
  }
  return contextStore ?? context;
}
