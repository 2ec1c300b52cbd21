import { it } from "vitest";
import { expectEveryCodePointBetweenLetters } from "./exhaustive.fixtures.js";

it("every code point from U+0000 to U+87FFF between letters counts as OpenAI's tokenizer counts it (cl100k_base)", async () => {
  await expectEveryCodePointBetweenLetters("cl100k_base", 0, 0x87fff);
}, 120_000);
