import { it } from "vitest";
import { expectEveryCodePointBetweenLetters } from "./exhaustive.fixtures.js";

it("every code point between letters counts as OpenAI's tokenizer counts it (cl100k_base)", async () => {
  await expectEveryCodePointBetweenLetters("cl100k_base");
}, 120_000);
