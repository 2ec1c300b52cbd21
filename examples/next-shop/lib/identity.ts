// Who is shopping. The demo has no login: `proxy.ts` gives every browser a session cookie and signs it
// in as the demo customer Ana (or as a first-time visitor, via /api/sign-in?as=new-visitor). A real
// shop would read its own auth session here; ctxstore only needs the entity keys.
import { type RequestIdentity, readCookie } from "@ctxstore/next";

export const USER_COOKIE = "shop_user";
export const SESSION_COOKIE = "shop_session";
export const DEMO_USERS = { ana: "Ana Lima", "new-visitor": "a first-time visitor" } as const;

export function identifyShopper(request: Request): RequestIdentity | null {
  const userId = readCookie(request, USER_COOKIE);
  const sessionId = readCookie(request, SESSION_COOKIE);
  if (!userId || !sessionId) return null;
  return { keys: { user: { userId }, session: { sessionId } } };
}
