// validate's token-mix rule against the seed guidance, on stores built in-process.
import { batch, createContextStore, defineEntity, realtime } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { validateConfig } from "./findings.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ text: z.string() }),
  maxAge: "1d",
  section: "Profile",
  priority: 90,
  render: (value) => value.text,
});
const live = realtime("live", {
  entity: user,
  schema: z.object({ text: z.string() }),
  timeout: "50ms",
  section: "Live",
  priority: 50,
  resolve: async () => ({ text: "Live numbers that change every second, ".repeat(20) }),
  render: (value) => value.text,
});

describe("validateConfig", () => {
  it("warns when realtime tokens dominate a sample request, with advice to precompute", async () => {
    const context = createContextStore({ sources: [profile, live] });
    await context.write(profile, { userId: "u1" }, { text: "Short profile." });
    const report = await validateConfig({
      context,
      requests: { sample: { keys: { user: { userId: "u1" } }, maxTokens: 500 } },
    });
    const mix = report.findings.find((finding) => finding.check === "token-mix");
    expect(mix?.level).toBe("warning");
    expect(mix?.message).toMatch(/\d+% batch \/ 0% stream \/ \d+% realtime/);
    expect(mix?.advice).toMatch(/Realtime values dominate/);
    expect(report.ok).toBe(true);
  });

  it("is quiet about the mix when batch carries the prompt, and notes a config without sample requests", async () => {
    const context = createContextStore({ sources: [profile] });
    await context.write(profile, { userId: "u1" }, { text: "A long and useful profile. ".repeat(10) });
    const sampled = await validateConfig({
      context,
      requests: { sample: { keys: { user: { userId: "u1" } }, maxTokens: 500 } },
    });
    expect(sampled.findings.filter((finding) => finding.check === "token-mix")).toEqual([]);
    const unsampled = await validateConfig({ context });
    expect(unsampled.findings.map((finding) => finding.check)).toEqual(["no-sample-request"]);
  });
});
