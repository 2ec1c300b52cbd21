// The AI SDK chat example: the quickstart shop's definitions served through `contextMiddleware`.
// Three calls show the integration: a generateText call for a returning customer, a streamText
// call for a brand-new one, and a call without its context keys, which fails before the model runs.
import { contextMiddleware, contextTrace } from "@ctxstore/ai-sdk";
import type { AssemblyTrace } from "@ctxstore/core";
import { createShopContext } from "@ctxstore-examples/quickstart/shop";
import { generateText, type LanguageModel, streamText, wrapLanguageModel } from "ai";
import { echoModel } from "./echo-model.js";

const INSTRUCTIONS =
  "You are the trail-running shop's assistant. Answer from the context sections. When a value is marked unknown, say you could not check it; never treat it as absent.";

export interface ChatOptions {
  /** The chat model; default the offline echo model. */
  model?: LanguageModel;
  write?: (text: string) => void;
}

export async function runChat({
  model = echoModel(),
  write = (text) => process.stdout.write(text),
}: ChatOptions = {}) {
  const shop = await createShopContext();
  await shop.seed();
  const assistant = wrapLanguageModel({
    model: model as Parameters<typeof wrapLanguageModel>[0]["model"],
    middleware: contextMiddleware({
      contextStore: shop.ctx,
      budget: { contextWindow: 128_000, maxTokens: 800 },
    }),
  });

  write("\n=== (a) generateText: returning customer Ana asks about trail shoes ===\n\n");
  const answer = await generateText({
    model: assistant,
    instructions: INSTRUCTIONS,
    prompt: "Do you have the Trail Runner X in my size, and can I return it if it is too narrow?",
    providerOptions: {
      ctxstore: {
        keys: {
          user: { userId: "ana" },
          session: { sessionId: "s-ana-1" },
          product: { productId: "trail-runner-x" },
        },
      },
    },
  });
  write(`${answer.text}\n\n`);
  write(describeTrace(contextTrace(answer.providerMetadata)));

  write("\n=== (b) streamText: a new customer on their first visit ===\n\n");
  const streamed = streamText({
    model: assistant,
    instructions: INSTRUCTIONS,
    prompt: "How do I pick the right size for waterproof trail shoes?",
    providerOptions: {
      ctxstore: {
        keys: {
          user: { userId: "new-visitor" },
          session: { sessionId: "s-new-1" },
          product: { productId: "summit-gtx" },
        },
      },
    },
  });
  for await (const delta of streamed.textStream) write(delta);
  write("\n\n");
  write(describeTrace(contextTrace(await streamed.providerMetadata)));

  write("\n=== (c) a call without providerOptions.ctxstore fails before the model is called ===\n\n");
  try {
    await generateText({
      model: assistant,
      instructions: INSTRUCTIONS,
      prompt: "Where is my order?",
      maxRetries: 0,
    });
  } catch (error) {
    write(`${error instanceof Error ? error.message : String(error)}\n`);
  }
  await shop.ctx.close();
}

function describeTrace(trace: AssemblyTrace | undefined): string {
  if (!trace) return "(no ctxstore trace)\n";
  const rows = trace.sources.map(
    (source) =>
      `  ${source.source.padEnd(18)} ${source.tier.padEnd(8)} ${source.status.padEnd(8)} ${`${source.tokens}`.padStart(4)} tokens  ${source.latencyMs.toFixed(1).padStart(6)} ms  ${source.outcome}`,
  );
  return [
    `trace ${trace.id}: ${trace.totals.tokens}/${trace.budget.maxTokens} tokens, ${trace.totals.unavailable} source(s) unavailable, ${trace.phases.totalMs.toFixed(1)} ms`,
    ...rows,
    "",
  ].join("\n");
}
