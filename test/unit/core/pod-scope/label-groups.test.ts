import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { celStringLiteral } from "../../../../src/core/pod-scope/cel-literal.js";
import { groupTerms, labelValueTerm, ungroupTerms } from "../../../../src/core/pod-scope/label-groups.js";

const literal = (text: string) => celStringLiteral(text)!;
const text = fc.string({ unit: fc.constantFrom("a", "b", "'", "\\", " ", "&", "|", "]", ",", "é"), maxLength: 6 });
const prefix = fc.oneof(
  fc.constant(""),
  text.map((ns) => `request.namespace == ${literal(ns)} && `),
  fc.array(text, { minLength: 1, maxLength: 3 }).map((names) => `request.namespace in [${names.map(literal).join(", ")}] && `),
);
const atom = fc.tuple(prefix, fc.constantFrom("app", "tier", "a'b"), text).map(([p, key, value]) => labelValueTerm(p, literal(key), literal(value)));
const other = fc.constantFrom("(has(object.metadata.labels) && 'x' in object.metadata.labels)", "(request.namespace == 'a' && (!has(object.metadata.labels) || (!('x' in object.metadata.labels))))");

test("a group written of one label's values reads back as those values' terms", () => {
  const [a, b] = [labelValueTerm("", "'app'", "'a'"), labelValueTerm("", "'app'", "'b'")];
  const written = groupTerms([a, b]);
  assert.deepEqual(written, ["(has(object.metadata.labels) && ('app' in object.metadata.labels && object.metadata.labels['app'] in ['a', 'b']))"]);
  assert.deepEqual(ungroupTerms(written), [a, b]);
});

test("property: writing terms and reading them back gives the same terms, whatever the literals hold", () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.oneof(atom, other), { maxLength: 12 }), (terms) => {
      const sorted = [...terms].sort();
      const written = groupTerms(sorted);
      assert.ok(written.length <= sorted.length);
      assert.deepEqual(ungroupTerms(written).sort(), sorted);
    }),
    { numRuns: 2000 },
  );
});
