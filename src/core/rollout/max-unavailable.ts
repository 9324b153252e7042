// maxUnavailable (docs/behaviour.md §6.7 step 5): the budget of pods an upgrade may take
// out of service at once.
import type { IntOrPercent } from "./partition.js";
import { scaledPercent } from "./partition.js";

/** The budget M: the integer, or ceil(p·N/100) of matched pods; 1 when unset. */
export function maxUnavailableCount(maxUnavailable: IntOrPercent | undefined, matched: number): number {
  if (!maxUnavailable) return 1;
  return maxUnavailable.kind === "int" ? maxUnavailable.value : scaledPercent(maxUnavailable.value, matched);
}

export interface BudgetWalk {
  /** Length of the prefix of the list that is upgraded. */
  taken: number;
  /** Unavailable pods once the taken ones count. */
  unavailableAfter: number;
  /** True when a ready pod had to wait for the budget. */
  exhausted: boolean;
}

/**
 * Walks the kept list in order. A not-ready pod is always taken and costs
 * nothing (it is already out of service); a ready pod is taken while U < M;
 * at the first ready pod that does not fit the walk stops, so the order is
 * never overtaken by pods further down.
 */
export function walkUnavailableBudget(ready: readonly boolean[], budget: number, unavailable: number): BudgetWalk {
  let u = unavailable;
  for (let i = 0; i < ready.length; i++) {
    if (!ready[i]) continue;
    if (u >= budget) return { taken: i, unavailableAfter: u, exhausted: true };
    u++;
  }
  return { taken: ready.length, unavailableAfter: u, exhausted: false };
}
