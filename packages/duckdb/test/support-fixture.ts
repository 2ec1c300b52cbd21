// The support-ticket example used by the dataset tests and docs/training-data.md: a customer's
// profile (batch), open orders (batch, may be positively empty), recent activity (stream) and the
// live account status (realtime).
import { batch, defineEntity, realtime, stream } from "@ctxstore/core";
import { z } from "zod";

export const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });

export const customerProfile = batch("customer_profile", {
  entity: customer,
  schema: z.object({ plan: z.string(), since: z.string(), summary: z.string() }),
  maxAge: "30d",
  section: "Customer profile",
  priority: 90,
  render: (profile) => `${profile.summary} Plan: ${profile.plan}, customer since ${profile.since}.`,
});

export const openOrders = batch("open_orders", {
  entity: customer,
  schema: z.array(z.object({ id: z.string(), status: z.string() })),
  maxAge: "1d",
  section: "Orders",
  priority: 80,
  render: (orders) => orders.map((order) => `Order ${order.id}: ${order.status}`),
  onUnavailable: "note",
});

export const recentActivity = stream("recent_activity", {
  entity: customer,
  schema: z.object({ action: z.string() }),
  window: 3,
  maxAge: "2h",
  section: "Recent activity",
  priority: 70,
  render: (event) => event.action,
});

export function accountStatus(resolve: () => { standing: string }) {
  return realtime("account_status", {
    entity: customer,
    schema: z.object({ standing: z.string() }),
    timeout: "50ms",
    section: "Account",
    priority: 60,
    render: (value) => `Account standing: ${value.standing}`,
    resolve,
  });
}
