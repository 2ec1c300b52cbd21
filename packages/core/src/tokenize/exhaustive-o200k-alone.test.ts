import { it } from "vitest";
import { expectEveryCodePointAlone } from "./exhaustive.fixtures.js";

it("every code point alone counts as OpenAI's tokenizer counts it (o200k_base)", async () => {
  await expectEveryCodePointAlone("o200k_base");
}, 120_000);
