import { it } from "vitest";
import { expectEveryCodePointAlone } from "./exhaustive.fixtures.js";

it("every code point alone counts as OpenAI's tokenizer counts it (cl100k_base)", async () => {
  await expectEveryCodePointAlone("cl100k_base");
}, 120_000);
