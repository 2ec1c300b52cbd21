// One face for the two AI SDK majors the middleware supports, so the same suite runs against ai@7
// (specification v4) and ai@6 (specification v3). Each test file builds an `SdkUnderTest` from the
// real package and its own mock models.
import type { PromptMessage } from "../src/prompt.js";

export interface CallOptions {
  model: unknown;
  system?: string;
  prompt?: string;
  messages?: unknown[];
  providerOptions?: Record<string, unknown>;
  maxOutputTokens?: number;
  /** Telemetry switch in the SDK's own terms (see `telemetryOn`/`telemetryOff`). */
  [option: string]: unknown;
}

export interface ModelCall {
  prompt: PromptMessage[];
  providerOptions?: Record<string, unknown>;
  maxOutputTokens?: number;
}

export interface MockModel {
  readonly doGenerateCalls: ModelCall[];
  readonly doStreamCalls: ModelCall[];
}

export interface StreamHandle {
  readonly text: PromiseLike<string>;
  readonly providerMetadata: PromiseLike<Record<string, unknown> | undefined>;
  /** The full stream of parts (ai@7 `stream`, ai@6 `fullStream`). */
  readonly parts: AsyncIterable<{ type: string; [field: string]: unknown }>;
}

export interface SdkUnderTest {
  readonly label: string;
  readonly specificationVersion: "v3" | "v4";
  generateText(options: CallOptions): Promise<{
    text: string;
    providerMetadata: Record<string, unknown> | undefined;
    steps: Array<{ providerMetadata?: Record<string, unknown> | undefined }>;
  }>;
  streamText(options: CallOptions & { onError?: (event: { error: unknown }) => void }): StreamHandle;
  wrapLanguageModel(options: { model: unknown; middleware: unknown }): unknown;
  /** A mock model from the SDK's own test helpers whose reply echoes the prompt it received. */
  echoModel(): MockModel;
  /** The SDK's mock model with these settings (`doGenerate`, `doStream`). */
  mockModel(settings: object): MockModel;
  /** The SDK's `tool()` and `stepCountIs()`, for tool loops. */
  tool(definition: object): unknown;
  stepCountIs(steps: number): unknown;
  /** Call options that turn the SDK's OpenTelemetry on / off for one call. */
  readonly telemetryOn: Record<string, unknown>;
  readonly telemetryOff: Record<string, unknown>;
}

/** What the echo model replies: every message it received, one per line, role first. */
export function echo(prompt: readonly PromptMessage[]): string {
  return prompt
    .map((message) => {
      const content =
        typeof message.content === "string"
          ? message.content
          : message.content.map((part) => (part.type === "text" ? part.text : `<${part.type}>`)).join("");
      return `[${message.role}] ${content}`;
    })
    .join("\n");
}

export const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
export const finishReason = { unified: "stop", raw: "stop" };

/** Settings for MockLanguageModelV4/V3 whose generate and stream both echo the prompt. */
export function echoSettings() {
  return {
    provider: "mock",
    modelId: "echo",
    doGenerate: async (params: ModelCall) => ({
      content: [{ type: "text", text: echo(params.prompt) }],
      finishReason,
      usage,
      warnings: [],
      providerMetadata: { mock: { echoed: true } },
    }),
    doStream: async (params: ModelCall) => {
      const text = echo(params.prompt);
      const parts = [
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "t1" },
        { type: "text-delta", id: "t1", delta: text },
        { type: "text-end", id: "t1" },
        { type: "finish", finishReason, usage, providerMetadata: { mock: { echoed: true } } },
      ];
      return {
        stream: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}
