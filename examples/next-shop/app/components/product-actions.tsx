"use client";
// The interactive part of a product page: records the view once per visit, and the size-guide click
// and add-to-cart as they happen.
import { useEffect, useRef, useState } from "react";
import type { Product } from "@/lib/catalog";
import { ACTIVITY_EVENT, type ActivityResult, recordEvent } from "./activity";

export function ProductActions({ product }: { product: Product }) {
  const recordedView = useRef<string | undefined>(undefined);
  const [size, setSize] = useState(product.sizes[0] ?? "");
  const [last, setLast] = useState<ActivityResult | undefined>(undefined);

  useEffect(() => {
    const onActivity = (event: Event) => setLast((event as CustomEvent<ActivityResult>).detail);
    window.addEventListener(ACTIVITY_EVENT, onActivity);
    // React may run effects twice in development: record each visit once.
    if (recordedView.current !== product.id) {
      recordedView.current = product.id;
      void recordEvent({ type: "view", productId: product.id, label: product.name });
    }
    return () => window.removeEventListener(ACTIVITY_EVENT, onActivity);
  }, [product.id, product.name]);

  return (
    <div className="actions">
      <button
        type="button"
        onClick={() =>
          void recordEvent({ type: "click", productId: product.id, label: `size guide on ${product.name}` })
        }
      >
        Size guide
      </button>
      <label>
        EU size{" "}
        <select value={size} onChange={(event) => setSize(event.target.value)}>
          {product.sizes.map((option) => (
            <option key={option}>{option}</option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="primary"
        onClick={() =>
          void recordEvent({
            type: "add_to_cart",
            productId: product.id,
            label: `${product.name}, EU ${size}`,
          })
        }
      >
        Add to cart
      </button>
      <p
        className={`activity ${last && !last.recorded ? "bad" : ""}`}
        data-testid="activity-status"
        data-recorded={last ? String(last.recorded) : undefined}
      >
        {last === undefined
          ? "\u00a0"
          : last.recorded
            ? `Recorded: ${last.event.type.replace("_", " ")} (${last.event.label})`
            : `Not recorded (${last.status === 0 ? "offline" : `HTTP ${last.status}`}): ${last.message ?? "the store did not accept it"}`}
      </p>
    </div>
  );
}
