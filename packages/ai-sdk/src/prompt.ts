// Reading and extending the provider-level prompt the AI SDK hands to middleware. The prompt is never
// mutated: the functions return a new array in which every message the caller wrote is the same
// object as before, except the last user message when context is prefixed to it.
import type { TokenCounter } from "./token-count-cache.js";

/**
 * The message shapes this module touches. They are identical in specification v3 (ai@6) and v4
 * (ai@7), so one implementation serves both.
 */
export type PromptMessage =
  | { role: "system"; content: string; providerOptions?: unknown }
  | { role: "user" | "assistant" | "tool"; content: ReadonlyArray<PromptPart>; providerOptions?: unknown };

type PartsMessage = Extract<PromptMessage, { content: ReadonlyArray<PromptPart> }>;

export interface PromptPart {
  readonly type: string;
  readonly text?: string;
  readonly [field: string]: unknown;
}

/** Where the packed context goes. */
export type ContextPlacement = "system" | "user-prefix";

/** The text of the last user message (its text parts joined by newlines), or undefined without one. */
export function lastUserText(prompt: readonly PromptMessage[]): string | undefined {
  const index = lastUserIndex(prompt);
  if (index < 0) return undefined;
  const message = prompt[index] as PartsMessage;
  return message.content
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("\n");
}

export function lastUserIndex(prompt: readonly PromptMessage[]): number {
  for (let index = prompt.length - 1; index >= 0; index--) {
    if (prompt[index]?.role === "user") return index;
  }
  return -1;
}

/**
 * Returns a new prompt carrying `text`:
 * - `system`: a system message right after the leading run of system messages (the caller's own
 *   system content stays first, and stays a cacheable prefix);
 * - `user-prefix`: a text part at the start of the last user message.
 * The caller checks that a user message exists for `user-prefix`.
 */
export function withContext<M extends PromptMessage>(
  prompt: readonly M[],
  text: string,
  placement: ContextPlacement,
): M[] {
  if (placement === "system") return withSystemContext(prompt, [{ role: "system", content: text }]);
  const index = lastUserIndex(prompt);
  const target = prompt[index] as PartsMessage;
  const prefixed = {
    ...target,
    content: [{ type: "text", text: `${text}\n\n` }, ...target.content],
  } as unknown as M;
  return [...prompt.slice(0, index), prefixed, ...prompt.slice(index + 1)];
}

/**
 * Returns a new prompt with `messages` (system messages carrying the context) right after the leading
 * run of system messages, in the order given.
 */
export function withSystemContext<M extends PromptMessage>(
  prompt: readonly M[],
  messages: ReadonlyArray<Extract<PromptMessage, { role: "system" }>>,
): M[] {
  let insertAt = 0;
  while (insertAt < prompt.length && prompt[insertAt]?.role === "system") insertAt++;
  return [...prompt.slice(0, insertAt), ...(messages as unknown as M[]), ...prompt.slice(insertAt)];
}

export interface PromptTokenEstimate {
  /** Tokens counted exactly (text with the store's encoding). */
  readonly text: number;
  /** Tokens estimated: message framing, files, tool definitions serialised as JSON. */
  readonly estimated: number;
  readonly total: number;
}

export interface PromptCountOptions {
  /** Framing tokens per message (role markers). OpenAI chat formats use 3-4. */
  readonly tokensPerMessage: number;
  /** Assumed cost of one file or image part; providers price these very differently. */
  readonly tokensPerFile: number;
}

/**
 * Tokens the prompt already takes, counted with the store's tokenizer. Text parts are exact for the
 * encoding; framing, files and tools are estimates (see `PromptCountOptions`).
 */
export function countPromptTokens(
  prompt: readonly PromptMessage[],
  tools: readonly unknown[] | undefined,
  counter: TokenCounter,
  options: PromptCountOptions,
): PromptTokenEstimate {
  let text = 0;
  let estimated = 0;
  for (const message of prompt) {
    estimated += options.tokensPerMessage;
    if (typeof message.content === "string") {
      text += counter.count(message.content);
      continue;
    }
    for (const part of message.content) {
      if ((part.type === "text" || part.type === "reasoning") && typeof part.text === "string") {
        text += counter.count(part.text);
      } else if (part.type === "file" || part.type === "reasoning-file") {
        estimated += options.tokensPerFile;
      } else {
        // Tool calls, tool results and future part kinds: their JSON is what most providers send.
        const { providerOptions: _ignored, ...rest } = part;
        estimated += counter.count(JSON.stringify(rest));
      }
    }
  }
  for (const tool of tools ?? []) estimated += counter.count(JSON.stringify(tool));
  return { text, estimated, total: text + estimated };
}
