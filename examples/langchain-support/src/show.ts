// Printing for the demo: the messages a model received, and the ctxstore trace of an assembly.
import type { AssemblyTrace } from "@ctxstore/core";
import { TRACE_EVENT } from "@ctxstore/langchain";
import type { CallbackHandlerMethods } from "@langchain/core/callbacks/base";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";

/** The messages one model call received, one block per message, as the model saw them. */
export function formatMessages(messages: readonly BaseMessage[]): string {
  return messages
    .map((message) => {
      const role = message.getType();
      const toolCalls =
        AIMessage.isInstance(message) && message.tool_calls?.length
          ? message.tool_calls.map((call) => `→ calls ${call.name}(${JSON.stringify(call.args)})`).join("\n")
          : "";
      const body = [message.text, toolCalls].filter((part) => part.length > 0).join("\n");
      return `[${role}]\n${indent(body)}`;
    })
    .join("\n");
}

/** One line per source: how the assembly went, from the `ctxstore_trace` event's payload. */
export function formatTrace(trace: AssemblyTrace): string {
  const rows = trace.sources.map((source) => {
    const age = source.ageMs === undefined ? "" : ` age ${Math.round(source.ageMs / 60_000)}m`;
    const why = source.reason ? ` (${source.reason})` : "";
    return `  ${source.source.padEnd(16)} ${source.status.padEnd(8)} ${source.outcome.padEnd(9)} ${String(source.tokens).padStart(3)} tokens${age}${why}`;
  });
  return [
    `trace ${trace.id}: ${trace.totals.tokens}/${trace.budget.maxTokens} tokens, ${trace.totals.unavailable} unavailable`,
    ...rows,
  ].join("\n");
}

/** A callback handler collecting the traces dispatched while a chain or agent runs. */
export function traceCollector(): { traces: AssemblyTrace[]; handler: CallbackHandlerMethods } {
  const traces: AssemblyTrace[] = [];
  return {
    traces,
    handler: {
      handleCustomEvent: (name: string, data: unknown) => {
        if (name === TRACE_EVENT) traces.push(data as AssemblyTrace);
      },
    },
  };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
