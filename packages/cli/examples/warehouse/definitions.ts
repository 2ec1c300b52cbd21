// The warehouse example's definitions: nightly customer profiles and order counts (batch), computed
// offline and published to the online store by `ctxstore materialize`, and labelled support tickets
// for `ctxstore dataset`.
import { batch, defineEntity, section } from "@ctxstore/core";
import { z } from "zod";

export const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });

export const customerProfile = batch("customer_profile", {
  entity: customer,
  schema: z.object({ name: z.string(), summary: z.string() }),
  maxAge: "2d",
  section: section("Customer", { maxTokens: 200 }),
  priority: 90,
  label: "customer profile",
  render: (profile) => `${profile.name}: ${profile.summary}`,
});

export const orderCount = batch("order_count", {
  entity: customer,
  schema: z.object({ orders: z.number().int().nonnegative() }),
  maxAge: "2d",
  section: "Customer",
  priority: 80,
  label: "order count",
  render: (value) => `Orders in the last year: ${value.orders}.`,
});

export const SOURCES = [customerProfile, orderCount];
