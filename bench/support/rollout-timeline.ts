// Where a rollout's time goes, from a watch of its pods: when each pod's new
// image was first seen in its spec, and when it was first seen running that
// image and ready again. With maxUnavailable = B, a rollout at the physical
// limit keeps B pods in flight all the time and refills a freed slot at once;
// the summary says how far a run was from that.

export interface TimelineSummary {
  /** From the start to the first pod seen with the new image in its spec. */
  firstPatchMs: number;
  /** From the start to the last pod seen updated and ready. */
  lastDoneMs: number;
  /** Pods seen updated and ready. */
  done: number;
  /** Pods between "new image in spec" and "updated and ready", averaged over time. */
  averageInFlight: number;
  /** Per pod, new image in spec → updated and ready. */
  cycleMs: Percentiles;
  /** A pod updated and ready while others still wait → the next pod seen with the new image in its spec. */
  refillMs: Percentiles;
}

export interface Percentiles {
  p50: number;
  p90: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9) };
}

export class RolloutTimeline {
  private readonly patchedAt = new Map<string, number>();
  private readonly doneAt = new Map<string, number>();

  /** Records what one watch event shows of pod `name` at time `at` (ms). */
  observe(name: string, at: number, state: { patched: boolean; done: boolean }): void {
    if (state.patched && !this.patchedAt.has(name)) this.patchedAt.set(name, at);
    if (state.done && !this.doneAt.has(name)) this.doneAt.set(name, at);
  }

  /** The summary of pods seen patched, times from `startedAt`; undefined when none finished. */
  summary(startedAt: number): TimelineSummary | undefined {
    const patches = [...this.patchedAt.values()].sort((a, b) => a - b);
    const dones = [...this.doneAt.values()].sort((a, b) => a - b);
    if (patches.length === 0 || dones.length === 0) return undefined;
    const first = patches[0]!;
    const last = dones[dones.length - 1]!;

    // The area under "pods in flight" over time, divided by the time.
    const steps = [...patches.map((t) => ({ t, d: 1 })), ...dones.map((t) => ({ t, d: -1 }))].sort((a, b) => a.t - b.t || b.d - a.d);
    let inFlight = 0;
    let since = first;
    let area = 0;
    for (const { t, d } of steps) {
      area += inFlight * (t - since);
      since = t;
      inFlight += d;
    }

    const cycles: number[] = [];
    for (const [name, patched] of this.patchedAt) {
      const done = this.doneAt.get(name);
      if (done !== undefined) cycles.push(done - patched);
    }

    // Each freed slot is paired with the next patch after it, in order, while patches remain.
    const refills: number[] = [];
    let next = 0;
    for (const done of dones) {
      while (next < patches.length && patches[next]! < done) next++;
      if (next >= patches.length) break;
      refills.push(patches[next]! - done);
      next++;
    }

    return {
      firstPatchMs: first - startedAt,
      lastDoneMs: last - startedAt,
      done: dones.length,
      averageInFlight: last > first ? area / (last - first) : 0,
      cycleMs: percentiles(cycles),
      refillMs: percentiles(refills),
    };
  }
}

/** One line for the bench's output: where the time went. */
export function describeTimeline(s: TimelineSummary, budget: number): string {
  const ms = (v: number) => `${Math.round(v)} ms`;
  return (
    `first image patch seen after ${ms(s.firstPatchMs)}; pods in flight on average ${s.averageInFlight.toFixed(1)} of ${budget}; ` +
    `a pod's cycle (new image in spec → updated and ready) p50 ${ms(s.cycleMs.p50)}, p90 ${ms(s.cycleMs.p90)}; ` +
    `a freed slot refilled after p50 ${ms(s.refillMs.p50)}, p90 ${ms(s.refillMs.p90)}`
  );
}
