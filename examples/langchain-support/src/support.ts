// The support desk's context: what the assistant knows about a customer, defined once.
// - ticket_history (batch): a per-customer profile a nightly job summarises from the ticket system;
// - recent_messages (stream): the newest messages of the customer's conversation, appended live;
// - help_center (vector): help-center articles, searched with the customer's question.
// Everything runs in process (memory stores, local embedder, tiktoken counts): no servers, no keys.
import {
  batch,
  type ContextStore,
  createContextStore,
  defineEntity,
  indexDocuments,
  localEmbedder,
  memoryVectorStore,
  stream,
  vector,
} from "@ctxstore/core";
import { z } from "zod";

export const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });

const TicketHistory = z.object({
  plan: z.enum(["Free", "Pro", "Enterprise"]),
  openTickets: z.number().int().min(0),
  summary: z.string(),
});

const Message = z.object({
  from: z.enum(["customer", "agent"]),
  text: z.string().min(1),
});

/** The clock the demo runs at, so its output (ages, traces) is the same on every run. */
export const DEMO_NOW = Date.parse("2026-11-20T09:30:00Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const ARTICLES = [
  {
    id: "refund-timing",
    title: "When will I get my refund?",
    text: "Approved refunds go back to the original payment method within 5 business days. Bank transfers can take 2 more days.",
  },
  {
    id: "change-plan",
    title: "Changing your plan",
    text: "Upgrade or downgrade from Settings > Billing. Downgrades take effect at the end of the billing period.",
  },
  {
    id: "export-data",
    title: "Exporting your data",
    text: "Export projects as CSV from Settings > Data. Exports over 1 GB are emailed as a download link.",
  },
  {
    id: "two-factor",
    title: "Two-factor sign-in problems",
    text: "If codes are rejected, check the phone's clock is set automatically. Recovery codes work once each.",
  },
];

export interface SupportDesk {
  readonly store: ContextStore;
}

export async function createSupportDesk(): Promise<SupportDesk> {
  const embedder = localEmbedder();
  const articles = memoryVectorStore();
  // Chunked, embedded and stored with exact token counts (what a nightly indexing job would do).
  await indexDocuments(ARTICLES, { store: articles, embedder, source: "help_center" });

  const ticketHistory = batch("ticket_history", {
    entity: customer,
    schema: TicketHistory,
    maxAge: "2d",
    section: "Customer",
    priority: 90,
    render: (history) => [
      `Plan: ${history.plan}`,
      `Open tickets: ${history.openTickets}`,
      `History: ${history.summary}`,
    ],
  });
  const recentMessages = stream("recent_messages", {
    entity: customer,
    schema: Message,
    window: 4,
    maxAge: "1h",
    section: "Conversation so far",
    priority: 70,
    render: (message) => `${message.from}: ${message.text}`,
  });
  const helpCenter = vector("help_center", {
    store: articles,
    embedder,
    topK: 1,
    minScore: 0.1,
    section: "Help center",
    priority: 50,
  });

  const store = createContextStore({
    sources: [ticketHistory, recentMessages, helpCenter],
    now: () => DEMO_NOW,
    deadline: "1s",
  });

  const maraHistory: z.infer<typeof TicketHistory> = {
    plan: "Pro",
    openTickets: 1,
    summary: "Refund for a duplicate charge approved on Nov 18.",
  };
  const jonHistory: z.infer<typeof TicketHistory> = {
    plan: "Free",
    openTickets: 0,
    summary: "No past issues.",
  };
  // What the nightly job computed for two customers. "c-new" signed up an hour ago: the job has not
  // run for them yet, so their history is *missing*, which the prompt must say, not read as "none".
  await store.write(ticketHistory, { customerId: "c-mara" }, maraHistory, {
    eventTime: DEMO_NOW - 14 * HOUR,
  });
  await store.write(ticketHistory, { customerId: "c-jon" }, jonHistory, { eventTime: DEMO_NOW - 20 * HOUR });

  const conversation: [string, z.input<typeof Message>, number][] = [
    ["c-mara", { from: "customer", text: "I was charged twice last week." }, 9],
    ["c-mara", { from: "agent", text: "Sorry about that! The duplicate refund was approved." }, 7],
    ["c-mara", { from: "customer", text: "It is still not on my card." }, 2],
    ["c-jon", { from: "customer", text: "Is there a way to get my projects out as a spreadsheet?" }, 1],
    ["c-new", { from: "customer", text: "My two-factor codes keep getting rejected." }, 1],
  ];
  for (const [customerId, message, minutesAgo] of conversation) {
    await store.append(recentMessages, { customerId }, message, {
      eventTime: DEMO_NOW - minutesAgo * MINUTE,
    });
  }
  return { store };
}
