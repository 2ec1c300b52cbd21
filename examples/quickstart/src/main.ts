// The quickstart: an e-commerce assistant's context on the embedded default stores (no servers).
// (a) A returning customer: profile, orders, live session, inventory, help articles; the loyalty
//     service times out and the prompt says "unknown", never "no loyalty status".
// (b) A genuinely new customer: the empty history is stated as a fact.
import { formatPrompt, formatTrace } from "./format.js";
import { SCENARIOS } from "./scenarios.js";
import { createShopContext } from "./shop.js";

const shop = await createShopContext();
await shop.seed();

for (const scenario of SCENARIOS) {
  const result = await shop.ctx.assemble(scenario.request);
  process.stdout.write(`\n${scenario.title}\nquery: ${scenario.request.query}\n\n`);
  process.stdout.write(`${formatPrompt(result)}\n\n${formatTrace(result)}\n`);
}
await shop.ctx.close();
