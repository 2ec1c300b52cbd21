// Who a request is about. The application owns authentication: it passes an `identify` function that
// reads its own session cookie or header and returns the entity keys ctxstore should assemble for
// (`{ user: { userId }, session: { sessionId } }`), or null when the caller is not signed in.
import { type ContextStore, CtxError, type Entity, type Principal } from "@ctxstore/core";
import { canonicalize } from "@ctxstore/core/store";
import { errorResponse } from "./responses.js";

/**
 * Who a request is about, as the application's `identify` function returns it: entity keys, and the
 * caller's tenant and principal (from its session, never from the URL or body).
 */
export interface RequestIdentity {
  /** Entity keys by entity name, as `assemble` takes them. */
  readonly keys: Readonly<Record<string, unknown>>;
  /**
   * The caller's tenant, from its session (never from the URL or body): scopes every read on a
   * multi-tenant store, and vector sources that filter by it.
   */
  readonly tenant?: string;
  /** Who is asking, for sources' `readers` and the audit record (docs/governance.md). */
  readonly principal?: Principal;
}

/**
 * Reads the identity of a request. Return null (or undefined) when the caller is unknown: the route
 * answers 401. Return a Response to answer with it instead (e.g. a redirect or your own 403).
 */
export type Identify = (
  request: Request,
) => RequestIdentity | Response | null | undefined | Promise<RequestIdentity | Response | null | undefined>;

/**
 * What `resolveIdentity` returns: the identity, or the Response to answer with (401, or the one
 * `identify` returned).
 */
export type IdentityResult =
  | { readonly ok: true; readonly identity: RequestIdentity }
  | { readonly ok: false; readonly response: Response };

/**
 * Calls `identify` for a request: a null or undefined answer becomes a 401 JSON response, a Response
 * is passed through. Throws a TypeError when `identify` returns something without entity keys (a bug
 * in the application, not the request).
 */
export async function resolveIdentity(identify: Identify, request: Request): Promise<IdentityResult> {
  const identity = await identify(request);
  if (identity instanceof Response) return { ok: false, response: identity };
  if (identity === null || identity === undefined) {
    return {
      ok: false,
      response: errorResponse(401, {
        error: "unauthenticated",
        message:
          "This route needs to know who is asking: the identify function found no user for this request. Sign in (or send the session cookie) and retry.",
      }),
    };
  }
  if (
    typeof identity !== "object" ||
    identity.keys === null ||
    typeof identity.keys !== "object" ||
    Object.keys(identity.keys).length === 0
  ) {
    // A bug in the application's identify function, not in the request: fail loudly.
    throw new TypeError(
      "identify() must return { keys: { <entity>: <key> } } with at least one entity key, null, or a Response.",
    );
  }
  return { ok: true, identity };
}

/** The value of one cookie of a request, or undefined. Works on any `Request` (no next/headers needed). */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const pair of header.split(";")) {
    const separator = pair.indexOf("=");
    if (separator < 0) continue;
    if (pair.slice(0, separator).trim() !== name) continue;
    const raw = pair.slice(separator + 1).trim();
    const unquoted = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
    try {
      return decodeURIComponent(unquoted);
    } catch {
      return unquoted;
    }
  }
  return undefined;
}

/** A stable string naming one entity key of an identity (rate-limit buckets, logs). */
export function identitySubject(identity: RequestIdentity, entity: string): string | undefined {
  const key = identity.keys[entity];
  return key === undefined ? undefined : `${entity}:${canonicalize(key)}`;
}

/**
 * Checks entity keys against the context store's entities before any work starts, so a bad key
 * (e.g. from a request body) is a 400 up front rather than an error in the middle of a stream.
 * Throws `CTX_UNKNOWN_ENTITY` or `CTX_INVALID_KEY`.
 */
export function checkKeys(context: ContextStore, keys: Readonly<Record<string, unknown>>): void {
  const entities = new Map<string, Entity>();
  for (const source of context.sources.values()) {
    const entity = source.entity as Entity | undefined;
    if (entity) entities.set(entity.name, entity);
  }
  for (const [name, key] of Object.entries(keys)) {
    const entity = entities.get(name);
    if (!entity) {
      throw new CtxError(
        "CTX_UNKNOWN_ENTITY",
        `keys.${name}: no source uses an entity named "${name}". Known entities: ${[...entities.keys()].join(", ") || "(none)"}.`,
        {
          entity: name,
        },
      );
    }
    entity.canonicalKey(key);
  }
}
