// The phantom-zero guard's default "zero-like" rule runs in SQL as RE2 expressions over the stored
// JSON text. This checks it against the same rule written in JavaScript over the parsed value
// (isZeroLike, which reads like the definition), on every shape the guard must catch and on
// generated values, compact or indented.
import { empty } from "@ctxstore/core";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isZeroLike } from "../src/index.js";
import { zeroSql } from "../src/zero-like.js";
import { INFORMATIVE_SHAPES, ZERO_SHAPES } from "./zero-shapes.js";

const placeholders = [
  "0",
  "0.00",
  "-0",
  "N/A",
  "n/a",
  "NA",
  "null",
  "None",
  "nil",
  "-",
  "—",
  "?",
  "\u200b",
  " ",
  "",
];
const zeroLeaf = fc.oneof(
  fc.constantFrom<unknown>(null, false, 0, -0, 0.0, [], {}, ...placeholders),
  fc.stringMatching(/^[ \t\n\r\u00a0\u2002\u3000\u200b\ufeff]{0,4}$/),
);
const otherLeaf = fc.oneof(
  fc.constantFrom<unknown>(
    1,
    -1,
    0.5,
    1e-7,
    1e21,
    true,
    "a",
    " a ",
    "\\t",
    "0.5",
    "none of it",
    "N/A!",
    [1],
    ["vip"],
  ),
  fc.string({ maxLength: 4 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const key = fc.oneof(
  fc.constantFrom(
    "orders",
    "name",
    "id",
    "customer_id",
    "userId",
    "title",
    "plan",
    "",
    "a:1",
    'quo"te',
    "back\\slash",
    "ünï",
    "{",
    "}",
    ",",
    "\u0000",
    "0",
    "N/A",
  ),
  fc.string({ maxLength: 6 }),
);
const identifier = fc.oneof(fc.constantFrom("Customer 7", "c-1001", "Ada"), fc.string({ maxLength: 5 }));
const record = fc.record({
  name: identifier,
  orders: fc.oneof(zeroLeaf, otherLeaf),
  nested: fc.dictionary(key, zeroLeaf, { maxKeys: 3 }),
});
const value = fc.oneof(
  zeroLeaf,
  otherLeaf,
  record,
  fc.array(zeroLeaf, { maxLength: 3 }),
  fc.array(fc.oneof(zeroLeaf, otherLeaf, record), { maxLength: 3 }),
  fc.dictionary(key, zeroLeaf, { maxKeys: 4 }),
  fc.dictionary(key, fc.oneof(zeroLeaf, zeroLeaf, otherLeaf, identifier), { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** How the JSON text was written: compact (JSON.stringify, as ctxstore stores it) or indented. */
const layout = fc.constantFrom<number | undefined>(undefined, 2);

/** Zeros as other writers may spell them. */
const spelledZeros = [
  "0.0",
  "-0.0",
  "0e0",
  "0E+00",
  "0.000e-5",
  '{"a":0.0,"b":"  "}',
  '{ "a" : [ ] , "b" : { } }',
  '"N\\/A"',
  '"\\u200b"',
  '{"name": "x", "n": 0e5}',
];

describe("zero-like values (the phantom-zero guard's rule)", () => {
  let instance: DuckDBInstance;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(":memory:");
  });
  afterAll(() => instance.closeSync());

  async function sqlVerdicts(texts: Array<string | null>, empties: boolean[]): Promise<boolean[]> {
    const connection = await instance.connect();
    try {
      await connection.run(
        "CREATE OR REPLACE TEMP TABLE zero_cases (i INTEGER, value JSON, is_empty BOOLEAN)",
      );
      const appender = await connection.createAppender("zero_cases");
      texts.forEach((text, index) => {
        appender.appendInteger(index);
        if (text === null) appender.appendNull();
        else appender.appendVarchar(text);
        appender.appendBoolean(empties[index] === true);
        appender.endRow();
      });
      appender.closeSync();
      const reader = await connection.runAndReadAll(
        `SELECT ${zeroSql("value", "is_empty")} AS zero FROM zero_cases ORDER BY i`,
      );
      return reader.getRowObjects().map((row) => row.zero === true);
    } finally {
      connection.closeSync();
    }
  }

  it("counts every zero shape a broken upstream writes, and none of the look-alikes that carry information", async () => {
    expect(ZERO_SHAPES.map(isZeroLike)).toEqual(ZERO_SHAPES.map(() => true));
    expect(INFORMATIVE_SHAPES.map(isZeroLike)).toEqual(INFORMATIVE_SHAPES.map(() => false));
    expect(isZeroLike(empty("new customer"))).toBe(true);
    const texts = [...ZERO_SHAPES, ...INFORMATIVE_SHAPES].map((shape) => JSON.stringify(shape));
    expect(await sqlVerdicts(texts, [])).toEqual([
      ...ZERO_SHAPES.map(() => true),
      ...INFORMATIVE_SHAPES.map(() => false),
    ]);
  });

  it("reads empty(), SQL NULL and zeros spelled by other writers as zero-like", async () => {
    expect(await sqlVerdicts(['{"a":1}', null, ...spelledZeros], [true, false])).toEqual([
      true,
      true,
      ...spelledZeros.map(() => true),
    ]);
  });

  it("property: the SQL rule agrees with isZeroLike on every generated value, compact or indented", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(value, layout), { minLength: 1, maxLength: 200 }), async (cases) => {
        const texts = cases.map(([generated, indent]) => JSON.stringify(generated, null, indent) ?? null);
        const verdicts = await sqlVerdicts(texts, []);
        cases.forEach(([generated], index) => {
          expect({ text: texts[index], zeroLike: verdicts[index] }).toEqual({
            text: texts[index],
            zeroLike: isZeroLike(generated),
          });
        });
      }),
      { numRuns: 80 },
    );
  });
});
