// SidecarSets come from an informer cache and keep their identity between pod
// admissions, so their selectors are parsed once per object, not once per pod.
import type { LabelSelector } from "../../api/kube-types.js";
import { parseSelector, type ParsedSelector } from "../selector.js";

const parsed = new WeakMap<LabelSelector, ParsedSelector>();

export function cachedSelector(selector: LabelSelector): ParsedSelector {
  let hit = parsed.get(selector);
  if (!hit) {
    hit = parseSelector(selector);
    parsed.set(selector, hit);
  }
  return hit;
}
