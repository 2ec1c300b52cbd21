"use client";
// The shopping assistant: a chat on the AI SDK's useChat against /api/chat (which sends the product
// on screen along), and under it the trace of the last answer.
import { useChat } from "@ai-sdk/react";
import type { ContextUIMessage } from "@ctxstore/next/chat";
import { usePathname } from "next/navigation";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { TracePanel } from "./trace-panel";

function textOf(message: ContextUIMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}

export function Assistant() {
  const { messages, sendMessage, status, error } = useChat<ContextUIMessage>();
  const [input, setInput] = useState("");
  const pathname = usePathname();
  const productId = pathname.startsWith("/products/")
    ? decodeURIComponent(pathname.slice("/products/".length))
    : undefined;
  const lastAnswer = [...messages].reverse().find((message) => message.role === "assistant");
  const busy = status === "submitted" || status === "streaming";
  const list = useRef<HTMLOListElement>(null);
  const lastText = lastAnswer ? textOf(lastAnswer) : "";

  // Keep the newest words in view while an answer streams in.
  useEffect(() => {
    if (list.current && (messages.length > 0 || lastText)) list.current.scrollTop = list.current.scrollHeight;
  }, [messages.length, lastText]);

  function ask(event: FormEvent) {
    event.preventDefault();
    const text = input.trim();
    if (!text || busy) return;
    setInput("");
    void sendMessage({ text }, { body: { productId } });
  }

  return (
    <aside className="assistant" data-testid="assistant" data-status={status}>
      <h2>Shopping assistant</h2>
      <ol className="messages" ref={list}>
        {messages.map((message) => (
          <li key={message.id} className={message.role} data-testid={`message-${message.role}`}>
            {textOf(message)}
          </li>
        ))}
      </ol>
      {error ? (
        <p className="bad" data-testid="chat-error">
          {error.message}
        </p>
      ) : null}
      <form onSubmit={ask}>
        <input
          data-testid="question"
          value={input}
          onChange={(event) => setInput(event.target.value)}
          placeholder={
            productId ? "Ask about this shoe, sizing, returns…" : "Ask about shoes, sizing, returns…"
          }
        />
        <button type="submit" disabled={busy} data-testid="ask">
          {busy ? "…" : "Ask"}
        </button>
      </form>
      <TracePanel message={lastAnswer} />
    </aside>
  );
}
