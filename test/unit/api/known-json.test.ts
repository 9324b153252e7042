import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { knownJson, knownJsonPieces, withKnownJson } from "../../../src/api/known-json.js";

/** The whole text the pieces make. */
const knownJsonStringify = (value: unknown, depth: number) => knownJsonPieces(value, depth)?.join("");

/** Copies `value`, giving some of its objects and arrays to withKnownJson (chosen by `pick`). */
function withSomeKnown(value: unknown, pick: () => boolean): unknown {
  if (typeof value !== "object" || value === null) return value;
  const copy: unknown = Array.isArray(value)
    ? value.map((v) => withSomeKnown(v, pick))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSomeKnown(v, pick)]));
  return pick() ? withKnownJson(copy as object) : copy;
}

test("property: the text is JSON.stringify's, byte for byte, whichever values are known and however deep it looks", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 6 }), (json, picks, depth) => {
      let i = 0;
      const value = withSomeKnown(json, () => picks[i++ % picks.length]!);
      assert.equal(knownJsonStringify(value, depth), JSON.stringify(value));
    }),
    { numRuns: 300 },
  );
});

test("long strings written again and again, among more than are kept, get JSON.stringify's text each time", () => {
  // Quotes, backslashes, control and non-ASCII characters: everything JSON escapes or keeps as it is.
  const longs = [
    ...Array.from({ length: 12 }, (_, i) => `{"record":${i},"path":"C:\\tmp\n"}\u0001é`.repeat(40 + i)),
    `"${"q".repeat(70_000)}"`,
  ];
  for (let round = 0; round < 3; round++) {
    for (const long of [...longs, ...longs.slice(0, 3).reverse()]) {
      const value = [{ op: "add", path: "/metadata/annotations/x", value: long }, { value: `${long}` }];
      assert.equal(knownJsonStringify(value, 3), JSON.stringify(value));
    }
  }
});

test("values without JSON are left out of objects and written null in arrays, as JSON.stringify does", () => {
  const known = withKnownJson({ name: "agent", env: [{ name: "TZ", value: "UTC" }] });
  const value = {
    skipped: undefined,
    fn: () => 1,
    list: [undefined, known, () => 2, null, new Date(0)],
    holes: [1, , 3],
    when: new Date(0),
    nested: { known, absent: undefined },
  };
  for (const depth of [0, 1, 2, 3, 4]) assert.equal(knownJsonStringify(value, depth), JSON.stringify(value), `depth ${depth}`);
  assert.equal(knownJsonStringify(undefined, 3), undefined);
});

test("a known value is frozen all the way down, and its text is the one it had", () => {
  const value = withKnownJson({ name: "agent", env: [{ name: "TZ", value: "UTC" }], resources: { limits: { cpu: "1" } } });
  assert.equal(knownJson(value), JSON.stringify(value));
  assert.ok(Object.isFrozen(value) && Object.isFrozen(value.env) && Object.isFrozen(value.env[0]) && Object.isFrozen(value.resources.limits));
  assert.throws(() => {
    (value.env[0] as { value: string }).value = "CET";
  }, TypeError);
  assert.equal(knownJson({ ...value }), undefined, "a copy is not known");
});

test("in pieces, each known text is a piece of its own and the pieces join to JSON.stringify's text", () => {
  const sidecar = withKnownJson({ name: "agent", image: "agent:1" });
  const long = "x".repeat(600);
  const ops = [{ op: "replace", path: "/spec/containers", value: [{ name: "app" }, sidecar] }, { op: "add", path: "/a", value: long }];
  const pieces = knownJsonPieces(ops, 3)!;
  assert.equal(pieces.join(""), JSON.stringify(ops));
  assert.ok(pieces.includes(knownJson(sidecar)!), "the sidecar's text is a piece");
  assert.ok(pieces.includes(JSON.stringify(long)), "a long text stays a piece of its own");
  assert.equal(knownJsonPieces(undefined, 3), undefined);
});
