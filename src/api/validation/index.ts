export { validateSidecarSet, validateWithDefaults, type ValidationContext, type ValidationOptions, type ValidationResult } from "./validate.js";
export { checkShape, type ShapeResult } from "./shape.js";
export { selectorsOverlap } from "./selector-overlap.js";
export { namespacesOverlap, type NamespaceLabels } from "./namespace-overlap.js";
export { canaryBase } from "./canary.js";
export { checkRe2 } from "./regex.js";
