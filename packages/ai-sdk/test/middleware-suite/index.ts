// The middleware's behaviour through the real generateText/streamText of one AI SDK major, against
// the SDK's own mock models. `middleware.ai7.test.ts` and `middleware.ai6.test.ts` run it; each group
// of tests lives in its own module here and shares the store and helpers from `harness.ts`.

import { describe } from "vitest";
import type { SdkUnderTest } from "../sdk.js";
import { describeBadInput } from "./bad-input.js";
import { describeCacheBreakpoint } from "./cache-breakpoint.js";
import { describeFailClosed } from "./fail-closed.js";
import { setUpMiddlewareSuite } from "./harness.js";
import { describeOrdering } from "./ordering.js";
import { describePerCallInput } from "./per-call-input.js";
import { describePromptPlacement } from "./prompt-placement.js";
import { describeTelemetry } from "./telemetry.js";
import { describeTrace } from "./trace.js";

export function runMiddlewareSuite(sdk: SdkUnderTest): void {
  const suite = setUpMiddlewareSuite(sdk);

  describe(`contextMiddleware with ${sdk.label}`, () => {
    describePromptPlacement(suite);
    describeCacheBreakpoint(suite);
    describeTrace(suite);
    describeOrdering(suite);
    describePerCallInput(suite);
    describeFailClosed(suite);
    describeBadInput(suite);
    describeTelemetry(suite);
  });
}
