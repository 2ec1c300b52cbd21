// The harness fragments are type-checked in (docs marked ```ts fragment): the names a fragment
// uses without defining, as a reader of the surrounding page has them. A fragment's own imports
// and declarations shadow these.
import type { AnySource, AssembleRequest, ContextStore } from "@ctxstore/core";

declare global {
  /** The context store the page built. */
  const ctx: ContextStore;
  /** A request for `ctx.assemble`. */
  const request: AssembleRequest;
  /** A source of the page's definitions. */
  const profile: AnySource;
}
