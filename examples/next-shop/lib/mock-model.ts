// The offline model: a language model (AI SDK specification v4) that answers from the context it was
// given, so the demo and the end-to-end test run without a network or an API key, and a reader can
// see exactly what reached the model. It streams its answer word by word like a real one.
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";

interface Section {
  readonly title: string;
  readonly lines: readonly string[];
}

/** Splits the packed context ("## Title" headings, then lines) out of the system messages. */
function contextSections(options: LanguageModelV4CallOptions): Section[] {
  const system = options.prompt
    .filter((message) => message.role === "system")
    .map((message) => message.content)
    .join("\n");
  const sections: Section[] = [];
  let current: { title: string; lines: string[] } | undefined;
  for (const line of system.split("\n")) {
    if (line.startsWith("## ")) {
      current = { title: line.slice(3).trim(), lines: [] };
      sections.push(current);
    } else if (current && line.trim() !== "") {
      current.lines.push(line.replace(/^- /, "").trim());
    }
  }
  return sections;
}

function lastUserText(options: LanguageModelV4CallOptions): string {
  for (let index = options.prompt.length - 1; index >= 0; index--) {
    const message = options.prompt[index];
    if (message?.role !== "user") continue;
    return message.content.map((part) => (part.type === "text" ? part.text : "")).join(" ");
  }
  return "";
}

const UNKNOWN = /unknown|unavailable|do not assume/i;

/** Composes the answer: one sentence per section the model received, saying what it knows and what it does not. */
export function composeAnswer(options: LanguageModelV4CallOptions): string {
  const sections = contextSections(options);
  const find = (title: string) => sections.find((section) => section.title === title);
  const sentences: string[] = [`You asked: "${lastUserText(options).slice(0, 160)}".`];

  const session = find("This session");
  if (!session) sentences.push("I have no information about this browsing session.");
  else if (session.lines.some((line) => UNKNOWN.test(line))) {
    sentences.push("Your recent activity is unavailable right now, so I will not assume you have none.");
  } else if (session.lines.some((line) => /confirmed/i.test(line))) {
    sentences.push("You have not looked at anything yet in this session.");
  } else {
    const viewed = [
      ...new Set(
        session.lines.filter((line) => / view: /.test(line)).map((line) => line.split(" view: ")[1] ?? ""),
      ),
    ].filter(Boolean);
    sentences.push(
      viewed.length > 0
        ? `In this session you looked at ${viewed.join(" and ")}.`
        : `Your session so far: ${session.lines.join("; ")}.`,
    );
  }

  const profile = find("Customer profile");
  if (profile?.lines.some((line) => UNKNOWN.test(line)))
    sentences.push("Your profile is unavailable at the moment.");
  else if (profile?.lines[0]) sentences.push(`From your profile: ${profile.lines[0]}`);

  const stock = find("Live inventory");
  const stockLine = stock?.lines[0];
  if (stockLine && !UNKNOWN.test(stockLine))
    sentences.push(`Stock right now: ${stockLine.replace(/[.]$/, "")}.`);

  const articles = find("Relevant help articles");
  const article = articles?.lines[0]?.split(" (")[0];
  if (article) sentences.push(`This help article may help: ${article}.`);

  sentences.push("(Offline demo model: set OPENAI_API_KEY for a real one.)");
  return sentences.join(" ");
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The benchmark's answer: the same words whatever the context, so both routes stream the same output. */
export const FIXED_ANSWER = Array.from({ length: 60 }, (_, index) => `word${index}`).join(" ");

export function mockShopModel({
  delayMs = 12,
  fixedAnswer = false,
}: {
  delayMs?: number;
  fixedAnswer?: boolean;
} = {}): LanguageModelV4 {
  const answer = (options: LanguageModelV4CallOptions) =>
    fixedAnswer ? FIXED_ANSWER : composeAnswer(options);
  return {
    specificationVersion: "v4",
    provider: "ctxstore-demo",
    modelId: "context-echo",
    supportedUrls: {},
    async doGenerate(options) {
      const text = answer(options);
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: usage(0, text),
        warnings: [],
      };
    },
    async doStream(options) {
      const text = answer(options);
      const words = text.split(/(?<= )/);
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          controller.enqueue({ type: "text-start", id: "answer" });
          for (const word of words) {
            if (options.abortSignal?.aborted) break;
            controller.enqueue({ type: "text-delta", id: "answer", delta: word });
            if (delayMs > 0) await sleep(delayMs);
          }
          controller.enqueue({ type: "text-end", id: "answer" });
          controller.enqueue({
            type: "finish",
            finishReason: { unified: "stop", raw: "stop" },
            usage: usage(0, text),
          });
          controller.close();
        },
      });
      return { stream };
    },
  };
}

function usage(inputTokens: number, text: string) {
  const words = text.split(/\s+/).length;
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: words, text: words, reasoning: undefined },
  };
}
