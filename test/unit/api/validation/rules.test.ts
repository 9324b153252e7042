// docs/behaviour.md §4.2: one row per rule, each rejected case next to an accepted neighbour.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet } from "../../../../src/api/types.js";
import type { ValidationContext } from "../../../../src/api/validation/index.js";
import { container, initContainer, revision, sidecarSet, validate, withSet } from "./fixtures.js";

const BASE = "metadata.annotations[apps.kruise.io/sidecarset-base]";
const canary = (base: string) => (s: SidecarSet) => {
  s.metadata.annotations = { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": base };
  s.spec.updateStrategy = { type: "NotUpdate" };
};
const baseSet = sidecarSet("base");
const canaryBaseSet = withSet(canary("base"), sidecarSet("canary-of-base"));
const allowPatch = { allowPatchPodMetadataWithoutWhitelist: true };

interface Case {
  rule: number;
  name: string;
  set: SidecarSet;
  ctx?: Partial<ValidationContext>;
  /** The one error path expected, or null when the set must be accepted. */
  reject: string | null;
  message?: RegExp;
}

const cases: Case[] = [
  // 1
  { rule: 1, name: "a name with '_' is rejected", set: withSet((s) => (s.metadata.name = "log_agent")), reject: "metadata.name", message: /letters, digits and '-'/ },
  { rule: 1, name: "a name of 64 characters is rejected", set: withSet((s) => (s.metadata.name = "a".repeat(64))), reject: "metadata.name", message: /at most 63/ },
  { rule: 1, name: "upper-case letters are rejected, as the API server refuses a name that is not a lower-case DNS subdomain", set: withSet((s) => (s.metadata.name = "Log-Agent-2")), reject: "metadata.name", message: /"Log-Agent-2" is not a lowercase RFC 1123 subdomain/ },
  { rule: 1, name: "a name starting with '-' is rejected", set: withSet((s) => (s.metadata.name = "-agent")), reject: "metadata.name", message: /lowercase RFC 1123 subdomain/ },
  { rule: 1, name: "a name with '.' (a DNS subdomain) is rejected", set: withSet((s) => (s.metadata.name = "log.agent")), reject: "metadata.name", message: /must not contain '\.'/ },
  { rule: 1, name: "a name of more than 253 characters gets the API server's limit", set: withSet((s) => (s.metadata.name = "a".repeat(254))), reject: "metadata.name", message: /must be no more than 253 characters/ },
  { rule: 1, name: "generateName instead of a name is accepted (the API server makes the name)", set: withSet((s) => (s.metadata = { generateName: "log-agent-" })), reject: null },
  { rule: 1, name: "a generateName with '.' makes a name the SidecarSet rule rejects", set: withSet((s) => (s.metadata = { generateName: "log.agent-" })), reject: "metadata.name", message: /the name made from metadata\.generateName "log\.agent-" is not a valid SidecarSet name: it must not contain '\.'/ },
  { rule: 1, name: "a long generateName is cut to fit, as the API server does", set: withSet((s) => (s.metadata = { generateName: `${"a".repeat(70)}-` })), reject: null },
  { rule: 1, name: "no name and no generateName is rejected", set: withSet((s) => (s.metadata = {})), reject: "metadata.name", message: /must be set/ },
  { rule: 1, name: "lower-case letters, digits and '-' are accepted", set: withSet((s) => (s.metadata.name = "log-agent-2")), reject: null },
  { rule: 1, name: "an invalid metadata label key is rejected at metadata.labels, as the API server reports it", set: withSet((s) => (s.metadata.labels = { "team name": "a" })), reject: "metadata.labels", message: /"team name" is not a valid label key: name part must consist of/ },
  { rule: 1, name: "an invalid metadata label value is rejected at metadata.labels", set: withSet((s) => (s.metadata.labels = { team: "a!" })), reject: "metadata.labels", message: /a valid label must be an empty string/ },
  { rule: 1, name: "an annotation key is checked lower-cased and reported as given", set: withSet((s) => (s.metadata.annotations = { "Example.COM/Main": "x", "Example.COM/": "y" })), reject: "metadata.annotations", message: /"Example\.COM\/" is not a valid annotation key: name part must be non-empty/ },
  { rule: 1, name: "a finalizer that is not a qualified name is rejected", set: withSet((s) => (s.metadata.finalizers = ["example.com/keep", "keep it"])), reject: "metadata.finalizers", message: /"keep it" is not a valid finalizer: name part must consist of/ },
  { rule: 1, name: "finalizers orphan and foregroundDeletion together are rejected", set: withSet((s) => (s.metadata.finalizers = ["orphan", "foregroundDeletion"])), reject: "metadata.finalizers", message: /cannot be both set/ },
  { rule: 1, name: "an owner reference without uid is rejected at the API server's path", set: withSet((s) => (s.metadata.ownerReferences = [{ apiVersion: "v1", kind: "ConfigMap", name: "owner" } as never])), reject: "metadata.ownerReferences.uid", message: /must not be empty/ },
  { rule: 1, name: "an owner reference whose apiVersion has no version is rejected", set: withSet((s) => (s.metadata.ownerReferences = [{ apiVersion: "apps/", kind: "Deployment", name: "o", uid: "u" }])), reject: "metadata.ownerReferences.apiVersion", message: /version must not be empty/ },
  { rule: 1, name: "two controller owner references are rejected", set: withSet((s) => (s.metadata.ownerReferences = [{ apiVersion: "v1", kind: "ConfigMap", name: "a", uid: "1", controller: true }, { apiVersion: "v1", kind: "ConfigMap", name: "b", uid: "2", controller: true }])), reject: "metadata.ownerReferences", message: /Only one reference can have Controller set to true\. Found "true" in references for ConfigMap\/a and ConfigMap\/b/ },
  { rule: 1, name: "an Event cannot own a SidecarSet", set: withSet((s) => (s.metadata.ownerReferences = [{ apiVersion: "v1", kind: "Event", name: "e", uid: "1" }])), reject: "metadata.ownerReferences", message: /disallowed from being an owner/ },
  { rule: 1, name: "a complete owner reference is accepted", set: withSet((s) => (s.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: "Deployment", name: "o", uid: "1", controller: true }])), reject: null },
  { rule: 1, name: "annotations of more than 256 KiB in total are rejected", set: withSet((s) => (s.metadata.annotations = { "example.com/blob": "x".repeat(256 * 1024) })), reject: "metadata.annotations", message: /may not be more than 262144 bytes/ },
  { rule: 1, name: "metadata.namespace is rejected (cluster-scoped)", set: withSet((s) => (s.metadata.namespace = "default")), reject: "metadata.namespace", message: /cluster-scoped/ },
  // 2
  { rule: 2, name: "a canary whose base is itself is rejected", set: withSet(canary("log-agent")), reject: BASE, message: /itself/ },
  { rule: 2, name: "a canary of another existing SidecarSet is accepted", set: withSet(canary("base")), ctx: { others: [baseSet] }, reject: null },
  // 3
  {
    rule: 3,
    name: "changing a canary's base on UPDATE is rejected",
    set: withSet(canary("base")),
    ctx: { operation: "UPDATE", oldObject: withSet(canary("old-base")), others: [baseSet, sidecarSet("old-base")] },
    reject: BASE,
    message: /was "old-base".*immutable/,
  },
  {
    rule: 3,
    name: "turning a SidecarSet into a canary on UPDATE is rejected",
    set: withSet(canary("base")),
    ctx: { operation: "UPDATE", oldObject: withSet((s) => (s.spec.updateStrategy = { type: "NotUpdate" })), others: [baseSet] },
    reject: BASE,
    message: /was not set/,
  },
  {
    rule: 3,
    name: "an UPDATE keeping the canary's base is accepted",
    set: withSet(canary("base")),
    ctx: { operation: "UPDATE", oldObject: withSet(canary("base")), others: [baseSet] },
    reject: null,
  },
  // 4
  { rule: 4, name: "a canary whose base does not exist is rejected", set: withSet(canary("missing")), ctx: { others: [baseSet] }, reject: BASE, message: /does not exist/ },
  {
    rule: 4,
    name: "a canary whose base is itself a canary is rejected",
    set: withSet(canary("canary-of-base")),
    ctx: { others: [baseSet, canaryBaseSet] },
    reject: BASE,
    message: /itself a canary/,
  },
  // 5
  {
    rule: 5,
    name: "a canary with RollingUpdate is rejected",
    set: withSet((s) => {
      canary("base")(s);
      s.spec.updateStrategy = { type: "RollingUpdate", partition: 0, maxUnavailable: 1 };
    }),
    ctx: { others: [baseSet] },
    reject: "spec.updateStrategy.type",
    message: /NotUpdate/,
  },
  // 6
  {
    rule: 6,
    name: "a native sidecar initContainer under RollingUpdate is rejected",
    set: withSet((s) => (s.spec.initContainers = [initContainer("init-a"), initContainer("native", { restartPolicy: "Always" })])),
    reject: "spec.initContainers[1].restartPolicy",
    message: /--native-sidecar-in-place-upgrade.*NotUpdate/,
  },
  {
    rule: 6,
    name: "a native sidecar initContainer under RollingUpdate is accepted when the manager upgrades native sidecars in place",
    set: withSet((s) => (s.spec.initContainers = [initContainer("init-a"), initContainer("native", { restartPolicy: "Always" })])),
    ctx: { nativeSidecarInPlaceUpgrade: true },
    reject: null,
  },
  {
    rule: 6,
    name: "a native sidecar initContainer under NotUpdate is accepted",
    set: withSet((s) => {
      s.spec.initContainers = [initContainer("native", { restartPolicy: "Always" })];
      s.spec.updateStrategy = { type: "NotUpdate" };
    }),
    reject: null,
  },
  // 7
  { rule: 7, name: "a missing selector is rejected", set: withSet((s) => delete s.spec.selector), reject: "spec.selector", message: /must be set/ },
  { rule: 7, name: "an empty selector is rejected", set: withSet((s) => (s.spec.selector = { matchLabels: {} })), reject: "spec.selector", message: /must not be empty/ },
  { rule: 7, name: "an invalid label key is rejected", set: withSet((s) => (s.spec.selector = { matchLabels: { "a/b/c": "x" } })), reject: "spec.selector.matchLabels[a/b/c]" },
  { rule: 7, name: "an invalid label value is rejected", set: withSet((s) => (s.spec.selector = { matchLabels: { app: "a b" } })), reject: "spec.selector.matchLabels[app]", message: /label value/ },
  {
    rule: 7,
    name: "In without values is rejected",
    set: withSet((s) => (s.spec.selector = { matchExpressions: [{ key: "app", operator: "In", values: [] }] })),
    reject: "spec.selector.matchExpressions[0].values",
  },
  {
    rule: 7,
    name: "Exists with values is rejected",
    set: withSet((s) => (s.spec.selector = { matchExpressions: [{ key: "app", operator: "Exists", values: ["x"] }] })),
    reject: "spec.selector.matchExpressions[0].values",
  },
  {
    rule: 7,
    name: "an unknown operator is rejected",
    set: withSet((s) => (s.spec.selector = { matchExpressions: [{ key: "app", operator: "Equals", values: ["x"] }] })),
    reject: "spec.selector.matchExpressions[0].operator",
    message: /In, NotIn, Exists, DoesNotExist/,
  },
  {
    rule: 7,
    name: "a selector with only an Exists expression is accepted",
    set: withSet((s) => (s.spec.selector = { matchExpressions: [{ key: "example.com/app", operator: "Exists" }] })),
    reject: null,
  },
  // 8
  {
    rule: 8,
    name: "namespace together with namespaceSelector is rejected",
    set: withSet((s) => {
      s.spec.namespace = "team-a";
      s.spec.namespaceSelector = { matchLabels: { env: "prod" } };
    }),
    reject: "spec.namespaceSelector",
    message: /cannot be combined with spec.namespace/,
  },
  { rule: 8, name: "namespace alone is accepted", set: withSet((s) => (s.spec.namespace = "team-a")), reject: null },
  // 9
  { rule: 9, name: "an empty namespaceSelector is rejected", set: withSet((s) => (s.spec.namespaceSelector = {})), reject: "spec.namespaceSelector", message: /every namespace/ },
  {
    rule: 9,
    name: "an invalid namespaceSelector value is rejected",
    set: withSet((s) => (s.spec.namespaceSelector = { matchLabels: { env: "-prod" } })),
    reject: "spec.namespaceSelector.matchLabels[env]",
  },
  { rule: 9, name: "a namespaceSelector alone is accepted", set: withSet((s) => (s.spec.namespaceSelector = { matchLabels: { env: "prod" } })), reject: null },
  // 10
  {
    rule: 10,
    name: "a revision naming nothing is rejected",
    set: withSet((s) => (s.spec.injectionStrategy = { revision: { policy: "Always" } })),
    reject: "spec.injectionStrategy.revision",
    message: /revisionName.*customVersion/,
  },
  {
    rule: 10,
    name: "a missing revisionName is rejected",
    set: withSet((s) => (s.spec.injectionStrategy = { revision: { revisionName: "log-agent-abc", policy: "Always" } })),
    ctx: { revisions: [revision("log-agent-xyz")] },
    reject: "spec.injectionStrategy.revision.revisionName",
    message: /not found in the manager namespace/,
  },
  {
    rule: 10,
    name: "an existing revisionName is accepted",
    set: withSet((s) => (s.spec.injectionStrategy = { revision: { revisionName: "log-agent-abc", policy: "Partial" } })),
    ctx: { revisions: [revision("log-agent-abc")] },
    reject: null,
  },
  {
    rule: 10,
    name: "a customVersion no revision of this SidecarSet carries is rejected",
    set: withSet((s) => (s.spec.injectionStrategy = { revision: { customVersion: "v2", policy: "Always" } })),
    ctx: {
      revisions: [
        revision("other-1", { "kruise.io/sidecarset-name": "other", "apps.kruise.io/sidecarset-custom-version": "v2" }),
        revision("log-agent-1", { "kruise.io/sidecarset-name": "log-agent", "apps.kruise.io/sidecarset-custom-version": "v1" }),
      ],
    },
    reject: "spec.injectionStrategy.revision.customVersion",
  },
  {
    rule: 10,
    name: "a customVersion carried by a revision of this SidecarSet is accepted",
    set: withSet((s) => (s.spec.injectionStrategy = { revision: { customVersion: "v1", policy: "Always" } })),
    ctx: { revisions: [revision("log-agent-1", { "kruise.io/sidecarset-name": "log-agent", "apps.kruise.io/sidecarset-custom-version": "v1" })] },
    reject: null,
  },
  {
    rule: 10,
    name: "an unknown revision policy is rejected",
    set: withSet((s) => (s.spec.injectionStrategy = { revision: { revisionName: "r", policy: "Sometimes" as never } })),
    ctx: { revisions: [revision("r")] },
    reject: "spec.injectionStrategy.revision.policy",
  },
  // 11
  {
    rule: 11,
    name: "a non-zero partition with an update selector is rejected",
    set: withSet((s) => Object.assign(s.spec.updateStrategy!, { partition: 2, selector: { matchLabels: { canary: "true" } } })),
    reject: "spec.updateStrategy",
    message: /cannot be used together/,
  },
  {
    rule: 11,
    name: "a string partition with an update selector is rejected",
    set: withSet((s) => Object.assign(s.spec.updateStrategy!, { partition: "0%", selector: { matchLabels: { canary: "true" } } })),
    reject: "spec.updateStrategy",
  },
  {
    rule: 11,
    name: "partition 0 with an update selector is accepted",
    set: withSet((s) => Object.assign(s.spec.updateStrategy!, { partition: 0, selector: { matchLabels: { canary: "true" } } })),
    reject: null,
  },
  {
    rule: 11,
    name: "NotUpdate ignores partition with selector",
    set: withSet((s) => (s.spec.updateStrategy = { type: "NotUpdate", partition: 3, selector: { matchLabels: { canary: "true" } } })),
    reject: null,
  },
  // 12
  { rule: 12, name: "an empty update selector is rejected", set: withSet((s) => (s.spec.updateStrategy!.selector = {})), reject: "spec.updateStrategy.selector" },
  {
    rule: 12,
    name: "an invalid update selector is rejected",
    set: withSet((s) => (s.spec.updateStrategy!.selector = { matchExpressions: [{ key: "", operator: "Exists" }] })),
    reject: "spec.updateStrategy.selector.matchExpressions[0].key",
  },
  { rule: 12, name: "an empty update selector under NotUpdate is accepted", set: withSet((s) => (s.spec.updateStrategy = { type: "NotUpdate", selector: {} })), reject: null },
  // 13
  { rule: 13, name: "a negative partition is rejected", set: withSet((s) => (s.spec.updateStrategy!.partition = -1)), reject: "spec.updateStrategy.partition", message: /negative/ },
  {
    rule: 13,
    name: "a maxUnavailable string without % is rejected",
    set: withSet((s) => (s.spec.updateStrategy!.maxUnavailable = "10")),
    reject: "spec.updateStrategy.maxUnavailable",
    message: /whole percentage/,
  },
  { rule: 13, name: "a fractional percentage is rejected", set: withSet((s) => (s.spec.updateStrategy!.maxUnavailable = "10.5%")), reject: "spec.updateStrategy.maxUnavailable" },
  {
    rule: 13,
    name: "0% and more than 100% are accepted",
    set: withSet((s) => Object.assign(s.spec.updateStrategy!, { partition: "150%", maxUnavailable: "0%" })),
    reject: null,
  },
  // 14
  {
    rule: 14,
    name: "weightPriority with orderPriority is rejected",
    set: withSet(
      (s) =>
        (s.spec.updateStrategy!.priorityStrategy = {
          weightPriority: [{ weight: 50, matchSelector: { matchLabels: { a: "b" } } }],
          orderPriority: [{ orderedKey: "k" }],
        }),
    ),
    reject: "spec.updateStrategy.priorityStrategy",
  },
  {
    rule: 14,
    name: "a weight above 100 is rejected",
    set: withSet((s) => (s.spec.updateStrategy!.priorityStrategy = { weightPriority: [{ weight: 101, matchSelector: { matchLabels: { a: "b" } } }] })),
    reject: "spec.updateStrategy.priorityStrategy.weightPriority[0].weight",
  },
  {
    rule: 14,
    name: "an empty matchSelector is rejected",
    set: withSet((s) => (s.spec.updateStrategy!.priorityStrategy = { weightPriority: [{ weight: 10, matchSelector: {} }] })),
    reject: "spec.updateStrategy.priorityStrategy.weightPriority[0].matchSelector",
  },
  {
    rule: 14,
    name: "an empty orderedKey is rejected",
    set: withSet((s) => (s.spec.updateStrategy!.priorityStrategy = { orderPriority: [{ orderedKey: "" }] })),
    reject: "spec.updateStrategy.priorityStrategy.orderPriority[0].orderedKey",
  },
  {
    rule: 14,
    name: "weights 0 and 100 with selectors are accepted",
    set: withSet(
      (s) =>
        (s.spec.updateStrategy!.priorityStrategy = {
          weightPriority: [
            { weight: 0, matchSelector: { matchLabels: { a: "b" } } },
            { weight: 100, matchSelector: { matchExpressions: [{ key: "c", operator: "Exists" }] } },
          ],
        }),
    ),
    reject: null,
  },
  // 15
  { rule: 15, name: "a scatter term without key is rejected", set: withSet((s) => (s.spec.updateStrategy!.scatterStrategy = [{ key: "", value: "a" }])), reject: "spec.updateStrategy.scatterStrategy[0].key" },
  {
    rule: 15,
    name: "an empty value duplicates \"*\"",
    set: withSet((s) => (s.spec.updateStrategy!.scatterStrategy = [{ key: "zone", value: "" }, { key: "zone", value: "*" }])),
    reject: "spec.updateStrategy.scatterStrategy[1]",
    message: /repeats scatterStrategy\[0\]/,
  },
  {
    rule: 15,
    name: "distinct scatter terms are accepted",
    set: withSet((s) => (s.spec.updateStrategy!.scatterStrategy = [{ key: "zone", value: "a" }, { key: "zone", value: "b" }, { key: "rack" }])),
    reject: null,
  },
  // 16
  { rule: 16, name: "no containers and no initContainers is rejected", set: withSet((s) => (s.spec.containers = [])), reject: "spec", message: /defines no containers/ },
  {
    rule: 16,
    name: "initContainers alone are accepted",
    set: withSet((s) => {
      delete s.spec.containers;
      s.spec.initContainers = [initContainer("init-a")];
    }),
    reject: null,
  },
  // 17
  {
    rule: 17,
    name: "a container without podInjectPolicy is rejected",
    set: withSet((s) => delete s.spec.containers![0]!.podInjectPolicy),
    reject: "spec.containers[0].podInjectPolicy",
  },
  {
    rule: 17,
    name: "a container without shareVolumePolicy is rejected",
    set: withSet((s) => delete s.spec.containers![0]!.shareVolumePolicy),
    reject: "spec.containers[0].shareVolumePolicy.type",
  },
  {
    rule: 17,
    name: "an initContainer without podInjectPolicy or shareVolumePolicy is accepted",
    set: withSet((s) => {
      const c = initContainer("init-a");
      delete c.podInjectPolicy;
      delete c.shareVolumePolicy;
      s.spec.initContainers = [c];
    }),
    reject: null,
  },
  // 18
  ...transferEnvCases(),
  // 19
  {
    rule: 19,
    name: "resourcesPolicy on a plain initContainer is rejected",
    set: withSet((s) => (s.spec.initContainers = [initContainer("init-a", { resourcesPolicy: policy() })])),
    reject: "spec.initContainers[0].resourcesPolicy",
    message: /native sidecar/,
  },
  {
    rule: 19,
    name: "resourcesPolicy on a native sidecar initContainer is accepted",
    set: withSet((s) => {
      s.spec.initContainers = [initContainer("native", { restartPolicy: "Always", resourcesPolicy: policy() })];
      s.spec.updateStrategy = { type: "NotUpdate" };
    }),
    reject: null,
  },
  // 20
  ...resourcesPolicyCases(),
  // 21 (the full table is in kubernetes-rules.test.ts)
  { rule: 21, name: "a container without image is rejected", set: withSet((s) => delete s.spec.containers![0]!.image), reject: "spec.containers[0].image" },
  {
    rule: 21,
    name: "a volume name used twice is rejected",
    set: withSet((s) => (s.spec.volumes = [{ name: "logs", emptyDir: {} }, { name: "logs", emptyDir: {} }])),
    reject: "spec.volumes[1].name",
  },
  // 22 (whitelist cases are in whitelist.test.ts)
  {
    rule: 22,
    name: "a patchPodMetadata entry without annotations is rejected",
    set: withSet((s) => (s.spec.patchPodMetadata = [{ annotations: {}, patchPolicy: "Retain" }])),
    ctx: allowPatch,
    reject: "spec.patchPodMetadata[0].annotations",
  },
  {
    rule: 22,
    name: "an invalid annotation key is rejected",
    set: withSet((s) => (s.spec.patchPodMetadata = [{ annotations: { "bad key": "v" }, patchPolicy: "Retain" }])),
    ctx: allowPatch,
    reject: "spec.patchPodMetadata[0].annotations",
  },
  {
    rule: 22,
    name: "an unknown patchPolicy is rejected",
    set: withSet((s) => (s.spec.patchPodMetadata = [{ annotations: { a: "b" }, patchPolicy: "Merge" as never }])),
    ctx: allowPatch,
    reject: "spec.patchPodMetadata[0].patchPolicy",
  },
  {
    rule: 22,
    name: "a key patched by two entries is rejected",
    set: withSet(
      (s) =>
        (s.spec.patchPodMetadata = [
          { annotations: { a: "1" }, patchPolicy: "Retain" },
          { annotations: { a: "2" }, patchPolicy: "Overwrite" },
        ]),
    ),
    ctx: allowPatch,
    reject: "spec.patchPodMetadata[1].annotations[a]",
  },
  {
    rule: 22,
    name: "distinct keys with known policies are accepted",
    set: withSet(
      (s) =>
        (s.spec.patchPodMetadata = [
          { annotations: { "example.com/a": "1" }, patchPolicy: "Retain" },
          { annotations: { b: "{}" }, patchPolicy: "MergePatchJson" },
        ]),
    ),
    ctx: allowPatch,
    reject: null,
  },
  // 23
  {
    rule: 23,
    name: "adding a container on UPDATE is rejected (E11)",
    set: withSet((s) => s.spec.containers!.push(container("b"))),
    ctx: { operation: "UPDATE", oldObject: sidecarSet() },
    reject: "spec.containers[1].name",
  },
  {
    rule: 23,
    name: "removing a container and adding initContainers on UPDATE is accepted",
    set: withSet((s) => {
      s.spec.containers = [container("b")];
      s.spec.initContainers = [initContainer("init-new")];
    }),
    ctx: { operation: "UPDATE", oldObject: withSet((s) => s.spec.containers!.push(container("b"))) },
    reject: null,
  },
  // 24
  {
    rule: 24,
    name: "changing upgradeType on UPDATE is rejected",
    set: withSet((s) => (s.spec.containers![0]!.upgradeStrategy = { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" })),
    ctx: { operation: "UPDATE", oldObject: sidecarSet() },
    reject: "spec.containers[0].upgradeStrategy.upgradeType",
    message: /ColdUpgrade to HotUpgrade/,
  },
  {
    rule: 24,
    name: "setting upgradeType where the old one was empty is accepted",
    set: withSet((s) => (s.spec.containers![0]!.upgradeStrategy = { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" })),
    ctx: { operation: "UPDATE", oldObject: withSet((s) => (s.spec.containers![0]!.upgradeStrategy = {})) },
    reject: null,
  },
];

function policy() {
  return {
    targetContainersMode: "sum" as const,
    targetContainersNameRegex: "^app",
    resourcesExpr: { limits: { cpu: "max(cpu*50%, 50m)", memory: "memory*20%" }, requests: { cpu: "cpu*10%" } },
  };
}

function transferEnvCases(): Case[] {
  const withRef = (fieldRef: { apiVersion?: string; fieldPath: string }) =>
    withSet((s) => (s.spec.containers![0]!.transferEnv = [{ sourceContainerNameFrom: { fieldRef }, envName: "TZ" }]));
  const p = "spec.containers[0].transferEnv[0].sourceContainerNameFrom.fieldRef";
  return [
    { rule: 18, name: "a transferEnv fieldRef without apiVersion is rejected", set: withRef({ fieldPath: "metadata.labels['app']" }), reject: `${p}.apiVersion` },
    { rule: 18, name: "a transferEnv fieldRef with apiVersion v2 is rejected", set: withRef({ apiVersion: "v2", fieldPath: "metadata.labels['app']" }), reject: `${p}.apiVersion` },
    { rule: 18, name: "a transferEnv fieldRef to metadata.name is rejected", set: withRef({ apiVersion: "v1", fieldPath: "metadata.name" }), reject: `${p}.fieldPath`, message: /metadata.labels\['<key>'\]/ },
    { rule: 18, name: "a transferEnv fieldRef to spec.nodeName['x'] is rejected", set: withRef({ apiVersion: "v1", fieldPath: "spec.nodeName['x']" }), reject: `${p}.fieldPath` },
    { rule: 18, name: "a transferEnv label key that is not a qualified name is rejected", set: withRef({ apiVersion: "v1", fieldPath: "metadata.labels['-app']" }), reject: `${p}.fieldPath` },
    { rule: 18, name: "an upper-case annotation key is accepted (checked lower-cased)", set: withRef({ apiVersion: "v1", fieldPath: "metadata.annotations['Example.COM/Main']" }), reject: null },
    { rule: 18, name: "a label subscript is accepted", set: withRef({ apiVersion: "v1", fieldPath: "metadata.labels['app']" }), reject: null },
  ];
}

function resourcesPolicyCases(): Case[] {
  const withPolicy = (change: (p: ReturnType<typeof policy>) => void, extra: Partial<ReturnType<typeof container>> = {}) =>
    withSet((s) => {
      const p = policy();
      change(p);
      s.spec.containers = [container("c", { resourcesPolicy: p, ...extra })];
    });
  const p = "spec.containers[0].resourcesPolicy";
  return [
    {
      rule: 20,
      name: "resourcesPolicy with resources.limits is rejected, and nothing else is checked",
      set: withPolicy((x) => (x.targetContainersNameRegex = ""), { resources: { limits: { cpu: "100m" } } }),
      reject: p,
      message: /cannot be combined with resources/,
    },
    { rule: 20, name: "an empty targetContainersNameRegex is rejected", set: withPolicy((x) => (x.targetContainersNameRegex = "")), reject: `${p}.targetContainersNameRegex` },
    {
      rule: 20,
      name: "a lookahead regex (not RE2) is rejected",
      set: withPolicy((x) => (x.targetContainersNameRegex = "^(?!sidecar)")),
      reject: `${p}.targetContainersNameRegex`,
      message: /RE2/,
    },
    {
      rule: 20,
      name: "an expression set without limits or requests is rejected",
      set: withPolicy((x) => ((x as { resourcesExpr: object }).resourcesExpr = {})),
      reject: `${p}.resourcesExpr`,
    },
    {
      rule: 20,
      name: "an expression that does not parse is rejected",
      set: withPolicy((x) => (x.resourcesExpr.limits.cpu = "max(cpu*50%)")),
      reject: `${p}.resourcesExpr.limits.cpu`,
      message: /not a valid expression/,
    },
    {
      rule: 20,
      name: "the memory variable in a cpu expression is rejected (as OpenKruise binds the field's variable)",
      set: withPolicy((x) => (x.resourcesExpr.requests.cpu = "memory*2")),
      reject: `${p}.resourcesExpr.requests.cpu`,
    },
    { rule: 20, name: "an unset targetContainersMode is rejected", set: withPolicy((x) => ((x as { targetContainersMode?: string }).targetContainersMode = "")), reject: `${p}.targetContainersMode` },
    { rule: 20, name: "a complete policy is accepted", set: withPolicy(() => undefined), reject: null },
  ];
}

for (const c of cases) {
  test(`rule ${c.rule}: ${c.name}`, () => {
    const { errors } = validate(c.set, c.ctx);
    if (c.reject === null) {
      assert.deepEqual(errors, []);
      return;
    }
    assert.deepEqual(
      errors.map((e) => e.path),
      [c.reject],
      `errors: ${JSON.stringify(errors)}`,
    );
    if (c.message) assert.match(errors[0]!.message, c.message);
  });
}

test("E11: the error for a container added on UPDATE reads as specified", () => {
  const { errors } = validate(
    withSet((s) => (s.spec.containers = [container("a"), container("b")])),
    { operation: "UPDATE", oldObject: withSet((s) => (s.spec.containers = [container("a")])) },
  );
  assert.deepEqual(errors, [
    {
      path: "spec.containers[1].name",
      message:
        'container "b" does not exist in the current SidecarSet; containers cannot be added or renamed after creation (removing is allowed)',
    },
  ]);
});

test("HotUpgrade without hotUpgradeEmptyImage is accepted with a warning, not an error", () => {
  const result = validate(withSet((s) => (s.spec.containers![0]!.upgradeStrategy = { upgradeType: "HotUpgrade" })));
  assert.deepEqual(result.errors, []);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /^spec\.containers\[0\]\.upgradeStrategy\.hotUpgradeEmptyImage: HotUpgrade without hotUpgradeEmptyImage/);
});

test("canary annotations that do not make a canary are accepted with a warning", () => {
  const result = validate(withSet((s) => (s.metadata.annotations = { "apps.kruise.io/sidecarset-canary": "true" })));
  assert.deepEqual(result.errors, []);
  assert.match(result.warnings.join("\n"), /not a canary/);
});

test("pinned revisions are not looked up when revisions are unknown (offline), with a warning", () => {
  const result = validate(
    withSet((s) => (s.spec.injectionStrategy = { revision: { revisionName: "x", policy: "Always" } })),
    { revisions: "unknown" },
  );
  assert.deepEqual(result.errors, []);
  assert.match(result.warnings.join("\n"), /not looked up/);
});

test("every error is reported together, one per distinct problem", () => {
  const set = withSet((s) => {
    s.metadata.name = "bad_name";
    s.spec.updateStrategy!.partition = -1;
    s.spec.containers![0]!.image = " busybox";
  });
  assert.deepEqual(
    validate(set).errors.map((e) => e.path),
    ["metadata.name", "spec.updateStrategy.partition", "spec.containers[0].image"],
  );
});

test("rule 1: a generateName the API server refuses is rejected, and so is the name made from it, as the API server reports both", () => {
  const { errors } = validate(withSet((s) => (s.metadata = { generateName: "LogAgent-" })));
  assert.deepEqual(
    errors.map((e) => e.path),
    ["metadata.generateName", "metadata.name"],
  );
  assert.match(errors[0]!.message, /^"LogAgent-" is not a lowercase RFC 1123 subdomain/);
  assert.match(errors[1]!.message, /^the name made from metadata\.generateName "LogAgent-" is not a lowercase RFC 1123 subdomain/);
});
