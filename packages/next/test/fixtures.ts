// A small shop context for the route tests: a batch profile per user, a stream of session events,
// and an optional realtime lookup; real createContextStore + memoryStore, real tiktoken counts.
import {
  batch,
  type ContextStore,
  createContextStore,
  defineEntity,
  memoryStore,
  type OnlineStore,
  realtime,
  stream,
} from "@ctxstore/core";
import { z } from "zod";
import { type RequestIdentity, readCookie } from "../src/index.js";

export const user = defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
export const session = defineEntity("session", { key: z.object({ sessionId: z.string().min(1) }) });

export const EventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("view"),
    productId: z.string().min(1),
    label: z.string().min(1),
    at: z.string(),
  }),
  z.object({
    type: z.literal("click"),
    productId: z.string().min(1),
    label: z.string().min(1),
    at: z.string(),
  }),
  z.object({
    type: z.literal("add_to_cart"),
    productId: z.string().min(1),
    label: z.string().min(1),
    quantity: z.number().int().positive(),
    at: z.string(),
  }),
]);

export const profile = batch("customer_profile", {
  entity: user,
  schema: z.object({ name: z.string(), summary: z.string() }),
  maxAge: "2d",
  section: "Customer profile",
  priority: 90,
  render: (value) => `${value.name}. ${value.summary}`,
});

export const activity = stream("session_activity", {
  entity: session,
  schema: EventSchema,
  window: 10,
  maxAge: "30m",
  section: "This session",
  priority: 70,
  render: (event) => `${event.type.replaceAll("_", " ")}: ${event.label}`,
});

export interface ShopFixture {
  ctx: ContextStore;
  online: OnlineStore;
}

export async function createFixture(
  options: { online?: OnlineStore; loyalty?: "ok" | "down"; now?: () => number } = {},
): Promise<ShopFixture> {
  const online = options.online ?? memoryStore();
  const sources = [profile, activity];
  if (options.loyalty) {
    const outcome = options.loyalty;
    sources.push(
      realtime("loyalty", {
        entity: user,
        schema: z.object({ tier: z.string() }),
        timeout: "50ms",
        section: "Loyalty",
        required: true,
        resolve: () => {
          if (outcome === "down") throw new Error("loyalty service refused the connection");
          return { tier: "Gold" };
        },
      }) as never,
    );
  }
  const ctx = createContextStore({
    sources,
    online,
    deadline: "500ms",
    ...(options.now ? { now: options.now } : {}),
  });
  await ctx.ready();
  await ctx.write(
    profile,
    { userId: "ana" },
    { name: "Ana Lima", summary: "Trail runner training for a 50 km race." },
  );
  return { ctx, online };
}

/** The identify function of the tests: user and session from cookies, as a real app would. */
export function identifyFromCookies(request: Request): RequestIdentity | null {
  const userId = readCookie(request, "uid");
  if (!userId) return null;
  const sessionId = readCookie(request, "sid");
  return { keys: { user: { userId }, ...(sessionId ? { session: { sessionId } } : {}) } };
}

export function jsonRequest(url: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: "uid=ana; sid=s1", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A request whose body arrives in chunks without a Content-Length; counts how many chunks were pulled. */
export function chunkedRequest(
  url: string,
  chunks: readonly Uint8Array[],
  headers: Record<string, string> = {},
): { request: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[pulled];
        if (chunk === undefined) {
          controller.close();
          return;
        }
        pulled += 1;
        controller.enqueue(chunk);
      },
      // No read-ahead: a chunk is pulled only when the reader asks for it.
    },
    { highWaterMark: 0 },
  );
  const request = new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: "uid=ana; sid=s1", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  return { request, pulled: () => pulled };
}
