// The phantom-zero guard's "zero-like" rule is one regular expression over the stored JSON text.
// This checks it against the same rule written with DuckDB's JSON functions (json_type per field),
// which is slower but reads like the definition, over generated values.
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zeroSql } from "../src/materialize.js";

/** The definition: empty(), null, 0, a string of only whitespace, [], {}, or an object whose every field is one of those. */
function definitionSql(value: string, isEmpty: string): string {
  const leaf = (json: string) =>
    `(${json} IS NULL OR json_type(${json}) = 'NULL'
      OR (json_type(${json}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST(${json}::VARCHAR AS DOUBLE) = 0)
      OR (json_type(${json}) = 'VARCHAR' AND regexp_full_match(${json}->>'$', '[\\t\\n\\r\\p{Zs}]*'))
      OR (json_type(${json}) = 'ARRAY' AND json_array_length(${json}) = 0)
      OR (json_type(${json}) = 'OBJECT' AND len(json_keys(${json})) = 0))`;
  return `(${isEmpty} OR ${leaf(value)}
    OR (json_type(${value}) = 'OBJECT' AND coalesce(list_bool_and(list_transform(json_extract(${value}, '$.*'), x -> ${leaf("x")})), false)))`;
}

const zeroLeaf = fc.oneof(
  fc.constantFrom<unknown>(null, 0, -0, 0.0, "", " ", "   ", [], {}),
  fc.stringMatching(/^[ \t\n\r\u00a0\u2002\u3000]{0,4}$/),
);
const otherLeaf = fc.oneof(
  fc.constantFrom<unknown>(
    1,
    -1,
    0.5,
    1e-7,
    1e21,
    true,
    false,
    "0",
    "a",
    " a ",
    "\u200b",
    "\\t",
    [0],
    [null],
    { a: 0 },
  ),
  fc.string({ maxLength: 4 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const key = fc.oneof(
  fc.constantFrom("orders", "", "a:1", 'quo"te', "back\\slash", "ünï", "{", "}", ",", "\u0000"),
  fc.string({ maxLength: 6 }),
);
const value = fc.oneof(
  zeroLeaf,
  otherLeaf,
  fc.dictionary(key, zeroLeaf, { maxKeys: 4 }),
  fc.dictionary(key, fc.oneof(zeroLeaf, zeroLeaf, otherLeaf), { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);
/** How the JSON text was written: compact (JSON.stringify, as ctxstore stores it) or indented. */
const layout = fc.constantFrom<number | undefined>(undefined, 2);
/** Zero numbers as other writers may spell them. */
const spelledZeros = [
  "0.0",
  "-0.0",
  "0e0",
  "0E+00",
  "0.000e-5",
  '{"a":0.0,"b":"  "}',
  '{ "a" : [ ] , "b" : { } }',
];

describe("zero-like values (the phantom-zero guard's rule)", () => {
  let instance: DuckDBInstance;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(":memory:");
  });
  afterAll(() => instance.closeSync());

  async function compare(texts: Array<string | null>, empties: boolean[]) {
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
        `SELECT i, value::VARCHAR AS text, ${zeroSql("value", "is_empty")} AS fast, ${definitionSql("value", "is_empty")} AS definition FROM zero_cases ORDER BY i`,
      );
      return reader
        .getRowObjects()
        .map((row) => ({ text: row.text, fast: row.fast, definition: row.definition }));
    } finally {
      connection.closeSync();
    }
  }

  it("matches the definition on examples, including empty() and SQL NULL", async () => {
    const rows = await compare(
      [
        '{"orders":0,"spend":0}',
        '{"orders":0,"spend":1}',
        '""',
        '" "',
        '"\\t"',
        "[]",
        "{}",
        "null",
        null,
        '{"a":1}',
        '"x"',
        ...spelledZeros,
      ],
      [false, false, false, false, false, false, false, false, false, true, false],
    );
    expect(rows.map((row) => row.fast)).toEqual([
      true,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      ...spelledZeros.map(() => true),
    ]);
    for (const row of rows) expect(row.fast).toBe(row.definition);
  });

  it("property: agrees with the definition on every generated value, compact or indented", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            value,
            layout,
            fc.integer({ min: 0, max: 9 }).map((draw) => draw === 0),
          ),
          { minLength: 1, maxLength: 200 },
        ),
        async (cases) => {
          const texts = cases.map(([generated, indent]) => JSON.stringify(generated, null, indent) ?? null);
          const rows = await compare(
            texts,
            cases.map(([, , isEmpty]) => isEmpty),
          );
          for (const row of rows)
            expect({ text: row.text, zeroLike: row.fast }).toEqual({
              text: row.text,
              zeroLike: row.definition,
            });
        },
      ),
      { numRuns: 60 },
    );
  });
});
