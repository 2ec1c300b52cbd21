import {
  type AssemblyTrace,
  batch,
  type CtxError,
  checkRequestLayer,
  createContextStore,
  defineEntity,
  isCtxError,
  section,
} from "@ctxstore/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ADA_CONTEXT, NOW, type SupportFixture, supportFixture } from "../test/support-store.js";
import { contextItems } from "./items.js";
import { ContextStoreRetriever } from "./retriever.js";
import { TRACE_EVENT, WARNING_EVENT } from "./trace-event.js";

let fixture: SupportFixture;
beforeAll(async () => {
  fixture = await supportFixture();
});

const ada = { customer: { customerId: "c-ada" } };
const bob = { customer: { customerId: "c-bob" } };

function retriever(options: Partial<ConstructorParameters<typeof ContextStoreRetriever>[0]> = {}) {
  return new ContextStoreRetriever({ contextStore: fixture.store, budget: { maxTokens: 400 }, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("ContextStoreRetriever", () => {
  it("returns one Document per context item (per passage for vector sources) with its exact packed text", async () => {
    const documents = await retriever({ keys: ada }).invoke("When will my refund arrive?");
    expect(documents.map((document) => [document.metadata.source, document.pageContent])).toEqual([
      ["ticket_history", "- Plan: Pro\n- Past tickets: 4\n- Summary: Waiting on a refund for order A-100."],
      ["recent_messages", "- customer: Where is my refund?"],
      [
        "help_center",
        "- Refund timing: Refunds reach the original card within 5 to 7 business days after approval.",
      ],
      [
        "help_center",
        "- Password reset: Reset a forgotten password from the sign-in page with the email link.",
      ],
      ["order_status", "- order: A-100\n- state: refund approved"],
    ]);
    // Together the documents are the packed context, section by section.
    expect(documents.map((document) => document.pageContent).join("\n")).toBe(
      ADA_CONTEXT.split("\n")
        .filter((line) => !line.startsWith("## ") && line.length > 0)
        .join("\n"),
    );
    const passages = documents.filter((document) => document.metadata.source === "help_center");
    expect(passages.map((document) => [document.metadata.documentId, document.metadata.title])).toEqual([
      ["refunds", "Refund timing"],
      ["password", "Password reset"],
    ]);
    const scores = passages.map((document) => document.metadata.score ?? Number.NaN);
    expect(scores[0]).toBeGreaterThan(scores[1] as number);
    const [history] = documents;
    expect(history?.metadata).toMatchObject({
      source: "ticket_history",
      tier: "batch",
      section: "Customer",
      status: "ok",
      rendered: "value",
      outcome: "included",
      eventTime: NOW - 2 * 3_600_000,
      ageMs: 2 * 3_600_000,
    });
    const tokenizer = fixture.store.tokenizer;
    for (const document of documents) {
      const counted = document.pageContent
        .split("\n")
        .reduce((sum, line) => sum + tokenizer.count(`${line}\n`), 0);
      expect(document.metadata.tokens).toBe(counted);
    }
  });

  it("splits a truncated passage list into the kept passages, leaving out the truncation marker", async () => {
    let truncatedSeen = 0;
    for (let maxTokens = 20; maxTokens <= 60; maxTokens++) {
      const documents = await retriever({
        keys: ada,
        sources: ["help_center"],
        budget: { maxTokens },
      }).invoke("When will my refund arrive?");
      if (documents[0]?.metadata.outcome !== "truncated") continue;
      truncatedSeen += 1;
      expect(documents.map((document) => document.pageContent)).toEqual([
        "- Refund timing: Refunds reach the original card within 5 to 7 business days after approval.",
      ]);
      expect(documents[0]?.metadata).toMatchObject({ documentId: "refunds", status: "ok" });
    }
    expect(truncatedSeen).toBeGreaterThan(0);
  });

  it("takes per-call keys from config.configurable.ctxstore, replacing the constructor's", async () => {
    const documents = await retriever({ keys: ada }).invoke("How long does shipping take?", {
      configurable: { ctxstore: { keys: bob } },
    });
    const text = documents.map((document) => document.pageContent).join("\n");
    expect(text).toContain("Plan: Free");
    expect(text).toContain("How long does shipping take?");
    expect(text).not.toContain("Pro");
    expect(documents.find((document) => document.metadata.source === "order_status")).toMatchObject({
      pageContent: "Order status: none (no open orders).",
      metadata: { status: "empty", rendered: "empty" },
    });
  });

  it("returns an unavailable source under the note policy as a Document that says it is unknown", async () => {
    fixture.orderLookupDown = true;
    try {
      const documents = await retriever({ keys: ada }).invoke("Where is my order?");
      const order = documents.find((document) => document.metadata.source === "order_status");
      expect(order?.pageContent).toBe(
        "Order status: unknown — the lookup failed. Do not assume there is none.",
      );
      expect(order?.metadata).toMatchObject({
        status: "error",
        rendered: "note",
        reason: "orders service unreachable",
      });
      expect(documents.map((document) => document.metadata.source)).toEqual([
        "ticket_history",
        "recent_messages",
        "help_center",
        "help_center",
        "order_status",
      ]);
    } finally {
      fixture.orderLookupDown = false;
    }
  });

  it("a budget that leaves out every source: a ctxstore_warning callback event names what was dropped (#15)", async () => {
    const events: { name: string; data: { kind?: string; message?: string } }[] = [];
    await retriever({ keys: ada, budget: { maxTokens: 3 } }).invoke("When will my refund arrive?", {
      callbacks: [
        {
          handleCustomEvent: (name, data) => {
            events.push({ name, data: data as { kind?: string; message?: string } });
          },
        },
      ],
    });
    expect(events.map((event) => event.name)).toEqual([TRACE_EVENT, WARNING_EVENT]);
    expect(events[1]?.data.kind).toBe("nothing_fits");
    expect(events[1]?.data.message).toContain("ticket_history (");
  });

  it("a budget that leaves out a whole reserved (minTokens) section: a reserved_left_out warning event names it (#15)", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const profile = batch("profile", {
      entity: user,
      schema: z.string(),
      section: "Profile",
      priority: 90,
      required: true,
    });
    const terms = batch("terms", {
      entity: user,
      schema: z.string(),
      section: section("Account terms", { minTokens: 30 }),
    });
    const contextStore = createContextStore({ sources: [profile, terms] });
    await contextStore.write(
      profile,
      { userId: "ana" },
      "Ana Lima, trail runner training for a 50 km race in the spring.",
    );
    await contextStore.write(
      terms,
      { userId: "ana" },
      "Returns accepted within 60 days. Free exchanges on shoes.",
    );
    const events: { name: string; data: { kind?: string; message?: string } }[] = [];
    const documents = await new ContextStoreRetriever({
      contextStore,
      keys: { user: { userId: "ana" } },
      budget: { maxTokens: 24 },
    }).invoke("What are my return terms?", {
      callbacks: [
        {
          handleCustomEvent: (name, data) => {
            events.push({ name, data: data as { kind?: string; message?: string } });
          },
        },
      ],
    });
    expect(documents.map((document) => document.metadata.source)).toEqual(["profile"]);
    expect(events.map((event) => event.name)).toEqual([TRACE_EVENT, WARNING_EVENT]);
    expect(events[1]?.data.kind).toBe("reserved_left_out");
    expect(events[1]?.data.message).toContain('section "Account terms" (minTokens 30)');
  });

  it("dispatches the assembly trace as a custom callback event under the retriever run", async () => {
    const events: { name: string; data: AssemblyTrace; runId: string }[] = [];
    let retrieverRunId: string | undefined;
    const documents = await retriever({ keys: ada }).invoke("When will my refund arrive?", {
      callbacks: [
        {
          handleRetrieverStart: (_retriever, _query, runId) => {
            retrieverRunId = runId;
          },
          handleCustomEvent: (name, data, runId) => {
            events.push({ name, data: data as AssemblyTrace, runId });
          },
        },
      ],
    });
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.name).toBe(TRACE_EVENT);
    expect(event?.runId).toBe(retrieverRunId);
    expect(event?.data.id).toBe(documents[0]?.metadata.traceId);
    expect(event?.data.keys).toEqual({ customer: "customerId=c-ada" });
    expect(event?.data.sources.map((source) => [source.source, source.status])).toEqual([
      ["ticket_history", "ok"],
      ["recent_messages", "ok"],
      ["order_status", "ok"],
      ["help_center", "ok"],
    ]);
  });

  it("shows the trace in streamEvents", async () => {
    const custom: { name: string; trace: AssemblyTrace }[] = [];
    for await (const event of retriever({ keys: ada }).streamEvents("Refund?", { version: "v2" })) {
      if (event.event === "on_custom_event")
        custom.push({ name: event.name, trace: event.data as AssemblyTrace });
    }
    expect(custom.map((event) => [event.name, event.trace.query])).toEqual([[TRACE_EVENT, "Refund?"]]);
  });

  it("batches over several customers, each getting their own context", async () => {
    const results = await retriever().batch(
      ["Refund?", "Shipping?", "Refund again?"],
      [
        { configurable: { ctxstore: { keys: ada } } },
        { configurable: { ctxstore: { keys: bob } } },
        { configurable: { ctxstore: { keys: ada } } },
      ],
    );
    const plans = results.map(
      (documents) => documents.find((document) => document.metadata.source === "ticket_history")?.pageContent,
    );
    expect(plans.map((text) => text?.split("\n")[0])).toEqual(["- Plan: Pro", "- Plan: Free", "- Plan: Pro"]);
  });

  describe("bad input", () => {
    it("rejects a missing or empty question", async () => {
      for (const input of ["", "   ", undefined, 42]) {
        const error = await rejection(retriever({ keys: ada }).invoke(input as string));
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain("needs the user's question as a non-empty string");
      }
    });

    it("a missing entity key skips the sources that need it, as core does: their documents are notes, not values", async () => {
      const documents = await retriever().invoke("Refund?");
      const direct = await fixture.store.assemble({ keys: {}, query: "Refund?", budget: { maxTokens: 400 } });
      expect(direct.values.ticket_history).toMatchObject({
        status: "skipped",
        reason: 'no "customer" key in the request',
      });
      const history = documents.find((document) => document.metadata.source === "ticket_history");
      expect(history?.metadata).toMatchObject({
        status: "skipped",
        rendered: "note",
        reason: 'no "customer" key in the request',
      });
      expect(history?.pageContent).not.toContain("Plan: Pro");
      expect(history?.pageContent).toContain("unknown");
    });

    it("rejects a wrong configurable shape with the expected one", async () => {
      for (const ctxstore of [{ keys: "c-ada" }, { key: ada }, "c-ada", { keys: ada, maxTokens: -5 }]) {
        const error = await rejection(retriever().invoke("Refund?", { configurable: { ctxstore } }));
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain("config.configurable.ctxstore must be { keys?:");
      }
    });

    it.each([
      ["an unknown field", { keys: ada, maxTokens: 100 }],
      ["a bad duration", { keys: ada, deadline: "soon" }],
      ["a bad budget", { keys: ada, budget: { maxTokens: 0 } }],
    ])("%s per call: core's typed error and message", async (_, ctxstore) => {
      const expected = await rejection(
        Promise.resolve().then(() => checkRequestLayer(ctxstore, "config.configurable.ctxstore")),
      );
      const error = await rejection(retriever().invoke("Refund?", { configurable: { ctxstore } }));
      expect(isCtxError(error, (expected as CtxError).code)).toBe(true);
      expect((error as Error).message).toBe((expected as Error).message);
    });

    it("rejects keys that do not match the entity's key schema, naming the entity", async () => {
      expect(() => retriever({ keys: { customer: { id: "c-ada" } } })).toThrow(/Key for entity "customer"/);
      const error = await rejection(
        retriever().invoke("Refund?", { configurable: { ctxstore: { keys: { customer: { id: 7 } } } } }),
      );
      expect(isCtxError(error, "CTX_INVALID_KEY")).toBe(true);
      expect((error as Error).message).toContain("customer");
    });

    it("rejects keys naming an entity no source uses", async () => {
      const error = await rejection(
        retriever({ keys: ada }).invoke("Refund?", {
          configurable: { ctxstore: { keys: { custmer: ada.customer } } },
        }),
      );
      expect(isCtxError(error, "CTX_UNKNOWN_ENTITY")).toBe(true);
      expect((error as Error).message).toContain('"custmer"');
    });

    it("rejects bad constructor options at construction", () => {
      const attempts: [unknown, string][] = [
        [{ budget: { maxTokens: 100 } }, "needs `contextStore`"],
        [{ contextStore: fixture.store }, "budget"],
        [{ contextStore: fixture.store, budget: { maxTokens: 0 } }, "budget.maxTokens"],
        [{ contextStore: fixture.store, budget: { maxTokens: 10 }, keys: "c-ada" }, "keys"],
        [{ contextStore: fixture.store, budget: { maxTokens: 10 }, sources: ["tickets"] }, '"tickets"'],
        [{ contextStore: fixture.store, budget: { maxTokens: 10 }, deadline: "soon" }, "deadline"],
        [
          { contextStore: fixture.store, budget: { maxTokens: 10 }, key: ada },
          'does not know the option(s) "key"',
        ],
      ];
      for (const [options, mention] of attempts) {
        let caught: unknown;
        try {
          new ContextStoreRetriever(options as ConstructorParameters<typeof ContextStoreRetriever>[0]);
        } catch (error) {
          caught = error;
        }
        expect(isCtxError(caught), JSON.stringify(mention)).toBe(true);
        expect((caught as Error).message).toContain(mention);
      }
    });
  });
});

describe("contextItems", () => {
  it("splits any packing, tight or loose, into items whose text rebuilds the packed text exactly", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom("c-ada", "c-bob"),
        async (maxTokens, customerId) => {
          const result = await fixture.store
            .assemble({ keys: { customer: { customerId } }, query: "refund shipping", budget: { maxTokens } })
            .catch((error: unknown) => {
              if (isCtxError(error, "CTX_BUDGET_TOO_SMALL")) return undefined;
              throw error;
            });
          if (!result) return;
          const items = contextItems(result);
          const rebuilt = result.sections
            .map((section) => {
              const body = items
                .filter((item) => section.sources.includes(item.trace.source))
                .map((item) => `${item.text}\n`);
              return `## ${section.title}\n${body.join("")}`;
            })
            .join("");
          expect(rebuilt).toBe(result.text);
          expect(items.map((item) => item.trace.source)).toEqual(
            result.sections.flatMap((section) => section.sources),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses a result without per-source blocks (an older core) instead of guessing", async () => {
    const result = await fixture.store.assemble({ keys: ada, query: "refund", budget: { maxTokens: 400 } });
    const older = {
      ...result,
      sections: result.sections.map(({ blocks: _blocks, ...section }) => section),
    } as unknown as typeof result;
    expect(() => contextItems(older)).toThrow(/install the same version/);
  });
});
