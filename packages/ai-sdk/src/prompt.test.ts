import { loadEncoding, tiktokenTokenizer } from "@ctxstore/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { countPromptTokens, lastUserText, type PromptMessage, withContext } from "./prompt.js";

const system = (content: string): PromptMessage => ({ role: "system", content });
const user = (...texts: string[]): PromptMessage => ({
  role: "user",
  content: texts.map((text) => ({ type: "text", text })),
});
const assistant = (text: string): PromptMessage => ({ role: "assistant", content: [{ type: "text", text }] });

describe("lastUserText", () => {
  it("joins the text parts of the last user message and ignores files", () => {
    const prompt = [
      user("first question"),
      assistant("an answer"),
      {
        role: "user",
        content: [
          { type: "text", text: "line one" },
          { type: "file", mediaType: "image/png", data: "x" },
          { type: "text", text: "line two" },
        ],
      },
      assistant("trailing assistant turn"),
    ] satisfies PromptMessage[];
    expect(lastUserText(prompt)).toBe("line one\nline two");
  });

  it("is undefined without a user message", () => {
    expect(lastUserText([system("be brief"), assistant("hello")])).toBeUndefined();
  });
});

describe("withContext", () => {
  it("inserts a system message after the leading system messages, leaving later ones where they are", () => {
    const prompt = [
      system("policy"),
      system("tone"),
      user("hi"),
      system("late instruction"),
      user("question"),
    ];
    const result = withContext(prompt, "## User profile\nGold member\n", "system");
    expect(result.map((message) => message.role)).toEqual([
      "system",
      "system",
      "system",
      "user",
      "system",
      "user",
    ]);
    expect(result[2]).toEqual({ role: "system", content: "## User profile\nGold member\n" });
    expect(result.filter((_, index) => index !== 2)).toEqual(prompt);
  });

  it("puts the context first when the caller has no system message", () => {
    const prompt = [user("question")];
    expect(withContext(prompt, "ctx", "system")).toEqual([{ role: "system", content: "ctx" }, prompt[0]]);
  });

  it("prefixes a text part to the last user message only", () => {
    const prompt = [system("policy"), user("old"), assistant("a"), user("new question")];
    const result = withContext(prompt, "ctx", "user-prefix");
    expect(result[3]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "ctx\n\n" },
        { type: "text", text: "new question" },
      ],
    });
    expect(result.slice(0, 3)).toEqual(prompt.slice(0, 3));
    expect(prompt[3]).toEqual(user("new question"));
  });

  const messageArbitrary: fc.Arbitrary<PromptMessage> = fc.oneof(
    fc.string().map(system),
    fc.array(fc.string(), { minLength: 1, maxLength: 3 }).map((texts) => user(...texts)),
    fc.string().map(assistant),
  );

  it("never alters, drops or reorders the caller's messages (property)", () => {
    fc.assert(
      fc.property(
        fc.array(messageArbitrary, { maxLength: 12 }),
        fc.string({ minLength: 1 }),
        (prompt, text) => {
          const frozen = structuredClone(prompt);
          const result = withContext(prompt, text, "system");
          expect(prompt).toEqual(frozen);
          expect(result).toHaveLength(prompt.length + 1);
          const inserted = result.findIndex((message) => !prompt.includes(message));
          expect(result[inserted]).toEqual({ role: "system", content: text });
          expect(result.filter((_, index) => index !== inserted)).toEqual(prompt);
          // Every caller system message before the insertion point is part of the leading run.
          expect(result.slice(0, inserted).every((message) => message.role === "system")).toBe(true);
          expect(result[inserted + 1]?.role ?? "none").not.toBe("system");
        },
      ),
    );
  });

  it("user-prefix changes only the last user message, by adding one leading part (property)", () => {
    fc.assert(
      fc.property(
        fc.array(messageArbitrary, { maxLength: 12 }),
        fc.string({ minLength: 1 }),
        (prompt, text) => {
          const target = prompt.findLastIndex((message) => message.role === "user");
          fc.pre(target >= 0);
          const frozen = structuredClone(prompt);
          const result = withContext(prompt, text, "user-prefix");
          expect(prompt).toEqual(frozen);
          result.forEach((message, index) => {
            if (index !== target) expect(message).toBe(prompt[index]);
          });
          const changed = result[target] as Extract<PromptMessage, { content: ReadonlyArray<unknown> }>;
          expect(changed.content[0]).toEqual({ type: "text", text: `${text}\n\n` });
          expect(changed.content.slice(1)).toEqual(
            (prompt[target] as Extract<PromptMessage, { content: ReadonlyArray<unknown> }>).content,
          );
        },
      ),
    );
  });
});

describe("countPromptTokens", () => {
  beforeAll(() => loadEncoding("o200k_base"));

  it("counts text exactly and estimates framing, files and tools", () => {
    const tokenizer = tiktokenTokenizer("o200k_base");
    const prompt: PromptMessage[] = [
      system("You are a helpful shop assistant."),
      {
        role: "user",
        content: [
          { type: "text", text: "Do you have trail shoes?" },
          { type: "file", mediaType: "image/png", data: "x" },
        ],
      },
    ];
    const tools = [{ type: "function", name: "lookup", inputSchema: { type: "object" } }];
    const estimate = countPromptTokens(prompt, tools, tokenizer, { tokensPerMessage: 4, tokensPerFile: 500 });
    expect(estimate.text).toBe(
      tokenizer.count("You are a helpful shop assistant.") + tokenizer.count("Do you have trail shoes?"),
    );
    expect(estimate.estimated).toBe(2 * 4 + 500 + tokenizer.count(JSON.stringify(tools[0])));
    expect(estimate.total).toBe(estimate.text + estimate.estimated);
  });
});
