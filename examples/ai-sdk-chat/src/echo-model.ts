// An offline stand-in for a chat model: the AI SDK's own mock model, replying with exactly the
// prompt it received, so the example shows what a real model would have been sent.
import { MockLanguageModelV4 } from "ai/test";

type PromptMessage = { role: string; content: string | ReadonlyArray<{ type: string; text?: string }> };

/** The prompt as text: one block per message, headed by its role. */
export function describePrompt(prompt: readonly PromptMessage[]): string {
  return prompt
    .map((message) => {
      const content =
        typeof message.content === "string"
          ? message.content
          : message.content
              .map((part) => (part.type === "text" ? (part.text ?? "") : `<${part.type}>`))
              .join("");
      return `[${message.role}]\n${content.replace(/\n$/, "")}`;
    })
    .join("\n\n");
}

const usage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};
const finishReason = { unified: "stop" as const, raw: "stop" };

export function echoModel(): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    provider: "example",
    modelId: "echo",
    doGenerate: async ({ prompt }) => ({
      content: [{ type: "text", text: describePrompt(prompt as PromptMessage[]) }],
      finishReason,
      usage,
      warnings: [],
    }),
    doStream: async ({ prompt }) => {
      // Line by line, so the terminal shows a stream.
      const lines = describePrompt(prompt as PromptMessage[]).split(/(?<=\n)/);
      return {
        stream: new ReadableStream({
          start(controller) {
            controller.enqueue({ type: "stream-start", warnings: [] });
            controller.enqueue({ type: "text-start", id: "echo" });
            for (const line of lines) controller.enqueue({ type: "text-delta", id: "echo", delta: line });
            controller.enqueue({ type: "text-end", id: "echo" });
            controller.enqueue({ type: "finish", finishReason, usage });
            controller.close();
          },
        }),
      };
    },
  });
}
