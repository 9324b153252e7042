import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  formatInjectedList,
  formatTimestamp,
  parseInPlaceUpdateStates,
  parseInjectedList,
  parseUpgradeRecords,
  readUpgradeRecords,
  serializeInPlaceUpdateStates,
  serializeStringMap,
  serializeUpgradeRecords,
} from "../../../src/api/pod-records.js";

const record = {
  updateTimestamp: "2026-01-02T03:04:05Z",
  hash: "h1",
  sidecarSetName: "b-set",
  sidecarList: ["a", "b"],
  controllerRevision: "b-set-788d67c95d",
};

test("hash records serialize with sorted names and fields in OpenKruise's order (docs/behaviour.md §3.3)", () => {
  const out = serializeUpgradeRecords({ "b-set": record, "a-set": { ...record, sidecarSetName: "a-set", controllerRevision: undefined } }, "hash");
  assert.equal(
    out,
    '{"a-set":{"updateTimestamp":"2026-01-02T03:04:05Z","hash":"h1","sidecarSetName":"a-set","sidecarList":["a","b"]},' +
      '"b-set":{"updateTimestamp":"2026-01-02T03:04:05Z","hash":"h1","sidecarSetName":"b-set","sidecarList":["a","b"],"controllerRevision":"b-set-788d67c95d"}}',
  );
});

test("the without-image annotation never carries controllerRevision", () => {
  assert.ok(!serializeUpgradeRecords({ "b-set": record }, "without-image").includes("controllerRevision"));
});

test("unknown timestamp and container list are written as null", () => {
  const out = serializeUpgradeRecords({ s: { updateTimestamp: null, hash: "h", sidecarSetName: "s", sidecarList: null } }, "hash");
  assert.equal(out, '{"s":{"updateTimestamp":null,"hash":"h","sidecarSetName":"s","sidecarList":null}}');
});

test("records round-trip through parse and serialize", () => {
  const text = serializeUpgradeRecords({ "b-set": record }, "hash");
  const parsed = parseUpgradeRecords(text);
  assert.ok(parsed.ok);
  assert.equal(serializeUpgradeRecords(parsed.value, "hash"), text);
});

test("the legacy flat form {name: hash} is read as records", () => {
  assert.deepEqual(readUpgradeRecords('{"s1":"abc"}'), {
    s1: { updateTimestamp: null, hash: "abc", sidecarSetName: "s1", sidecarList: null },
  });
});

const unreadable: [string, string][] = [
  ["not JSON", "{"],
  ["a list", "[]"],
  ["a string", '"x"'],
  ["an entry that is a number among objects", '{"a":{"hash":"h"},"b":3}'],
];
for (const [name, value] of unreadable) {
  test(`an unparseable hash annotation (${name}) is an error, and reads leniently as no entries`, () => {
    assert.equal(parseUpgradeRecords(value).ok, false);
    assert.deepEqual(readUpgradeRecords(value), {});
  });
}

test("absent or empty annotations mean no records", () => {
  assert.deepEqual(parseUpgradeRecords(undefined), { ok: true, value: {} });
  assert.deepEqual(parseUpgradeRecords(""), { ok: true, value: {} });
});

test("timestamps are RFC 3339 UTC with whole seconds, as metav1.Time marshals", () => {
  assert.equal(formatTimestamp(new Date("2026-01-02T03:04:05.678Z")), "2026-01-02T03:04:05Z");
});

test("property: a timestamp is its second's, whichever times were formatted before it", () => {
  const time = fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 });
  fc.assert(
    fc.property(fc.array(fc.oneof(time, time.map((t) => t - (t % 1000)), fc.constant(1_000)), { minLength: 1, maxLength: 20 }), (times) => {
      for (const t of times) {
        for (const ms of [t, t + 1, t + 999]) {
          assert.equal(formatTimestamp(new Date(ms)), new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"), `at ${ms} ms`);
        }
      }
    }),
  );
  assert.throws(() => formatTimestamp(new Date(NaN)), RangeError, "an invalid date is not a second");
});

test("the injected list is sorted, de-duplicated and comma-joined", () => {
  assert.equal(formatInjectedList(["b", "a", "b"]), "a,b");
  assert.deepEqual(parseInjectedList("a,,b"), ["a", "b"]);
  assert.deepEqual(parseInjectedList(undefined), []);
});

test("records escape <, >, & and the JS line separators as Go does; plain text is untouched", () => {
  const escaped = { updateTimestamp: null, hash: "a<b>&\u2028\u2029", sidecarSetName: "plain", sidecarList: null };
  assert.equal(
    serializeUpgradeRecords({ s: escaped }, "hash"),
    '{"s":{"updateTimestamp":null,"hash":"a\\u003cb\\u003e\\u0026\\u2028\\u2029","sidecarSetName":"plain","sidecarList":null}}',
  );
  assert.equal(serializeStringMap({ "k<": "v&" }), '{"k\\u003c":"v\\u0026"}');
});

test("in-place update state serializes sorted, and an unknown imageID is omitted like Go's omitempty", () => {
  const out = serializeInPlaceUpdateStates({
    s: { revision: "h", updateTimestamp: "2026-01-02T03:04:05Z", lastContainerStatuses: { b: { imageID: "" }, a: { imageID: "docker-pullable://x@sha256:1" } } },
  });
  assert.equal(
    out,
    '{"s":{"revision":"h","updateTimestamp":"2026-01-02T03:04:05Z","lastContainerStatuses":{"a":{"imageID":"docker-pullable://x@sha256:1"},"b":{}}}}',
  );
  const back = parseInPlaceUpdateStates(out);
  assert.ok(back.ok);
  assert.equal(back.value.s?.lastContainerStatuses.a?.imageID, "docker-pullable://x@sha256:1");
});

test("an in-place update state that is not an object of objects is an error", () => {
  assert.equal(parseInPlaceUpdateStates("[1]").ok, false);
  assert.equal(parseInPlaceUpdateStates('{"s":1}').ok, false);
});

test("string maps serialize with sorted keys", () => {
  assert.equal(serializeStringMap({ envoy: "envoy-2", dns: "dns-1" }), '{"dns":"dns-1","envoy":"envoy-2"}');
});
