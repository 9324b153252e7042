// The SidecarSet schema used by the shape check (docs/behaviour.md §4.1): which fields
// exist and what type each has. Types are short strings so the whole table
// reads like the API reference:
//
//   "string" | "bool" | "int32" | "int64"      scalars (integers are whole JSON numbers)
//   "quantity"                                  a Kubernetes quantity: a string or a number
//   "intstr"                                    an integer or a string ("10%")
//   "any"                                       not checked
//   "enum:A|B|C"                                one of these strings ("" counts as unset)
//   "[]T"                                       a list of T
//   "{}T"                                       a map from string keys to T
//   "labels" / "annotations"                    a map from label / annotation key to string
//   "TypeName"                                  an object described in the table
import { KUBE_TYPES } from "./kube-schema.js";

export type FieldSpec = string;
export type TypeTable = Record<string, Record<string, FieldSpec>>;

const SIDECARSET_TYPES: TypeTable = {
  SidecarSet: {
    apiVersion: "string",
    kind: "string",
    metadata: "ObjectMeta",
    spec: "SidecarSetSpec",
    status: "any",
  },
  SidecarSetSpec: {
    selector: "LabelSelector",
    namespace: "string",
    namespaceSelector: "LabelSelector",
    initContainers: "[]SidecarContainer",
    containers: "[]SidecarContainer",
    volumes: "[]Volume",
    updateStrategy: "SidecarSetUpdateStrategy",
    injectionStrategy: "SidecarSetInjectionStrategy",
    imagePullSecrets: "[]LocalObjectReference",
    revisionHistoryLimit: "int32",
    patchPodMetadata: "[]SidecarSetPatchPodMetadata",
  },
  SidecarContainer: {
    ...KUBE_TYPES.Container,
    podInjectPolicy: "enum:BeforeAppContainer|AfterAppContainer",
    upgradeStrategy: "SidecarContainerUpgradeStrategy",
    shareVolumePolicy: "ShareVolumePolicy",
    shareVolumeDevicePolicy: "ShareVolumePolicy",
    transferEnv: "[]TransferEnvVar",
    resourcesPolicy: "ResourcesPolicy",
  },
  SidecarContainerUpgradeStrategy: {
    upgradeType: "enum:ColdUpgrade|HotUpgrade",
    hotUpgradeEmptyImage: "string",
  },
  ShareVolumePolicy: { type: "enum:enabled|disabled" },
  TransferEnvVar: {
    sourceContainerName: "string",
    sourceContainerNameFrom: "SourceContainerNameSource",
    envName: "string",
    envNames: "[]string",
  },
  SourceContainerNameSource: { fieldRef: "ObjectFieldSelector" },
  ResourcesPolicy: {
    targetContainersMode: "enum:sum|max",
    targetContainersNameRegex: "string",
    resourcesExpr: "ResourcesExpr",
  },
  ResourcesExpr: { limits: "ResourceExpr", requests: "ResourceExpr" },
  ResourceExpr: { cpu: "string", memory: "string" },
  SidecarSetUpdateStrategy: {
    type: "enum:RollingUpdate|NotUpdate",
    paused: "bool",
    selector: "LabelSelector",
    partition: "intstr",
    maxUnavailable: "intstr",
    priorityStrategy: "UpdatePriorityStrategy",
    scatterStrategy: "[]ScatterTerm",
  },
  UpdatePriorityStrategy: {
    weightPriority: "[]UpdatePriorityWeightTerm",
    orderPriority: "[]UpdatePriorityOrderTerm",
  },
  UpdatePriorityWeightTerm: { weight: "int32", matchSelector: "LabelSelector" },
  UpdatePriorityOrderTerm: { orderedKey: "string" },
  ScatterTerm: { key: "string", value: "string" },
  SidecarSetInjectionStrategy: { paused: "bool", revision: "InjectionRevision" },
  InjectionRevision: {
    customVersion: "string",
    revisionName: "string",
    policy: "enum:Always|Partial",
  },
  SidecarSetPatchPodMetadata: {
    annotations: "annotations",
    patchPolicy: "enum:Retain|Overwrite|MergePatchJson",
  },
  // The patchPodMetadata whitelist held in the manager's ConfigMap (docs/behaviour.md §4.5).
  PatchPodMetadataWhitelist: { rules: "[]PatchPodMetadataWhitelistRule" },
  PatchPodMetadataWhitelistRule: { selector: "LabelSelector", allowedAnnotationKeyExprs: "[]string" },
};

export const SCHEMA: TypeTable = { ...KUBE_TYPES, ...SIDECARSET_TYPES };
