import { it } from "vitest";
import { expectEveryCodePointBetweenLetters } from "./exhaustive.fixtures.js";

it("every code point from U+0000 to U+87FFF between letters counts as OpenAI's tokenizer counts it (o200k_base)", async () => {
  await expectEveryCodePointBetweenLetters("o200k_base", 0, 0x87fff);
}, 120_000);
