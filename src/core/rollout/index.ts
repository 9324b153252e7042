// The pure rollout engine: status, consistency, order, partition,
// maxUnavailable, scatter, the upgrade of one pod, the hot-upgrade flip, the
// SidecarSetUpgradable condition, ControllerRevision decisions, expectations.
export * from "./matching.js";
export * from "./consistency.js";
export * from "./status.js";
export * from "./candidates.js";
export * from "./priority.js";
export * from "./scatter.js";
export * from "./order.js";
export * from "./partition.js";
export * from "./max-unavailable.js";
export * from "./plan.js";
export * from "./plan-memo.js";
export * from "./upgrade-pod.js";
export * from "./hot-upgrade-flip.js";
export * from "./condition.js";
export * from "./revisions.js";
export * from "./expectations.js";
export * from "./progressing-condition.js";
export * from "./changes-besides-images.js";
