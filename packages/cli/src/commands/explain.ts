// `ctxstore explain`: assembles one request and shows the packed prompt, the trace table, the token
// share by tier and the warnings (the quickstart demo's view, for any config and any key).
import { CtxError } from "@ctxstore/core";
import type { SampleRequest } from "../config/types.js";
import { inspect } from "../inspection/inspect.js";
import {
  checkDeadline,
  checkFormat,
  checkMaxTokens,
  checkSources,
  type InspectionRequest,
  parseKeyArguments,
} from "../inspection/request.js";
import { EXIT } from "../output/exit-codes.js";
import { formatPrompt, formatTrace } from "../output/explain-text.js";
import { principalOf } from "./offline.js";
import type { CommandContext } from "./run.js";

export interface ExplainOptions {
  key?: string[];
  query?: string;
  maxTokens?: string;
  tenant?: string;
  source?: string[];
  request?: string;
  deadline?: string;
  format?: string;
  purpose?: string;
  principal?: string;
  role?: string[];
}

export async function explainCommand(command: CommandContext, options: ExplainOptions): Promise<number> {
  const { config } = await command.config();
  const { context } = config;
  let request: InspectionRequest;
  if (options.request !== undefined) {
    const sample = config.requests?.[options.request];
    if (!sample) {
      const names = Object.keys(config.requests ?? {});
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `--request ${JSON.stringify(options.request)} is not a request of this config (${names.join(", ") || "the config names none: add `requests` to it"}).`,
        { usage: true, valid: names },
      );
    }
    request = fromSample(sample, options);
  } else {
    request = {
      keys: parseKeyArguments(options.key ?? [], context),
      maxTokens: checkMaxTokens(options.maxTokens),
      ...(options.query === undefined ? {} : { query: options.query }),
    };
  }
  const sources = checkSources(options.source, context);
  const deadline = checkDeadline(options.deadline);
  const format = checkFormat(options.format);
  const principal = principalOf(options.principal, options.role);
  request = {
    ...request,
    ...(deadline === undefined ? {} : { deadline }),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    ...(sources === undefined ? {} : { sources }),
    ...(format === undefined ? {} : { format }),
    ...(principal === undefined ? {} : { principal }),
    // Unknown purposes are the context store's typed error (CTX_UNKNOWN_PURPOSE), naming the valid ones.
    ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
  };
  // A command's start-up, not the request: the tokenizer loads before the deadline starts.
  await context.ready();
  const result = await inspect(context, request, command.signal);
  const { terminal } = command;
  if (terminal.json) terminal.printJson(result);
  else terminal.print(`${formatPrompt(result, terminal.colors)}\n\n${formatTrace(result, terminal.colors)}`);
  return EXIT.ok;
}

function fromSample(sample: SampleRequest, options: ExplainOptions): InspectionRequest {
  const query = options.query ?? sample.query;
  return {
    keys: sample.keys as InspectionRequest["keys"],
    maxTokens: options.maxTokens === undefined ? sample.maxTokens : checkMaxTokens(options.maxTokens),
    ...(query === undefined ? {} : { query }),
  };
}
