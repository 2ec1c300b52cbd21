// The assistant, built two ways over the same context store:
// - as an LCEL chain: the packed context fills the {context} slot of a prompt template;
// - as a langchain v1 agent: middleware adds the packed context to the system prompt of every model
//   call, and the agent may call a tool (escalate a ticket) between calls.
// Either way, which customer the context is about comes per call, from the config.
import type { ContextStore } from "@ctxstore/core";
import { contextRunnable } from "@ctxstore/langchain";
import { contextMiddleware } from "@ctxstore/langchain/agent";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough } from "@langchain/core/runnables";
import { createAgent, tool } from "langchain";
import { z } from "zod";

export const SYSTEM_PROMPT = "You are the support assistant of Acme Cloud. Answer briefly and kindly.";

/** Token budget for the packed context of one model call. */
const CONTEXT_BUDGET = { maxTokens: 300 };

export function supportChain(store: ContextStore, model: BaseChatModel) {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", `${SYSTEM_PROMPT}\n\n{context}`],
    ["human", "{question}"],
  ]);
  return RunnablePassthrough.assign({
    context: contextRunnable({ contextStore: store, budget: CONTEXT_BUDGET }),
  })
    .pipe(prompt)
    .pipe(model)
    .pipe(new StringOutputParser());
}

export const escalations: { customerId: string; reason: string }[] = [];

const escalate = tool(
  async ({ customerId, reason }) => {
    escalations.push({ customerId, reason });
    return `Ticket escalated to billing for ${customerId}.`;
  },
  {
    name: "escalate_ticket",
    description: "Hands the customer's ticket to a human specialist.",
    schema: z.object({ customerId: z.string(), reason: z.string() }),
  },
);

export function supportAgent(store: ContextStore, model: BaseChatModel) {
  return createAgent({
    model,
    tools: [escalate],
    systemPrompt: SYSTEM_PROMPT,
    middleware: [contextMiddleware({ contextStore: store, budget: CONTEXT_BUDGET })],
  });
}

/** Per-call config naming the customer: the same shape works for the chain and the agent. */
export function forCustomer(customerId: string) {
  return { configurable: { ctxstore: { keys: { customer: { customerId } } } } };
}
