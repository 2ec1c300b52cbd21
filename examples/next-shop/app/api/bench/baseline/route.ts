// The benchmark's baseline: the chat route without ctxstore. Same identity check, body reading,
// message validation, model and UI-message stream as /api/chat, minus context assembly, so
// `route.next`'s overhead_ratio isolates what ctxstore adds. Answers 404 unless NEXT_SHOP_BENCH=1.
import { errorResponse, readJsonBody, resolveIdentity } from "@ctxstore/next";
import { convertToModelMessages, safeValidateUIMessages, streamText } from "ai";
import { identifyShopper } from "@/lib/identity";
import { SYSTEM_PROMPT, shopModel } from "@/lib/model";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  if (process.env.NEXT_SHOP_BENCH !== "1")
    return errorResponse(404, {
      error: "not_found",
      message: "The benchmark baseline is off (NEXT_SHOP_BENCH=1 turns it on).",
    });
  const identified = await resolveIdentity(identifyShopper, request);
  if (!identified.ok) return identified.response;
  const body = await readJsonBody(request, 512 * 1024);
  if (!body.ok) return body.response;
  const validated = await safeValidateUIMessages({
    messages: (body.value as { messages?: unknown }).messages,
  });
  if (!validated.success)
    return errorResponse(400, { error: "invalid_messages", message: validated.error.message });
  const result = streamText({
    model: shopModel(),
    system: SYSTEM_PROMPT,
    messages: await convertToModelMessages(validated.data),
    abortSignal: request.signal,
  });
  return result.toUIMessageStreamResponse({
    originalMessages: validated.data,
    headers: { "cache-control": "no-store" },
  });
}
