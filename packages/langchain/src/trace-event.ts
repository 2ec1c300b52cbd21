// The assembly trace as a LangChain custom callback event, so it shows up in `streamEvents`
// (as `on_custom_event` named `ctxstore_trace`), in LangSmith and in any callback handler's
// `handleCustomEvent`, attached to the run that assembled the context.
import { type AssemblyTrace, isContextLeftOutWarning, NOTHING_FITS_PREFIX } from "@ctxstore/core";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import type { RunnableConfig } from "@langchain/core/runnables";

/** Name of the custom event every adapter in this package dispatches once per assembly. */
export const TRACE_EVENT = "ctxstore_trace";

/**
 * Dispatches the trace under `config`'s run; with no config, under the run found in async context
 * (agent middleware runs inside the model node's run). Outside any run there is no one to tell, so
 * nothing is dispatched.
 */
export async function emitTrace(trace: AssemblyTrace, config?: RunnableConfig): Promise<void> {
  await dispatchCustomEvent(TRACE_EVENT, trace, config);
  for (const warning of trace.warnings) {
    if (isContextLeftOutWarning(warning))
      await dispatchCustomEvent(
        WARNING_EVENT,
        {
          kind: warning.startsWith(NOTHING_FITS_PREFIX) ? "nothing_fits" : "reserved_left_out",
          message: warning,
          traceId: trace.id,
        },
        config,
      );
  }
}

/**
 * Custom event dispatched (after the trace event) when the budget left out every source (kind
 * `nothing_fits`) or a whole reserved section (kind `reserved_left_out`, one event per section), so a
 * callback handler can alert instead of the model silently getting less context.
 */
export const WARNING_EVENT = "ctxstore_warning";
