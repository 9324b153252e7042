// The SidecarSet API, apps.kruise.io/v1alpha1 (docs/behaviour.md §2). Field names and
// shapes are OpenKruise's so that existing manifests apply unchanged.
import type {
  Container,
  IntOrString,
  LabelSelector,
  LocalObjectReference,
  ObjectMeta,
  Volume,
} from "./kube-types.js";

export const GROUP = "apps.kruise.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "SidecarSet";
export const PLURAL = "sidecarsets";

export type PodInjectPolicy = "BeforeAppContainer" | "AfterAppContainer";
export type UpgradeType = "ColdUpgrade" | "HotUpgrade";
export type ShareVolumePolicyType = "enabled" | "disabled";
export type UpdateStrategyType = "RollingUpdate" | "NotUpdate";
export type PatchPolicy = "Retain" | "Overwrite" | "MergePatchJson";
export type RevisionPolicy = "Always" | "Partial";

export interface SidecarContainerUpgradeStrategy {
  upgradeType?: UpgradeType;
  hotUpgradeEmptyImage?: string;
}

export interface ShareVolumePolicy {
  type?: ShareVolumePolicyType;
}

export interface SourceContainerNameSource {
  fieldRef?: { apiVersion?: string; fieldPath: string };
}

export interface TransferEnvVar {
  sourceContainerName?: string;
  sourceContainerNameFrom?: SourceContainerNameSource;
  envName?: string;
  envNames?: string[];
}

export interface ResourceExpr {
  cpu?: string;
  memory?: string;
}

export interface ResourcesPolicy {
  targetContainersMode: "sum" | "max";
  targetContainersNameRegex?: string;
  resourcesExpr: { limits?: ResourceExpr; requests?: ResourceExpr };
}

/** A Kubernetes Container plus the SidecarSet-specific fields (docs/behaviour.md §2.3). */
export interface SidecarContainer extends Container {
  podInjectPolicy?: PodInjectPolicy;
  upgradeStrategy?: SidecarContainerUpgradeStrategy;
  shareVolumePolicy?: ShareVolumePolicy;
  shareVolumeDevicePolicy?: ShareVolumePolicy;
  transferEnv?: TransferEnvVar[];
  resourcesPolicy?: ResourcesPolicy;
}

export interface UpdatePriorityWeightTerm {
  weight: number;
  matchSelector: LabelSelector;
}

export interface UpdatePriorityOrderTerm {
  orderedKey: string;
}

export interface UpdatePriorityStrategy {
  weightPriority?: UpdatePriorityWeightTerm[];
  orderPriority?: UpdatePriorityOrderTerm[];
}

export interface ScatterTerm {
  key: string;
  /** `"*"`, empty or omitted: every value of `key` on the matched pods. */
  value?: string;
}

export interface SidecarSetUpdateStrategy {
  type?: UpdateStrategyType;
  paused?: boolean;
  selector?: LabelSelector;
  partition?: IntOrString;
  maxUnavailable?: IntOrString;
  priorityStrategy?: UpdatePriorityStrategy;
  scatterStrategy?: ScatterTerm[];
}

export interface InjectionRevision {
  customVersion?: string;
  revisionName?: string;
  policy?: RevisionPolicy;
}

export interface SidecarSetInjectionStrategy {
  paused?: boolean;
  revision?: InjectionRevision;
}

export interface SidecarSetPatchPodMetadata {
  annotations?: Record<string, string>;
  patchPolicy?: PatchPolicy;
}

export interface SidecarSetSpec {
  selector?: LabelSelector;
  namespace?: string;
  namespaceSelector?: LabelSelector;
  initContainers?: SidecarContainer[];
  containers?: SidecarContainer[];
  volumes?: Volume[];
  updateStrategy?: SidecarSetUpdateStrategy;
  injectionStrategy?: SidecarSetInjectionStrategy;
  imagePullSecrets?: LocalObjectReference[];
  revisionHistoryLimit?: number;
  patchPodMetadata?: SidecarSetPatchPodMetadata[];
}

export interface SidecarSetStatus {
  observedGeneration?: number;
  matchedPods: number;
  updatedPods: number;
  readyPods: number;
  updatedReadyPods?: number;
  notInjectedPods?: number;
  latestRevision?: string;
  collisionCount?: number;
  conditions?: SidecarSetCondition[];
}

export interface SidecarSetCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface SidecarSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: SidecarSetSpec;
  status?: SidecarSetStatus;
}
