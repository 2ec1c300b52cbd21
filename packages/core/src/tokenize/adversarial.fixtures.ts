// Inputs for the linear-time test and the count.adversarial bench: a megabyte of each input class
// that once made counting quadratic (or is a class of its own to the pre-tokenizer), and of prose.

const MEGABYTE = 1 << 20;

export const ADVERSARIAL_CLASSES: Record<string, string> = {
  "one letter": "a",
  "one uppercase letter": "Q",
  spaces: " ",
  tabs: "\t",
  newlines: "\n",
  "carriage returns and newlines": "\r\n",
  "no-break spaces": "\u00a0",
  "ideographic spaces": "\u3000",
  "byte order marks": "\ufeff",
  punctuation: "-",
  "mixed punctuation": "!?.,;:",
  digits: "7",
  Thai: "ภาษาไทย",
  CJK: "中文文本",
  emoji: "😀",
  "combining marks": "e\u0301\u0302",
};

/** `unit` repeated to about one megabyte of UTF-8. */
export function megabyteOf(unit: string): string {
  return unit.repeat(Math.ceil(MEGABYTE / new TextEncoder().encode(unit).length));
}

export const PROSE_SENTENCES = [
  "The trail runner ordered a waterproof jacket in size M and asked about delivery to Lyon.",
  "Returns are free within 30 days; the loyalty discount applies to full-price items only.",
  "She prefers weekend delivery, reads email daily, and viewed the Summit GTX three times.",
];

export function megabyteOfProse(): string {
  let text = "";
  for (let index = 0; text.length < MEGABYTE; index++)
    text += `${PROSE_SENTENCES[index % 3]} Order ${index} shipped. `;
  return text;
}
