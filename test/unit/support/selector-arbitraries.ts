// Random label selectors and SidecarSet scopes for properties that an index
// of SidecarSets or pods changes nothing of what trying each one gives.
// Label keys include `__proto__` and `constructor`, which a plain object
// lookup would find on every pod.
import fc from "fast-check";
import type { LabelSelector } from "../../../src/api/kube-types.js";

export const KEYS = ["app", "tier", "mesh", "__proto__", "constructor"];
export const VALUES = ["web", "api", "", "a"];
const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);
const requirement = fc.oneof(
  fc.record({ key, operator: fc.constantFrom("In", "NotIn"), values: fc.array(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ key, operator: fc.constantFrom("Exists", "DoesNotExist") }),
  fc.record({ key, operator: fc.constant("Near") }),
);
export const selectorArb: fc.Arbitrary<LabelSelector> = fc.record(
  { matchLabels: fc.dictionary(key, value, { maxKeys: 2 }), matchExpressions: fc.array(requirement, { maxLength: 3 }) },
  { requiredKeys: [] },
) as fc.Arbitrary<LabelSelector>;
export const setArb = fc.record({
  name: fc.constantFrom("a", "b", "c", "d", "e", "f"),
  namespace: fc.option(fc.constantFrom("team-a", "team-b"), { nil: undefined }),
  namespaceSelector: fc.option(selectorArb, { nil: undefined }),
  paused: fc.boolean(),
  selector: fc.option(selectorArb, { nil: undefined }),
});
export const labelsArb = fc.option(fc.dictionary(key, value, { maxKeys: 4 }), { nil: undefined });
