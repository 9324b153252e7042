import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision } from "../../../../src/api/kube-types.js";
import type { SidecarSet, SidecarSetSpec } from "../../../../src/api/types.js";
import { chooseInjectedVersion, restoreFromRevision } from "../../../../src/core/inject/revision.js";
import { pod, sidecar, sidecarSet } from "./fixtures.js";

function revision(name: string, opts: { image?: string; revision?: number; custom?: string; created?: string; hash?: boolean } = {}): ControllerRevision {
  const labels: Record<string, string> = { "kruise.io/sidecarset-name": "s" };
  if (opts.custom) labels["apps.kruise.io/sidecarset-custom-version"] = opts.custom;
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name,
      namespace: "sidecarset-system",
      labels,
      annotations:
        opts.hash === false
          ? {}
          : { "kruise.io/sidecarset-hash": `hash-of-${name}`, "kruise.io/sidecarset-hash-without-image": `without-of-${name}` },
      ...(opts.created ? { creationTimestamp: opts.created } : {}),
    },
    revision: opts.revision ?? 1,
    data: {
      spec: {
        $patch: "replace",
        containers: [{ name: "s", image: opts.image ?? `s:${name}` }],
        imagePullSecrets: [{ name: "old-secret" }],
        initContainers: null,
        patchPodMetadata: null,
        volumes: [{ name: "old-volume", emptyDir: {} }],
      },
    },
  };
}

function set(spec: Partial<SidecarSetSpec>): SidecarSet {
  return sidecarSet("s", {
    containers: [sidecar("s", { image: "s:current" })],
    volumes: [{ name: "new-volume", emptyDir: {} }],
    ...spec,
  }, { status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: "s-latest" } });
}

const pinnedByName = { revisionName: "s-old" };
const revisions = [revision("s-old"), revision("s-latest", { revision: 2 })];

function imageOf(s: SidecarSet): string | undefined {
  return s.spec.containers?.[0]?.image;
}

const table: {
  name: string;
  spec: Partial<SidecarSetSpec>;
  labels?: Record<string, string>;
  random?: number;
  want: "current" | "pinned";
  /** The probability the choice reports when chance made it. */
  chance?: number;
}[] = [
  { name: "no revision ⇒ current spec", spec: {}, want: "current" },
  { name: "revision without name or custom version ⇒ current spec", spec: { injectionStrategy: { revision: { policy: "Always" } } }, want: "current" },
  { name: "policy Always (default) ⇒ pinned", spec: { injectionStrategy: { revision: pinnedByName } }, want: "pinned" },
  { name: "explicit Always ⇒ pinned", spec: { injectionStrategy: { revision: { ...pinnedByName, policy: "Always" } } }, want: "pinned" },
  {
    name: "updateStrategy.paused ⇒ pinned even with Partial",
    spec: { injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } }, updateStrategy: { paused: true } },
    want: "pinned",
  },
  {
    name: "Partial, pod outside updateStrategy.selector ⇒ pinned",
    spec: {
      injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } },
      updateStrategy: { selector: { matchLabels: { canary: "true" } } },
    },
    want: "pinned",
  },
  {
    name: "Partial, pod inside updateStrategy.selector, no partition ⇒ current",
    spec: {
      injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } },
      updateStrategy: { selector: { matchLabels: { canary: "true" } } },
    },
    labels: { app: "web", canary: "true" },
    want: "current",
  },
  {
    name: "Partial, integer partition ⇒ current",
    spec: { injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } }, updateStrategy: { partition: 3 } },
    want: "current",
  },
  {
    name: "Partial, 30% partition, random 0.3 ⇒ pinned (random ≤ p)",
    spec: { injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } }, updateStrategy: { partition: "30%" } },
    random: 0.3,
    want: "pinned",
    chance: 0.3,
  },
  {
    name: "Partial, 30% partition, random 0.31 ⇒ current",
    spec: { injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } }, updateStrategy: { partition: "30%" } },
    random: 0.31,
    want: "current",
    chance: 0.3,
  },
];

for (const c of table) {
  test(`docs/behaviour.md §5.3: ${c.name}`, () => {
    const r = chooseInjectedVersion(set(c.spec), pod({ labels: c.labels ?? { app: "web" } }), revisions, () => c.random ?? 0.5);
    assert.ok(r.ok, r.ok ? "" : r.error.message);
    if (c.want === "current") {
      assert.equal(imageOf(r.set), "s:current");
      assert.equal(r.pinnedRevision, undefined);
    } else {
      assert.equal(imageOf(r.set), "s:s-old");
      assert.equal(r.pinnedRevision, "s-old");
    }
    assert.equal(r.pinChance, c.chance, "the chance is reported exactly when chance chose");
  });
}

test("docs/behaviour.md §5.3: a pinned revision is loaded even when the current spec is chosen, so a missing one denies", () => {
  const r = chooseInjectedVersion(
    set({ injectionStrategy: { revision: { revisionName: "gone", policy: "Partial" } }, updateStrategy: { partition: 1 } }),
    pod({}),
    revisions,
    () => 0,
  );
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.path, "spec.injectionStrategy.revision.revisionName");
    assert.match(r.error.message, /"gone" was not found/);
  }
});

test("docs/behaviour.md §5.3: an unparseable percentage partition with Partial denies", () => {
  const r = chooseInjectedVersion(
    set({ injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } }, updateStrategy: { partition: "thirty" } }),
    pod({}),
    revisions,
    () => 0,
  );
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.path, "spec.updateStrategy.partition");
});

test("docs/behaviour.md §5.3: an invalid updateStrategy.selector with Partial denies", () => {
  const r = chooseInjectedVersion(
    set({
      injectionStrategy: { revision: { ...pinnedByName, policy: "Partial" } },
      updateStrategy: { selector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } },
    }),
    pod({}),
    revisions,
    () => 0,
  );
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.path, "spec.updateStrategy.selector");
});

test("docs/behaviour.md §5.3: customVersion picks the highest .revision among S's revisions with that label", () => {
  const revs = [
    revision("s-a", { custom: "v1", revision: 3 }),
    revision("s-b", { custom: "v1", revision: 5 }),
    revision("s-c", { custom: "v2", revision: 9 }),
    { ...revision("s-d", { custom: "v1", revision: 7 }), metadata: { ...revision("s-d").metadata, labels: { "kruise.io/sidecarset-name": "other", "apps.kruise.io/sidecarset-custom-version": "v1" } } },
  ];
  const r = chooseInjectedVersion(set({ injectionStrategy: { revision: { customVersion: "v1" } } }), pod({}), revs, () => 0);
  assert.ok(r.ok);
  assert.equal(r.pinnedRevision, "s-b");
});

test("docs/behaviour.md §5.3: customVersion ties on .revision go to the newest, then the last name", () => {
  const revs = [
    revision("s-b", { custom: "v1", revision: 4, created: "2026-01-01T00:00:00Z" }),
    revision("s-a", { custom: "v1", revision: 4, created: "2026-01-02T00:00:00Z" }),
  ];
  const r = chooseInjectedVersion(set({ injectionStrategy: { revision: { customVersion: "v1" } } }), pod({}), revs, () => 0);
  assert.ok(r.ok);
  assert.equal(r.pinnedRevision, "s-a");
});

test("docs/behaviour.md §5.3: a customVersion no revision carries denies, naming the labels looked for", () => {
  const r = chooseInjectedVersion(set({ injectionStrategy: { revision: { customVersion: "v9" } } }), pod({}), revisions, () => 0);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.path, "spec.injectionStrategy.revision.customVersion");
    assert.match(r.error.message, /apps\.kruise\.io\/sidecarset-custom-version=v9/);
  }
});

test("restoring takes the five recorded fields from the revision and keeps the rest", () => {
  const current = set({ patchPodMetadata: [{ annotations: { a: "b" } }], imagePullSecrets: [{ name: "new" }] });
  const r = restoreFromRevision(current, revision("s-old"));
  assert.ok(r.ok);
  assert.deepEqual(r.set.spec.containers, [{ name: "s", image: "s:s-old" }]);
  assert.deepEqual(r.set.spec.volumes, [{ name: "old-volume", emptyDir: {} }]);
  assert.deepEqual(r.set.spec.imagePullSecrets, [{ name: "old-secret" }]);
  assert.equal(r.set.spec.patchPodMetadata, undefined, "null in the revision removes the field");
  assert.equal(r.set.spec.initContainers, undefined);
  assert.deepEqual(r.set.spec.selector, current.spec.selector);
  assert.equal(r.set.status?.latestRevision, "s-old");
  assert.equal(r.set.metadata.annotations?.["kruise.io/sidecarset-hash"], "hash-of-s-old");
  assert.equal(r.set.metadata.annotations?.["kruise.io/sidecarset-hash-without-image"], "without-of-s-old");
  assert.equal(current.spec.containers?.[0]?.image, "s:current", "the current object is not modified");
});

test("restoring a revision without hash annotations recomputes them from the restored content", () => {
  const r = restoreFromRevision(set({}), revision("s-old", { hash: false }));
  assert.ok(r.ok);
  const hash = r.set.metadata.annotations?.["kruise.io/sidecarset-hash"];
  assert.ok(hash && hash !== "hash-s", "not the current SidecarSet's hash");
});

test("revision data given as a JSON string is read too; unreadable data denies", () => {
  const rev = revision("s-old");
  const asString = { ...rev, data: JSON.stringify(rev.data) };
  const ok = restoreFromRevision(set({}), asString);
  assert.ok(ok.ok);
  assert.equal(ok.set.spec.containers?.[0]?.image, "s:s-old");
  const bad = restoreFromRevision(set({}), { ...rev, data: "not json" });
  assert.equal(bad.ok, false);
});
