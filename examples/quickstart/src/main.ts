// The quickstart: an e-commerce assistant's context on the embedded default stores (no servers).
// (a) A returning customer: profile, orders, live session, inventory, help articles; the loyalty
//     service times out and the prompt says "unknown", never "no loyalty status".
// (b) A genuinely new customer: the empty history is stated as a fact.
import { formatPrompt, formatTrace } from "./format.js";
import { createShopContext } from "./shop.js";

const shop = await createShopContext();
await shop.seed();

const scenarios = [
  {
    title: "(a) Returning customer Ana asks about trail shoes",
    request: {
      keys: {
        user: { userId: "ana" },
        session: { sessionId: "s-ana-1" },
        product: { productId: "trail-runner-x" },
      },
      query: "Do you have the Trail Runner X in my size, and can I return it if it is too narrow?",
      budget: { maxTokens: 600 },
    },
  },
  {
    title: "(b) A new customer on their first visit",
    request: {
      keys: {
        user: { userId: "new-visitor" },
        session: { sessionId: "s-new-1" },
        product: { productId: "summit-gtx" },
      },
      query: "How do I pick the right size for waterproof trail shoes?",
      budget: { maxTokens: 600 },
    },
  },
];

for (const scenario of scenarios) {
  const result = await shop.ctx.assemble(scenario.request);
  process.stdout.write(`\n${scenario.title}\nquery: ${scenario.request.query}\n\n`);
  process.stdout.write(`${formatPrompt(result)}\n\n${formatTrace(result)}\n`);
}
await shop.ctx.close();
