// Which model answers: OpenAI when OPENAI_API_KEY is set (OPENAI_MODEL picks one, default
// gpt-4o-mini), otherwise the offline mock that answers from the context it was given.
import { createOpenAI } from "@ai-sdk/openai";
import { mockShopModel } from "./mock-model";

export function shopModel() {
  const apiKey = process.env.OPENAI_API_KEY;
  if (!apiKey) {
    return mockShopModel({
      delayMs: Number(process.env.MOCK_MODEL_DELAY_MS ?? 12),
      fixedAnswer: process.env.MOCK_MODEL_ANSWER === "fixed",
    });
  }
  return createOpenAI({ apiKey })(process.env.OPENAI_MODEL ?? "gpt-4o-mini");
}

export const SYSTEM_PROMPT =
  "You are the shopping assistant of a trail-running store. Answer in two to four sentences, using the context below. " +
  "When the context says something is unknown or unavailable, say you cannot see it right now; never treat it as empty.";
