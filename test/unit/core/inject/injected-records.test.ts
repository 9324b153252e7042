// The hash records injection writes come from encoded fields kept per
// SidecarSet object; these tests hold them to the plain encoding of the record
// objects, across pods, SidecarSets, changed objects and timestamp seconds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../../../src/api/keys.js";
import { formatTimestamp, serializeUpgradeRecords, type UpgradeRecords } from "../../../../src/api/pod-records.js";
import { sidecarListOf } from "../../../../src/api/sidecar-containers.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { injectionAnnotations, readExistingRecords } from "../../../../src/core/inject/annotations.js";
import { injectedRecords } from "../../../../src/core/inject/injected-records.js";
import { inject, injected, pod, sidecar, sidecarSet } from "./fixtures.js";

/** Both annotations as the record objects say, written the plain way: no kept fields. */
function reference(annotations: Record<string, string>, sets: readonly SidecarSet[], now: Date): { hash: string; withoutImage: string } {
  const existing = readExistingRecords(annotations);
  assert.ok(existing.ok);
  const hash: UpgradeRecords = { ...existing.records.hash };
  const withoutImage: UpgradeRecords = { ...existing.records.withoutImage };
  const updateTimestamp = formatTimestamp(now);
  for (const set of sets) {
    const name = set.metadata.name ?? "";
    const sidecarList = sidecarListOf(set);
    const setAnnotations = set.metadata.annotations ?? {};
    hash[name] = {
      updateTimestamp,
      hash: setAnnotations[SIDECARSET_HASH_ANNOTATION] ?? "",
      sidecarSetName: name,
      sidecarList,
      ...(set.status?.latestRevision ? { controllerRevision: set.status.latestRevision } : {}),
    };
    withoutImage[name] = { updateTimestamp, hash: setAnnotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] ?? "", sidecarSetName: name, sidecarList };
  }
  return { hash: serializeUpgradeRecords(hash, "hash"), withoutImage: serializeUpgradeRecords(withoutImage, "without-image") };
}

function sets(): SidecarSet[] {
  return [
    sidecarSet("log-agent", { containers: [sidecar("log"), sidecar("audit")] }),
    sidecarSet("mesh", { containers: [sidecar("proxy")], initContainers: [sidecar("init-mesh"), sidecar("native", { restartPolicy: "Always" })] }, {
      status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: "mesh-7d9f" },
    }),
    sidecarSet("ünïcode-<&>", { containers: [sidecar("c\u2028\"q\"")] }, {
      metadata: { name: "ünïcode-<&>", annotations: { "kruise.io/sidecarset-hash": "h<&>\"", "kruise.io/sidecarset-hash-without-image": "w\u2029" } },
    }),
    sidecarSet("no-hashes", { containers: [sidecar("x")] }, { metadata: { name: "no-hashes", annotations: {} } }),
  ];
}

const EXISTING = {
  [SIDECARSET_HASH_ANNOTATION]: JSON.stringify({
    "log-agent": { updateTimestamp: "2020-01-01T00:00:00Z", hash: "old", sidecarSetName: "log-agent", sidecarList: ["log"] },
    other: { updateTimestamp: null, hash: "o", sidecarSetName: "other", sidecarList: null, controllerRevision: "other-1" },
  }),
  [SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION]: JSON.stringify({ zzz: "legacy-flat" }),
};

// Around a second boundary and at a later time: the timestamp is the only part that changes.
const TIMES = ["2026-01-02T03:04:05.000Z", "2026-01-02T03:04:05.999Z", "2026-01-02T03:04:06.000Z", "2027-06-30T23:59:59.500Z"].map((t) => new Date(t));

test("injection annotations equal the plain encoding of the records, over SidecarSets, pods' own records and seconds", () => {
  const all = sets();
  for (const annotations of [{}, EXISTING]) {
    for (const chosen of [all, [all[1]!], [all[2]!, all[0]!], all.slice(1)]) {
      for (const now of TIMES) {
        const existing = readExistingRecords(annotations);
        assert.ok(existing.ok);
        const processed = chosen.map((set) => ({ set, sidecarList: sidecarListOf(set), hotUpgraded: [] }));
        // Twice: the second call is served from the kept fields.
        for (let round = 0; round < 2; round++) {
          const out = injectionAnnotations(annotations, existing.records, processed, now);
          const expected = reference(annotations, chosen, now);
          assert.equal(out[SIDECARSET_HASH_ANNOTATION], expected.hash, `${now.toISOString()} round ${round}`);
          assert.equal(out[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION], expected.withoutImage, `${now.toISOString()} round ${round}`);
        }
      }
    }
  }
});

test("a SidecarSet's records change with its timestamp second, its sidecarList and a new version of the object", () => {
  const [set] = sets();
  const list = sidecarListOf(set!);
  const first = injectedRecords(set!, list, "2026-01-02T03:04:05Z");
  assert.equal(injectedRecords(set!, list, "2026-01-02T03:04:05Z").hash, first.hash);
  assert.match(injectedRecords(set!, list, "2026-01-02T03:04:06Z").hash, /^\{"updateTimestamp":"2026-01-02T03:04:06Z",/);
  assert.match(injectedRecords(set!, ["only"], "2026-01-02T03:04:05Z").hash, /"sidecarList":\["only"\]/, "another list is not served from what was kept");
  assert.equal(injectedRecords(set!, list, "2026-01-02T03:04:05Z").hash, first.hash, "and the first list again");
  const updated: SidecarSet = {
    ...set!,
    metadata: { ...set!.metadata, annotations: { ...set!.metadata.annotations, [SIDECARSET_HASH_ANNOTATION]: "new-hash" } },
    status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: "log-agent-2" },
  };
  const next = injectedRecords(updated, list, "2026-01-02T03:04:05Z");
  assert.match(next.hash, /"hash":"new-hash".*"controllerRevision":"log-agent-2"\}$/);
  assert.doesNotMatch(next.withoutImage, /controllerRevision/);
});

test("pods injected one after another, across a second boundary, carry the records of a fresh encoding", () => {
  const all = sets();
  for (const [i, now] of TIMES.entries()) {
    const p = pod({ name: `pod-${i}`, annotations: i % 2 === 0 ? {} : { ...EXISTING } });
    const result = injected(inject(p, all, { now }));
    const expected = reference(p.metadata?.annotations ?? {}, all, now);
    assert.equal(result.pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION], expected.hash);
    assert.equal(result.pod.metadata?.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION], expected.withoutImage);
  }
});
