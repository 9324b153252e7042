// The health-gate annotations (docs/behaviour.md §7a.5) must read, or the
// SidecarSet is refused: a gate silently off is worse than a clear "no".
// A value already stored before this rule existed and left unchanged by an
// update is only warned about, so that other writes (a resume, a new image)
// still go through; the controller then keeps the gate off and says so.
import { PROGRESS_POLICY_ANNOTATIONS, readProgressPolicy } from "../progress-policy.js";
import type { SidecarSet } from "../types.js";
import type { Findings } from "./findings.js";

export function validateProgressPolicy(set: SidecarSet, old: SidecarSet | undefined, f: Findings): void {
  const annotations = set.metadata?.annotations;
  const { errors } = readProgressPolicy(annotations);
  for (const e of errors) {
    const key = PROGRESS_POLICY_ANNOTATIONS.find((k) => e.path.endsWith(`[${k}]`));
    const unchanged = old !== undefined && key !== undefined && old.metadata?.annotations?.[key] === annotations?.[key];
    if (unchanged) f.warn(`${e.path}: ${e.message} (stored earlier; the progress deadline stays off until it is fixed)`);
    else f.error(e.path, e.message);
  }
}
