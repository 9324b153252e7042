import assert from "node:assert/strict";
import { test } from "node:test";
import { computeStatus, isPodUpdated, recordedHash } from "../../../../src/core/rollout/status.js";
import { HASH, makePod, makeSet, SET } from "./fixtures.js";

test("status: ready = consistent ∧ ready; updatedReady = updated ∧ consistent ∧ ready", () => {
  const pods = [
    makePod("updated-ready", { updated: true }),
    makePod("updated-restarting", { updated: true, consistent: false }),
    makePod("updated-not-ready", { updated: true, ready: false }),
    makePod("old-ready"),
    makePod("old-not-ready", { ready: false }),
  ];
  assert.deepEqual(computeStatus(makeSet(), pods, 2), {
    matchedPods: 5,
    updatedPods: 3,
    readyPods: 2,
    updatedReadyPods: 1,
    notInjectedPods: 2,
  });
});

test("updated compares the recorded hash of S with S's hash annotation", () => {
  const pod = makePod("p", { updated: true });
  assert.equal(recordedHash(pod, SET), HASH);
  assert.equal(isPodUpdated(makeSet(), pod), true);
  assert.equal(isPodUpdated(makeSet(), makePod("q")), false);
});

test("a legacy flat hash annotation is read as S's record", () => {
  const pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-hash"] = JSON.stringify({ [SET]: HASH });
  assert.equal(isPodUpdated(makeSet(), pod), true);
});

test("an unreadable hash annotation reads as no record: not updated", () => {
  const pod = makePod("p", { updated: true });
  pod.metadata!.annotations!["kruise.io/sidecarset-hash"] = "[1,2]";
  assert.equal(isPodUpdated(makeSet(), pod), false);
});

test("the fast hash reader agrees with the full record reader on every form", async () => {
  const { hashInRecords } = await import("../../../../src/core/rollout/status.js");
  const { readUpgradeRecords } = await import("../../../../src/api/pod-records.js");
  const values = [
    undefined,
    "",
    "not json",
    "[]",
    "null",
    "{}",
    '{"a":"h1","b":"h2"}',
    '{"a":"h1","b":{"hash":"h2"}}',
    '{"a":{"hash":"h1"},"b":{"hash":"h2"}}',
    '{"a":{"hash":5}}',
    '{"a":{"hash":"h1"},"b":null}',
    '{"b":{"hash":"h2"}}',
    '{"a":{"updateTimestamp":null,"hash":"x","sidecarSetName":"a","sidecarList":null}}',
    '{"a":["h"]}',
  ];
  for (const v of values) assert.equal(hashInRecords(v, "a"), readUpgradeRecords(v)["a"]?.hash ?? "", String(v));
});

test("recordsHold: the unparsed shortcut never disagrees with a parse", async () => {
  const { recordsHold, hashInRecords } = await import("../../../../src/core/rollout/status.js");
  const rec = (hash: string, extra = "") => `{"updateTimestamp":null,"hash":"${hash}","sidecarSetName":"x","sidecarList":null${extra}}`;
  const values = [
    `{"a":${rec("h1")}}`,
    `{"b":${rec("h9")},"a":${rec("h1")},"c":${rec("h1")}}`,
    `{"a":${rec("h1")},"a":${rec("h2")}}`,
    `{"a":${rec("h2")},"a":${rec("h1")}}`,
    `{"b":${rec("h1")}}`,
    `{"a":${rec("h1", ',"controllerRevision":"r"')}}`,
    `{"a":${rec("h1")},"b":"h2"}`,
    `{"a":${rec("h1")}`,
    `{"a":${rec("h1")}} `,
    `{"a":${rec("\\u0068\\u0031")}}`,
  ];
  for (const v of values) assert.equal(recordsHold(v, "a", "h1"), hashInRecords(v, "a") === "h1", v);
});

test("property: recordsHold answers exactly as reading the records would", async () => {
  const fc = (await import("fast-check")).default;
  const { recordsHold, hashInRecords } = await import("../../../../src/core/rollout/status.js");
  const { serializeUpgradeRecords } = await import("../../../../src/api/pod-records.js");
  const text = fc.oneof(fc.constantFrom("a", "h1", "sidecarset-a", "", 'q"x', "b\\\\s", "\u2028", "<&>"), fc.string({ maxLength: 6 }));
  const record = fc.record({
    updateTimestamp: fc.option(text, { nil: null }),
    hash: fc.oneof(fc.constant("h1"), text),
    sidecarSetName: text,
    sidecarList: fc.option(fc.array(text, { maxLength: 3 }), { nil: null }),
    controllerRevision: fc.option(text, { nil: undefined }),
  });
  const value = fc.oneof(
    fc.dictionary(fc.oneof(fc.constant("sidecarset-a"), text), record, { maxKeys: 3 }).map((r) => serializeUpgradeRecords(r as never, "hash")),
    fc.dictionary(fc.oneof(fc.constant("sidecarset-a"), text), fc.oneof(text, record), { maxKeys: 3 }).map((r) => JSON.stringify(r)),
    // The same records with every "h" written as a \u escape: other text, same JSON.
    fc.dictionary(fc.oneof(fc.constant("sidecarset-a"), text), record, { maxKeys: 3 }).map((r) => JSON.stringify(r).replace(/h/g, "\\u0068")),
    text,
  );
  fc.assert(
    fc.property(value, fc.constantFrom("h1", "sidecarset-a", 'q"x'), (v, hash) => {
      assert.equal(recordsHold(v, "sidecarset-a", hash), hashInRecords(v, "sidecarset-a") === hash);
    }),
    { numRuns: 2000 },
  );
});
