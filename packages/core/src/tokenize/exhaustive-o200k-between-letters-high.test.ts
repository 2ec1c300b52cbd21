import { it } from "vitest";
import { expectEveryCodePointBetweenLetters } from "./exhaustive.fixtures.js";

it("every code point from U+88000 to U+10FFFF between letters counts as OpenAI's tokenizer counts it (o200k_base)", async () => {
  await expectEveryCodePointBetweenLetters("o200k_base", 0x88000, 0x10ffff);
}, 120_000);
