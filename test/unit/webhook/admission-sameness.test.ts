import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet } from "../../../src/api/types.js";
import { sameSidecarSetForAdmission } from "../../../src/webhook/admission-sameness.js";

const base = (): SidecarSet => ({
  apiVersion: "apps.kruise.io/v1alpha1",
  kind: "SidecarSet",
  metadata: { name: "agent", uid: "u1", generation: 3, resourceVersion: "10", labels: { team: "obs" }, annotations: { "kruise.io/sidecarset-hash": "h1" } },
  spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name: "agent", image: "agent:1" }] },
  status: { observedGeneration: 3, matchedPods: 4, updatedPods: 4, readyPods: 4, updatedReadyPods: 4, latestRevision: "agent-abc" },
});

test("a write of the status counts and a new resourceVersion change nothing admission reads", () => {
  const next = base();
  next.metadata.resourceVersion = "11";
  next.status = { ...next.status!, matchedPods: 5, updatedPods: 5, readyPods: 3, updatedReadyPods: 3 };
  assert.equal(sameSidecarSetForAdmission(base(), next), true);
});

test("the spec, the latest revision, the hash annotations, labels, generation, uid or a deletion are read by admission", () => {
  const changes: Record<string, (s: SidecarSet) => void> = {
    "an image": (s) => (s.spec.containers![0]!.image = "agent:2"),
    "the selector": (s) => (s.spec.selector = { matchLabels: { app: "db" } }),
    "the latest revision": (s) => (s.status!.latestRevision = "agent-def"),
    "the hash annotation": (s) => (s.metadata.annotations!["kruise.io/sidecarset-hash"] = "h2"),
    "a label": (s) => (s.metadata.labels = { team: "net" }),
    "the generation": (s) => (s.metadata.generation = 4),
    "the uid (deleted and re-created)": (s) => (s.metadata.uid = "u2"),
    "a deletion under way": (s) => (s.metadata.deletionTimestamp = "2026-12-05T00:00:00Z"),
  };
  for (const [what, change] of Object.entries(changes)) {
    const next = base();
    next.metadata.resourceVersion = "11";
    change(next);
    assert.equal(sameSidecarSetForAdmission(base(), next), false, what);
  }
});
