// Modules that fragments import from the app around them (a Next.js app's `@/` path alias): the
// shapes the surrounding page defines, declared here so the fragment type-checks against them.
declare module "@/lib/context" {
  import type { ContextStore, StreamSource } from "@ctxstore/core";
  import type { RequestIdentity } from "@ctxstore/next";
  export const shop: ContextStore;
  export const sessionActivity: StreamSource;
  export const identify: (request: Request) => RequestIdentity | null;
}
declare module "@/lib/auth" {
  /** The app's own admin check. */
  export const isAdmin: (request: Request) => boolean;
}
