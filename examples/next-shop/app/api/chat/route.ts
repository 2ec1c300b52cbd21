// POST /api/chat: the shopping assistant. useChat posts the conversation (plus the product on
// screen); the answer streams back as the AI SDK's UI-message stream, with the context trace of
// the answer (and, for the "why this answer" panel, the packed context) in the message metadata.
import { chatRoute } from "@ctxstore/next/chat";
import { identifyShopper } from "@/lib/identity";
import { SYSTEM_PROMPT, shopModel } from "@/lib/model";
import { getShop } from "@/lib/shop";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Built on first use, not at import: `next build` loads route modules and must not need Redis.
let handler: Promise<(request: Request) => Promise<Response>> | undefined;
const createHandler = () =>
  getShop().then(({ ctx }) =>
    chatRoute({
      contextStore: ctx,
      identify: identifyShopper,
      model: shopModel(),
      system: SYSTEM_PROMPT,
      budget: { maxTokens: 1200 },
      deadline: "400ms",
      sendContext: true,
      keys: ({ identity, body }) =>
        typeof body.productId === "string" && body.productId !== ""
          ? { ...identity.keys, product: { productId: body.productId } }
          : identity.keys,
    }),
  );

export async function POST(request: Request): Promise<Response> {
  await getShop(); // retries seeding if Redis was down at startup
  handler ??= createHandler();
  return (await handler)(request);
}
