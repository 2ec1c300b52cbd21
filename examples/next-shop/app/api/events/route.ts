// POST /api/events: what the shopper does on the product pages (view, click, add to cart), validated
// against the session-activity source's schema and appended to the stream tier in Redis.
import { eventsRoute } from "@ctxstore/next";
import { identifyShopper } from "@/lib/identity";
import { getShop } from "@/lib/shop";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Built on first use, not at import: `next build` loads route modules and must not need Redis.
let handler: Promise<(request: Request) => Promise<Response>> | undefined;
const createHandler = () =>
  getShop().then(({ ctx, sources }) =>
    eventsRoute({
      contextStore: ctx,
      source: sources.activity,
      identify: identifyShopper,
      // The browser sends what happened; the server says when (browser clocks are not trusted).
      prepare: (event, { receivedAt }) =>
        event !== null && typeof event === "object"
          ? { ...event, at: new Date(receivedAt).toISOString() }
          : event,
      maxBodyBytes: 8 * 1024,
      rateLimit: { limit: 60, window: "1m" },
      onError: (error) =>
        console.warn(
          `next-shop: events not recorded: ${error instanceof Error ? error.message : String(error)}`,
        ),
    }),
  );

export async function POST(request: Request): Promise<Response> {
  handler ??= createHandler();
  return (await handler)(request);
}
