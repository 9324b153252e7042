// What the CLI prints is piped into kubectl, which reads YAML 1.1: every
// string must come back as the same string, whatever it looks like.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parse, parseAllDocuments } from "yaml";
import { goYamlReadsAsNonString, toYamlDocument, toYamlDocuments } from "../../../src/api/yaml.js";

const readAsYaml11 = (text: string): unknown => parse(text, { version: "1.1" });

// Words and shapes that YAML 1.1 or go-yaml give another type, mixed into arbitrary strings.
const TRICKY = [
  "no", "No", "NO", "yes", "Yes", "on", "On", "off", "OFF", "y", "Y", "n", "N", "true", "False",
  "~", "null", "Null", "NULL", "", "0x1f", "0X1F", "1e3", "1E3", "-1e-3", "0o17", "017", "0b101", "-0b1",
  "1_000", "1__0", "+12", "-12", ".5", "-.5", "1.", ".inf", "-.Inf", ".NaN", "1:20", "190:20:30",
  "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "<<", "=", "-", "?", ":",
  "- a", "a: b", "#x", "'q'", '"q"', "|", ">", "@x", "`x", "%x", "!x", "&a", "*a", "{}", "[]", "a #b", " a", "a ",
  "a\nb", "\t", "0", "00", "09", "1.2.3", "100Mi", "v1.2", "10%",
];
const trickyString = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string(),
  fc.string({ unit: "grapheme-composite" }),
  fc.tuple(fc.constantFrom(...TRICKY), fc.constantFrom(...TRICKY)).map(([a, b]) => a + b),
);

test("every string printed as a value or a key reads back unchanged with a YAML 1.1 reader", () => {
  fc.assert(
    fc.property(trickyString, trickyString, (key, value) => {
      const object = { metadata: { labels: { [key]: value } }, list: [value] };
      assert.deepEqual(readAsYaml11(toYamlDocument(object)), object);
    }),
    { numRuns: 2000 },
  );
});

test("whole objects of strings, numbers, booleans and nulls read back unchanged with a YAML 1.1 reader", () => {
  const leaf = fc.oneof(trickyString, fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
  const object = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("record")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    record: fc.dictionary(trickyString, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  })).record;
  fc.assert(
    fc.property(object, (o) => {
      assert.deepEqual(readAsYaml11(toYamlDocument(o)), o);
    }),
  );
});

test("several documents are separated so that kubectl reads each on its own", () => {
  const objects = [{ kind: "Pod", metadata: { labels: { a: "no" } } }, { kind: "Pod", metadata: { labels: { b: "on" } } }];
  const docs = parseAllDocuments(toYamlDocuments(objects), { version: "1.1" });
  assert.deepEqual(
    (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS()),
    objects,
  );
});

// go-yaml v2 reads a few plain scalars as numbers that the YAML 1.1 schema keeps as strings:
// it hands them to Go's strconv, which knows Go's integer literals.
const goCases: { text: string; nonString: boolean }[] = [
  { text: "0o17", nonString: true },
  { text: "0O17", nonString: true },
  { text: "-0x1f", nonString: true },
  { text: "0b1_01", nonString: true },
  { text: "1_0.5", nonString: true },
  { text: ".5e3", nonString: true },
  { text: "+Inf", nonString: false },
  { text: "2001-1-2", nonString: true },
  { text: "<<", nonString: true },
  { text: "09", nonString: true },
  { text: "100Mi", nonString: false },
  { text: "1.2.3", nonString: false },
  { text: "v1", nonString: false },
  { text: "10%", nonString: false },
  { text: ".hidden", nonString: false },
  { text: "1-2", nonString: false },
];
for (const c of goCases) {
  test(`go-yaml ${c.nonString ? "reads" : "does not read"} plain ${JSON.stringify(c.text)} as another type, so it is ${c.nonString ? "" : "not "}quoted`, () => {
    assert.equal(goYamlReadsAsNonString(c.text), c.nonString);
    const printed = toYamlDocument({ v: c.text });
    assert.equal(printed.startsWith('v: "'), c.nonString, printed);
  });
}
