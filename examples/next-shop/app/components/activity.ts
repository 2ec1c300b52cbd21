"use client";
// Sends session events to /api/events and tells the page whether they were recorded, so the shopper
// (and the end-to-end test) can see when the store is not taking them.

export type ShopEvent =
  | { type: "view"; productId: string; label: string }
  | { type: "click"; productId: string; label: string }
  | { type: "add_to_cart"; productId: string; label: string };

export interface ActivityResult {
  readonly event: ShopEvent;
  readonly recorded: boolean;
  readonly status: number;
  readonly message?: string;
}

export const ACTIVITY_EVENT = "shop:activity";

export async function recordEvent(event: ShopEvent): Promise<ActivityResult> {
  let result: ActivityResult;
  try {
    const response = await fetch("/api/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
      keepalive: true,
    });
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    result = {
      event,
      recorded: response.status === 202,
      status: response.status,
      ...(body.message ? { message: body.message } : {}),
    };
  } catch (error) {
    result = {
      event,
      recorded: false,
      status: 0,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  window.dispatchEvent(new CustomEvent<ActivityResult>(ACTIVITY_EVENT, { detail: result }));
  return result;
}
