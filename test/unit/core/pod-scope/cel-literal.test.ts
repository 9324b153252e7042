import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { celStringLiteral } from "../../../../src/core/pod-scope/cel-literal.js";
import { readStringLiteral } from "../../../support/cel-subset.js";

const cases: { name: string; value: string; literal: string | undefined }[] = [
  { name: "plain label text is written as it is", value: "app.kubernetes.io/name", literal: "'app.kubernetes.io/name'" },
  { name: "the empty string is two quotes", value: "", literal: "''" },
  { name: "a single quote is escaped", value: "a'b", literal: "'a\\'b'" },
  { name: "a backslash is escaped", value: "a\\b", literal: "'a\\\\b'" },
  { name: "a double quote needs no escape between single quotes", value: 'a"b', literal: "'a\"b'" },
  { name: "a newline becomes a \\u escape", value: "a\nb", literal: "'a\\u000ab'" },
  { name: "DEL becomes a \\u escape", value: "\x7f", literal: "'\\u007f'" },
  { name: "non-ASCII in the BMP becomes a \\u escape", value: "é", literal: "'\\u00e9'" },
  { name: "a character beyond the BMP becomes a \\U escape", value: "😀", literal: "'\\U0001f600'" },
  { name: "an attempt to close the literal and add a condition stays text", value: "x' || true || '", literal: "'x\\' || true || \\''" },
  { name: "a lone surrogate cannot be written", value: "a\ud800", literal: undefined },
];
for (const c of cases) test(c.name, () => assert.equal(celStringLiteral(c.value), c.literal));

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test("every well-formed string reads back unchanged, as one literal of printable ASCII", () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(fc.constantFrom("'", "\\", '"', "\n", "`", "?", "\ud800", "\udfff"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })) }), (value) => {
      const literal = celStringLiteral(value);
      if (!LONE_SURROGATE.test(value)) {
        assert.ok(literal !== undefined);
        assert.match(literal, /^'[\x20-\x7e]*'$/);
        assert.deepEqual(readStringLiteral(literal), { value, end: literal.length }, "the literal ends exactly where it was written to end");
      } else {
        assert.equal(literal, undefined);
      }
    }),
    { numRuns: 2000 },
  );
});
