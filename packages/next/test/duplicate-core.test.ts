// Two copies of @ctxstore/core in one process (npm installs one per dependent when their version
// ranges differ): errors thrown by one copy must still be typed errors for the other and for these
// route helpers, not anonymous 500s. The second copy is core's source copied into a separate
// directory and imported from there, so its classes are distinct objects from the workspace's.
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@ctxstore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ctxErrorResponse } from "../src/responses.js";
import { withContext } from "../src/with-context.js";

const coreDir = join(dirname(fileURLToPath(import.meta.url)), "../../core");
// Inside packages/core so the copy resolves zod and js-tiktoken from core's own node_modules.
const copyDir = join(coreDir, `tmp-duplicate-copy-${process.pid}`);
let copy: typeof core;

beforeAll(async () => {
  cpSync(join(coreDir, "src"), join(copyDir, "src"), {
    recursive: true,
    filter: (path) => !path.endsWith(".test.ts"),
  });
  copy = (await import(join(copyDir, "src/index.ts"))) as typeof core;
});
afterAll(() => rmSync(copyDir, { recursive: true, force: true }));

describe("a CtxError from a second copy of @ctxstore/core", () => {
  it("is a different class (instanceof fails) yet isCtxError recognises it in both directions", () => {
    expect(copy.CtxError).not.toBe(core.CtxError);
    const fromCopy = new copy.CtxError("CTX_INVALID_KEY", "bad key");
    const fromWorkspace = new core.CtxError("CTX_TIMEOUT", "slow");
    expect(fromCopy instanceof core.CtxError).toBe(false);
    expect(core.isCtxError(fromCopy)).toBe(true);
    expect(core.isCtxError(fromCopy, "CTX_INVALID_KEY")).toBe(true);
    expect(core.isCtxError(fromCopy, "CTX_TIMEOUT")).toBe(false);
    expect(copy.isCtxError(fromWorkspace, "CTX_TIMEOUT")).toBe(true);
  });

  it("is not confused with look-alikes: a plain Error or object with a CTX code is not a CtxError", () => {
    const lookAlike = Object.assign(new Error("CTX_INVALID_KEY: x"), {
      name: "CtxError",
      code: "CTX_INVALID_KEY",
    });
    expect(core.isCtxError(lookAlike)).toBe(false);
    expect(core.isCtxError({ code: "CTX_INVALID_KEY" })).toBe(false);
    expect(core.isCtxError(null)).toBe(false);
    expect(core.isCtxError("CTX_INVALID_KEY")).toBe(false);
  });

  it.each([
    ["CTX_INVALID_REQUEST", 400],
    ["CTX_VALUE_TOO_LARGE", 413],
    ["CTX_STORE_UNAVAILABLE", 503],
  ] as const)("gets its typed response from @ctxstore/next (%s → %i), not a 500", async (code, status) => {
    const response = ctxErrorResponse(new copy.CtxError(code, "from the other copy"));
    if (response === undefined) throw new Error(`${code} from the other copy got no typed response`);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { code: string }).code).toBe(code);
  });

  it("thrown by the other copy's context store during assembly, answers 400 with its code", async () => {
    const user = copy.defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
    const profile = copy.batch("profile", {
      entity: user,
      schema: z.object({ name: z.string() }),
      maxAge: "1d",
      section: "Profile",
      render: (value) => value.name,
    });
    const ctx = copy.createContextStore({ entities: [user], sources: [profile] });
    const handler = withContext(
      {
        contextStore: ctx as unknown as core.ContextStore,
        identify: () => ({ keys: { user: { userId: "" } } }),
      },
      () => new Response("unreachable"),
    );
    const response = await handler(new Request("http://shop.test/"), undefined);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe("CTX_INVALID_KEY");
    await ctx.close();
  });
});
