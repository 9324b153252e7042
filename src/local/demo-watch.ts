// The demo's view of the cluster: informers on the SidecarSet and the pods it
// selects. Every change is counted at once (so the most pods ever unavailable
// together is exact as the watch saw it) and shown at most every
// `renderEveryMs` as one progress line, only when that line changed.
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import type { RawKubeClient } from "../kube/client.js";
import { Informer, rawListWatch } from "../kube/informer.js";
import { formatProgress, livePods, progressOf, isPodReady, type DemoNames, type Progress } from "./demo-report.js";

export interface DemoWatchOptions {
  client: RawKubeClient;
  sidecarSetName: string;
  namespace: string;
  labelSelector: string;
  names: DemoNames;
  /** Called with each new progress line. */
  onProgress: (line: string) => void;
  renderEveryMs?: number;
}

export interface DemoState {
  set: SidecarSet | undefined;
  pods: Pod[];
  progress: Progress;
}

interface Waiter {
  done: (state: DemoState) => boolean;
  resolve: (state: DemoState) => void;
}

export class DemoWatch {
  private readonly sets: Informer<SidecarSet>;
  private readonly pods: Informer<Pod>;
  private readonly waiters = new Set<Waiter>();
  private lastLine = "";
  private renderTimer: NodeJS.Timeout | undefined;
  private lastRender = 0;
  private trackingSince: number | undefined;
  private maxNotReady = 0;

  constructor(private readonly opts: DemoWatchOptions) {
    this.sets = new Informer<SidecarSet>({
      name: "demo-sidecarsets",
      source: rawListWatch<SidecarSet>(opts.client, "/apis/apps.kruise.io/v1alpha1/sidecarsets"),
      fieldSelector: `metadata.name=${opts.sidecarSetName}`,
      backoff: { initialMs: 200, maxMs: 3000 },
    });
    this.pods = new Informer<Pod>({
      name: "demo-pods",
      source: rawListWatch<Pod>(opts.client, `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods`),
      labelSelector: opts.labelSelector,
      backoff: { initialMs: 200, maxMs: 3000 },
    });
    const changed = () => this.changed();
    for (const informer of [this.sets, this.pods] as Informer<SidecarSet | Pod>[]) {
      informer.addEventHandler({ add: changed, update: changed, delete: changed });
    }
  }

  async start(): Promise<void> {
    this.sets.start();
    this.pods.start();
    await Promise.all([this.sets.waitForSync(), this.pods.waitForSync()]);
  }

  async stop(): Promise<void> {
    clearTimeout(this.renderTimer);
    await Promise.all([this.sets.stop(), this.pods.stop()]);
    for (const w of this.waiters) w.resolve(this.state());
    this.waiters.clear();
  }

  state(): DemoState {
    const set = this.sets.getByName(undefined, this.opts.sidecarSetName);
    const pods = livePods(this.pods.list());
    return { set, pods, progress: progressOf(set, pods, this.opts.names) };
  }

  /** From now on, remember the most pods that were not Ready at the same time. */
  trackUnavailable(): void {
    this.trackingSince = Date.now();
    this.maxNotReady = this.state().pods.filter((p) => !isPodReady(p)).length;
  }

  get maxNotReadySeen(): number {
    return this.maxNotReady;
  }

  /** Resolves with the state once `done` holds; rejects after the timeout with the last progress line. */
  waitFor(description: string, timeoutMs: number, done: (state: DemoState) => boolean): Promise<DemoState> {
    const now = this.state();
    if (done(now)) return Promise.resolve(now);
    return new Promise<DemoState>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${description}; last state: ${formatProgress(this.state().progress)}`));
      }, timeoutMs);
      const waiter: Waiter = {
        done,
        resolve: (state) => {
          clearTimeout(timer);
          resolve(state);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Shows the current line now if it differs from the last one shown. */
  flush(): void {
    clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
    this.render();
  }

  private changed(): void {
    const state = this.state();
    if (this.trackingSince !== undefined) {
      this.maxNotReady = Math.max(this.maxNotReady, state.pods.filter((p) => !isPodReady(p)).length);
    }
    for (const w of [...this.waiters]) {
      if (w.done(state)) {
        this.waiters.delete(w);
        this.flush();
        w.resolve(state);
      }
    }
    if (this.renderTimer) return;
    const every = this.opts.renderEveryMs ?? 200;
    const wait = Math.max(0, this.lastRender + every - Date.now());
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.render();
    }, wait);
  }

  private render(): void {
    this.lastRender = Date.now();
    const line = formatProgress(this.state().progress);
    if (line === this.lastLine) return;
    this.lastLine = line;
    this.opts.onProgress(line);
  }
}
