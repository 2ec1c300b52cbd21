// `pnpm start`: runs the chat example offline (an echoing mock model prints exactly what it was
// sent), or against OpenAI when OPENAI_API_KEY is set (model from OPENAI_MODEL, default gpt-4o-mini).
import { runChat } from "./chat.js";

async function chooseModel() {
  if (!process.env.OPENAI_API_KEY) {
    process.stdout.write(
      "OPENAI_API_KEY is not set: using the offline echo model, which replies with the prompt it received.\n",
    );
    return undefined;
  }
  const { openai } = await import("@ai-sdk/openai");
  const modelId = process.env.OPENAI_MODEL ?? "gpt-4o-mini";
  process.stdout.write(`Using OpenAI ${modelId}.\n`);
  return openai(modelId);
}

const model = await chooseModel();
await runChat(model ? { model } : {});
