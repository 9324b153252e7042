// Kubernetes object types as they travel on the wire.
//
// @kubernetes/client-node describes objects with classes whose timestamps are
// `Date`; the manager keeps objects as raw JSON (watch events are raw JSON and
// the typed list calls drop unknown fields), so every `Date` becomes the RFC
// 3339 string the API server sends.
import type {
  V1Container,
  V1ControllerRevision,
  V1EnvVar,
  V1LabelSelector,
  V1LabelSelectorRequirement,
  V1LocalObjectReference,
  V1Namespace,
  V1ObjectMeta,
  V1Pod,
  V1PodCondition,
  V1PodSpec,
  V1PodStatus,
  V1ContainerStatus,
  V1Volume,
  V1VolumeMount,
  V1VolumeDevice,
  V1ResourceRequirements,
  V1OwnerReference,
} from "@kubernetes/client-node";

export type Raw<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Raw<U>[]
    : T extends object
      ? { [K in keyof T]: Raw<T[K]> }
      : T;

export type Pod = Raw<V1Pod>;
export type PodSpec = Raw<V1PodSpec>;
export type PodStatus = Raw<V1PodStatus>;
export type PodCondition = Raw<V1PodCondition>;
export type ContainerStatus = Raw<V1ContainerStatus>;
export type Container = Raw<V1Container>;
export type EnvVar = Raw<V1EnvVar>;
export type Volume = Raw<V1Volume>;
export type VolumeMount = Raw<V1VolumeMount>;
export type VolumeDevice = Raw<V1VolumeDevice>;
export type ResourceRequirements = Raw<V1ResourceRequirements>;
export type LocalObjectReference = Raw<V1LocalObjectReference>;
export type LabelSelector = Raw<V1LabelSelector>;
export type LabelSelectorRequirement = Raw<V1LabelSelectorRequirement>;
export type ObjectMeta = Raw<V1ObjectMeta>;
export type OwnerReference = Raw<V1OwnerReference>;
export type Namespace = Raw<V1Namespace>;
export type ControllerRevision = Raw<V1ControllerRevision>;

/** An int-or-string field: `3` or `"30%"`. */
export type IntOrString = number | string;
