import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { forCustomer, SYSTEM_PROMPT, supportAgent, supportChain } from "../src/assistant.js";
import { createSupportDesk, type SupportDesk } from "../src/support.js";

let desk: SupportDesk;
beforeAll(async () => {
  desk = await createSupportDesk();
});

const MARA_CONTEXT = [
  "## Customer",
  "- Plan: Pro",
  "- Open tickets: 1",
  "- History: Refund for a duplicate charge approved on Nov 18.",
  "## Conversation so far",
  "- customer: I was charged twice last week.",
  "- agent: Sorry about that! The duplicate refund was approved.",
  "- customer: It is still not on my card.",
  "## Help center",
  "- When will I get my refund?: Approved refunds go back to the original payment method within 5 business days. Bank transfers can take 2 more days.",
  "",
].join("\n");

describe("langchain-support example", () => {
  it("the chain's model sees the system prompt plus Mara's packed context", async () => {
    const model = fakeModel().respond(new AIMessage("On its way."));
    const answer = await supportChain(desk.store, model).invoke(
      { question: "Where is my refund?" },
      forCustomer("c-mara"),
    );
    expect(answer).toBe("On its way.");
    expect(model.calls[0]?.messages.map((message) => message.text)).toEqual([
      `${SYSTEM_PROMPT}\n\n${MARA_CONTEXT}`,
      "Where is my refund?",
    ]);
  });

  it("the agent's model sees the same context on both of its calls", async () => {
    const model = fakeModel()
      .respond(
        new AIMessage({
          content: "",
          tool_calls: [
            { id: "call-1", name: "escalate_ticket", args: { customerId: "c-mara", reason: "late refund" } },
          ],
        }),
      )
      .respond(new AIMessage("Escalated."));
    await supportAgent(desk.store, model).invoke(
      { messages: [new HumanMessage("The refund is still not there!")] },
      forCustomer("c-mara"),
    );
    expect(model.calls.map((call) => call.messages[0]?.text)).toEqual([
      `${SYSTEM_PROMPT}\n\n${MARA_CONTEXT}`,
      `${SYSTEM_PROMPT}\n\n${MARA_CONTEXT}`,
    ]);
    expect(model.calls[1]?.messages.at(-1)?.text).toBe("Ticket escalated to billing for c-mara.");
  });

  it("a customer without computed history gets an explicit unknown, never 'no history'", async () => {
    const model = fakeModel().respond(new AIMessage("ok"));
    await supportChain(desk.store, model).invoke(
      { question: "Why are my codes rejected?" },
      forCustomer("c-new"),
    );
    const system = model.calls[0]?.messages[0]?.text ?? "";
    expect(system).toContain(
      "## Customer\nTicket history: unknown — it has never been computed for this request's entity. Do not assume there is none.\n",
    );
    expect(system).toContain("- customer: My two-factor codes keep getting rejected.");
  });

  it("`pnpm start` runs offline and prints what the model saw", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--conditions=@ctxstore/source", "src/main.ts"],
      {
        cwd: root,
        timeout: 60_000,
      },
    );
    expect(stdout).toContain("=== (1) LCEL chain");
    expect(stdout).toContain("[system]\n    You are the support assistant of Acme Cloud.");
    expect(stdout).toContain("traces: 2 (one per model call)");
    expect(stdout).toContain("ticket_history (batch, missing, note, 23 tokens)");
  }, 60_000);
});
