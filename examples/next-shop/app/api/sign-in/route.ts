// GET /api/sign-in?as=new-visitor: switches the demo customer (and starts a fresh session), then
// returns to the store.
import { NextResponse } from "next/server";
import { DEMO_USERS, SESSION_COOKIE, USER_COOKIE } from "@/lib/identity";

export const runtime = "nodejs";

export function GET(request: Request): Response {
  const url = new URL(request.url);
  const as = url.searchParams.get("as") ?? "ana";
  if (!(as in DEMO_USERS))
    return NextResponse.json(
      { error: "unknown_user", message: `Sign in as one of: ${Object.keys(DEMO_USERS).join(", ")}.` },
      { status: 400 },
    );
  const response = NextResponse.redirect(new URL("/", url));
  response.cookies.set(USER_COOKIE, as, { path: "/", sameSite: "lax", httpOnly: true });
  response.cookies.set(SESSION_COOKIE, crypto.randomUUID(), { path: "/", sameSite: "lax", httpOnly: true });
  return response;
}
