// The library: the pure core of sidecarset, for tools that want the same
// decisions as the manager (what a pod becomes, what a rollout does next).
export * from "./api/types.js";
export type * from "./api/kube-types.js";
export * from "./api/keys.js";
export type { SidecarSet as SidecarSetV1beta1, SidecarSetSpec as SidecarSetSpecV1beta1 } from "./api/v1beta1/types.js";
export { convertSidecarSet, conversionProblem, type ServedVersion } from "./api/conversion.js";
export type { FieldError } from "./api/errors.js";
export { formatFieldError } from "./api/errors.js";
export { defaultSidecarSet } from "./api/defaults.js";
export { sidecarSetHash, sidecarSetHashWithoutImage } from "./api/hash.js";
export { revisionData, revisionName } from "./api/revision.js";
export { validateSidecarSet, validateWithDefaults } from "./api/validation/index.js";
export type { ValidationContext, ValidationResult } from "./api/validation/index.js";
export { selectorMatches } from "./core/selector.js";
export { injectPod, matchSidecarSets } from "./core/inject/index.js";
export type { InjectInput, InjectResult, MatchResult } from "./core/inject/index.js";
export { planUpgrade, upgradePod, isConsistent } from "./core/rollout/index.js";
export type { Plan, PlanOptions, PodUpgrade } from "./core/rollout/index.js";
