// Which SidecarSets, at which generation, the webhook thread's cache holds.
// The thread reports it whenever its SidecarSet cache changes; the controller
// keeps a SidecarSet's status.observedGeneration back until this replica's pod
// webhook would inject that generation (docs/behaviour.md §6.4), as it does
// for the pod webhook's scope (ADR 7), and the replica publishes it for the
// Lease holder of the others (webhook-view-publisher.ts).
import type { SidecarSet } from "../api/types.js";

/** Plain data for the message: name, uid, generation. */
export type HeldSidecarSet = [name: string, uid: string, generation: number];

export function heldSidecarSets(sets: readonly SidecarSet[]): HeldSidecarSet[] {
  return sets.map((s) => [s.metadata.name ?? "", s.metadata.uid ?? "", s.metadata.generation ?? 0]);
}

export class HeldSidecarSets {
  private held = new Map<string, { uid: string; generation: number }>();
  private reported = false;
  private last: readonly HeldSidecarSet[] = [];
  private readonly listeners = new Set<(held: readonly HeldSidecarSet[]) => void>();

  update(held: readonly HeldSidecarSet[]): void {
    this.held = new Map(held.map(([name, uid, generation]) => [name, { uid, generation }]));
    this.reported = true;
    this.last = held;
    for (const listener of this.listeners) listener(held);
  }

  /** Calls `listener` with every report from now on, and at once with the last one if there was one. */
  onUpdate(listener: (held: readonly HeldSidecarSet[]) => void): void {
    this.listeners.add(listener);
    if (this.reported) listener(this.last);
  }

  /** Whether the webhook thread holds this SidecarSet (the same object, not one deleted and re-created) at its generation or later. */
  holds(set: SidecarSet): boolean {
    if (!this.reported) return false;
    const held = this.held.get(set.metadata.name ?? "");
    return held !== undefined && held.uid === (set.metadata.uid ?? "") && held.generation >= (set.metadata.generation ?? 0);
  }
}
