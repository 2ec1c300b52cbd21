// A small customer-support context store for the adapter tests: real core (memory online store,
// tiktoken counts, local embedder, in-memory vector store), fixed clock, two customers with different
// histories, and one realtime source whose availability the test controls.
import {
  batch,
  type ContextStore,
  createContextStore,
  defineEntity,
  empty,
  localEmbedder,
  memoryVectorStore,
  realtime,
  stream,
  vector,
} from "@ctxstore/core";
import { z } from "zod";

export const NOW = Date.parse("2026-11-20T12:00:00Z");
const HOUR = 3_600_000;

/** The packed context of customer c-ada for "When will my refund arrive?" (budget 400). */
export const ADA_CONTEXT = [
  "## Customer",
  "- Plan: Pro",
  "- Past tickets: 4",
  "- Summary: Waiting on a refund for order A-100.",
  "## Recent messages",
  "- customer: Where is my refund?",
  "## Help center",
  "- Refund timing: Refunds reach the original card within 5 to 7 business days after approval.",
  "- Password reset: Reset a forgotten password from the sign-in page with the email link.",
  "## Orders",
  "- order: A-100",
  "- state: refund approved",
  "",
].join("\n");

export const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });

export interface SupportFixture {
  readonly store: ContextStore;
  /** When true, the order-status lookup throws (an outage): the source reads as `error`. */
  orderLookupDown: boolean;
}

const ARTICLES = [
  {
    id: "refunds",
    title: "Refund timing",
    text: "Refunds reach the original card within 5 to 7 business days after approval.",
  },
  {
    id: "shipping",
    title: "Shipping times",
    text: "Standard shipping takes 3 to 5 days; express ships next day.",
  },
  {
    id: "password",
    title: "Password reset",
    text: "Reset a forgotten password from the sign-in page with the email link.",
  },
];

export async function supportFixture(): Promise<SupportFixture> {
  const embedder = localEmbedder();
  const articles = memoryVectorStore();
  const vectors = await embedder.embed(ARTICLES.map((article) => `${article.title}. ${article.text}`));
  await articles.upsert(
    ARTICLES.map((article, index) => ({
      id: `${article.id}#0`,
      documentId: article.id,
      chunkIndex: 0,
      vector: vectors[index] as number[],
      text: article.text,
      title: article.title,
    })),
  );
  const fixture = { orderLookupDown: false } as SupportFixture;

  const ticketHistory = batch("ticket_history", {
    entity: customer,
    schema: z.object({ plan: z.string(), tickets: z.number().int(), summary: z.string() }),
    maxAge: "7d",
    section: "Customer",
    priority: 90,
    render: (value) => [`Plan: ${value.plan}`, `Past tickets: ${value.tickets}`, `Summary: ${value.summary}`],
  });
  const recentMessages = stream("recent_messages", {
    entity: customer,
    schema: z.object({ from: z.enum(["customer", "agent"]), text: z.string() }),
    window: 5,
    maxAge: "1d",
    section: "Recent messages",
    priority: 70,
    render: (event) => `${event.from}: ${event.text}`,
  });
  const orderStatus = realtime("order_status", {
    entity: customer,
    schema: z.object({ order: z.string(), state: z.string() }),
    timeout: "200ms",
    section: "Orders",
    priority: 60,
    onUnavailable: "note",
    resolve: async (key) => {
      if (fixture.orderLookupDown) throw new Error("orders service unreachable");
      return key.customerId === "c-ada"
        ? { order: "A-100", state: "refund approved" }
        : empty("no open orders");
    },
  });
  const helpCenter = vector("help_center", {
    store: articles,
    embedder,
    topK: 2,
    section: "Help center",
    priority: 50,
  });

  const store = createContextStore({
    sources: [ticketHistory, recentMessages, orderStatus, helpCenter],
    now: () => NOW,
    deadline: "2s",
  });
  await store.write(
    ticketHistory,
    { customerId: "c-ada" },
    { plan: "Pro", tickets: 4, summary: "Waiting on a refund for order A-100." },
    { eventTime: NOW - 2 * HOUR },
  );
  await store.write(
    ticketHistory,
    { customerId: "c-bob" },
    { plan: "Free", tickets: 1, summary: "Asked about shipping once." },
    { eventTime: NOW - 30 * HOUR },
  );
  await store.append(
    recentMessages,
    { customerId: "c-ada" },
    { from: "customer" as const, text: "Where is my refund?" },
    { eventTime: NOW - 60_000 },
  );
  await store.append(
    recentMessages,
    { customerId: "c-bob" },
    { from: "customer" as const, text: "How long does shipping take?" },
    { eventTime: NOW - 120_000 },
  );
  Object.assign(fixture, { store });
  return fixture;
}
