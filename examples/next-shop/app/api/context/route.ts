// GET /api/context?user.userId=ana&session.sessionId=...: what ctxstore would assemble right now, as
// JSON. Off unless CTXSTORE_INSPECT=1: it shows stored data about any user named in the URL.
import { inspectRoute } from "@ctxstore/next";
import { getShop } from "@/lib/shop";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Built on first use, not at import: `next build` loads route modules and must not need Redis.
let handler: Promise<(request: Request) => Promise<Response>> | undefined;
const createHandler = () =>
  getShop().then(({ ctx }) =>
    inspectRoute({ contextStore: ctx, enabled: process.env.CTXSTORE_INSPECT === "1", deadline: "400ms" }),
  );

export async function GET(request: Request): Promise<Response> {
  handler ??= createHandler();
  return (await handler)(request);
}
