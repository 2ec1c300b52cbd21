// GET /api/sign-in?as=new-visitor: switches the demo customer (and starts a fresh session), then
// returns to the store.
import { NextResponse } from "next/server";
import { DEMO_USERS, SESSION_COOKIE, USER_COOKIE } from "@/lib/identity";

export const runtime = "nodejs";

export function GET(request: Request): Response {
  const url = new URL(request.url);
  const as = url.searchParams.get("as") ?? "ana";
  if (!Object.hasOwn(DEMO_USERS, as))
    return NextResponse.json(
      { error: "unknown_user", message: `Sign in as one of: ${Object.keys(DEMO_USERS).join(", ")}.` },
      { status: 400 },
    );
  // A relative Location: behind a proxy (or on 127.0.0.1 vs localhost) request.url may name another
  // host than the browser used, and the cookies set here must go back to the same host.
  const response = new NextResponse(null, { status: 303, headers: { location: "/" } });
  response.cookies.set(USER_COOKIE, as, { path: "/", sameSite: "lax", httpOnly: true });
  response.cookies.set(SESSION_COOKIE, crypto.randomUUID(), { path: "/", sameSite: "lax", httpOnly: true });
  return response;
}
