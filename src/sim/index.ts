// Rollout simulation: the real planner against a model kubelet.
export * from "./kubelet.js";
export * from "./generate.js";
export * from "./fail.js";
export * from "./simulate.js";
export * from "./svg.js";
