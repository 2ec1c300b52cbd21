// The LangChain support demo, offline: LangChain's fake chat model stands in for the LLM and records
// every call, so we can print exactly what the model saw.
// (1) LCEL chain: Mara asks where her refund is.
// (2) The same chain batched over three customers: each prompt holds only its own customer's context;
//     the brand-new customer's history is "unknown — never computed", not "no history".
// (3) Agent: the model escalates the ticket with a tool, then answers; context is assembled for each
//     of the two model calls.
// (4) Retriever: the new customer's context as Documents; the missing history is a Document whose
//     status says "missing", not an absent Document.
import { ContextStoreRetriever } from "@ctxstore/langchain";
import { AIMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { HumanMessage } from "langchain";
import { escalations, forCustomer, supportAgent, supportChain } from "./assistant.js";
import { formatMessages, formatTrace, traceCollector } from "./show.js";
import { createSupportDesk } from "./support.js";

const out = (text: string) => process.stdout.write(`${text}\n`);
const desk = await createSupportDesk();

out("=== (1) LCEL chain: Mara asks about her refund ===");
{
  const model = fakeModel().respond(
    new AIMessage("Your refund was approved; it should reach your card within 5 business days."),
  );
  const { traces, handler } = traceCollector();
  const answer = await supportChain(desk.store, model).invoke(
    { question: "Where is my refund?" },
    { ...forCustomer("c-mara"), callbacks: [handler] },
  );
  out(formatMessages(model.calls[0]?.messages ?? []));
  out(`answer: ${answer}`);
  for (const trace of traces) out(formatTrace(trace));
}

out("\n=== (2) The chain batched over three customers ===");
{
  const customers = ["c-mara", "c-jon", "c-new"];
  const model = fakeModel();
  for (const _ of customers)
    model.respond((messages) => new AIMessage(`(fake answer to: ${messages.at(-1)?.text})`));
  await supportChain(desk.store, model).batch(
    [
      { question: "Any update on my refund?" },
      { question: "Can I export my projects?" },
      { question: "Why are my codes rejected?" },
    ],
    customers.map(forCustomer),
  );
  for (const call of model.calls) out(`--- model call ---\n${formatMessages(call.messages)}`);
}

out("\n=== (3) Agent: Mara's refund is late, the model escalates ===");
{
  const model = fakeModel()
    .respond(
      new AIMessage({
        content: "",
        tool_calls: [
          {
            id: "call-1",
            name: "escalate_ticket",
            args: { customerId: "c-mara", reason: "approved refund not received" },
          },
        ],
      }),
    )
    .respond(new AIMessage("I've escalated this to our billing team; they will contact you today."));
  const { traces, handler } = traceCollector();
  const result = await supportAgent(desk.store, model).invoke(
    { messages: [new HumanMessage("It has been a week and the refund is still not there!")] },
    { ...forCustomer("c-mara"), callbacks: [handler] },
  );
  for (const [index, call] of model.calls.entries()) {
    out(`--- model call ${index + 1} ---\n${formatMessages(call.messages)}`);
  }
  out(`final answer: ${result.messages.at(-1)?.text}`);
  out(`escalations: ${JSON.stringify(escalations)}`);
  out(`traces: ${traces.length} (one per model call)`);
  for (const trace of traces) out(formatTrace(trace));
}

out("\n=== (4) Retriever: the new customer's context as Documents ===");
{
  const retriever = new ContextStoreRetriever({ contextStore: desk.store, budget: { maxTokens: 300 } });
  const documents = await retriever.invoke("Why are my codes rejected?", forCustomer("c-new"));
  for (const document of documents) {
    const { source, tier, status, rendered, tokens } = document.metadata;
    out(
      `${source} (${tier}, ${status}, ${rendered}, ${tokens} tokens)\n${document.pageContent.replace(/^/gm, "    ")}`,
    );
  }
}

await desk.store.close();
