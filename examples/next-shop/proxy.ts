// Gives every browser a shopping session (and signs it in as the demo customer Ana) when it opens a
// page, so the events and chat routes it calls next know whose session it is. API routes are left
// out: a call without the cookies is answered 401 by the routes' identify function.
import { type NextRequest, NextResponse } from "next/server";
import { SESSION_COOKIE, USER_COOKIE } from "@/lib/identity";

export function proxy(request: NextRequest) {
  const hasUser = request.cookies.has(USER_COOKIE);
  const hasSession = request.cookies.has(SESSION_COOKIE);
  if (hasUser && hasSession) return NextResponse.next();
  // Make the cookies visible to this very request too, not only to the next one.
  const headers = new Headers(request.headers);
  const user = request.cookies.get(USER_COOKIE)?.value ?? "ana";
  const session = request.cookies.get(SESSION_COOKIE)?.value ?? crypto.randomUUID();
  headers.set(
    "cookie",
    `${request.headers.get("cookie") ? `${request.headers.get("cookie")}; ` : ""}${hasUser ? "" : `${USER_COOKIE}=${user}; `}${hasSession ? "" : `${SESSION_COOKIE}=${session}`}`.replace(
      /; $/,
      "",
    ),
  );
  const response = NextResponse.next({ request: { headers } });
  if (!hasUser) response.cookies.set(USER_COOKIE, user, { path: "/", sameSite: "lax", httpOnly: true });
  if (!hasSession)
    response.cookies.set(SESSION_COOKIE, session, { path: "/", sameSite: "lax", httpOnly: true });
  return response;
}

export const config = { matcher: ["/((?!api/|_next/|favicon.ico).*)"] };
