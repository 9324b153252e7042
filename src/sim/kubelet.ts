// A model kubelet for rollout simulations: when a container's image changes in
// the pod spec it restarts that container after `restartSeconds` (new imageID,
// restartCount + 1, not ready) and marks it ready `readySeconds` later. Native
// sidecars (init containers that restart always) run and restart like the
// other containers, their statuses in initContainerStatuses. Pods marked as
// failing never get the new image running: the container stays not ready with
// no imageID, as with an image that cannot be pulled.
import { createHash } from "node:crypto";
import { splitImageReference } from "../api/image-reference.js";
import type { Container, ContainerStatus, Pod } from "../api/kube-types.js";
import { isNativeSidecar } from "../api/sidecar-containers.js";
import { podKey } from "../core/rollout/matching.js";

export interface KubeletOptions {
  restartSeconds: number;
  readySeconds: number;
  /** Pods whose upgraded containers never become ready. */
  fails: (pod: Pod) => boolean;
}

type KubeletEvent = { at: number; pod: string; container: string; kind: "restart" | "ready" };

/**
 * The imageID a container runtime reports, scheme included: a digest image's
 * own digest (so the consistency check sees it running), else a stable one
 * derived from the image.
 */
export function simulatedImageID(image: string): string {
  const { repository, digest } = splitImageReference(image);
  return `docker-pullable://${repository}@${digest || `sha256:${createHash("sha256").update(image).digest("hex")}`}`;
}

/** The containers that keep running: native sidecars, then the pod's containers (names are unique across both). */
function runningContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []).filter(isNativeSidecar), ...(pod.spec?.containers ?? [])];
}

/** Where `container`'s status is kept: initContainerStatuses for a native sidecar, containerStatuses otherwise. */
function statusesOf(pod: Pod, container: string): ContainerStatus[] {
  pod.status ??= {};
  if ((pod.spec?.initContainers ?? []).some((c) => c.name === container && isNativeSidecar(c))) return (pod.status.initContainerStatuses ??= []);
  return (pod.status.containerStatuses ??= []);
}

/** The statuses of the containers that keep running (a plain init container's, finished, is left out). */
function runningStatuses(pod: Pod): ContainerStatus[] {
  const native = new Set((pod.spec?.initContainers ?? []).filter(isNativeSidecar).map((c) => c.name));
  return [...(pod.status?.initContainerStatuses ?? []).filter((s) => native.has(s.name)), ...(pod.status?.containerStatuses ?? [])];
}

export class ModelKubelet {
  private readonly pods = new Map<string, Pod>();
  /** pod → container → the spec image the kubelet last acted on. */
  private readonly seen = new Map<string, Map<string, string>>();
  /** At most one pending event per container, keyed by pod and container. */
  private readonly events = new Map<string, KubeletEvent>();
  private readonly failing = new Set<string>();

  constructor(
    pods: readonly Pod[],
    private readonly opts: KubeletOptions,
    private readonly clock: (seconds: number) => string,
  ) {
    for (const pod of pods) {
      const key = podKey(pod);
      const copy = structuredClone(pod);
      this.pods.set(key, copy);
      if (opts.fails(copy)) this.failing.add(key);
      const images = new Map<string, string>();
      for (const c of runningContainers(copy)) {
        const status = runningStatuses(copy).find((s) => s.name === c.name);
        // A container already out of step with its spec (mid-upgrade) is finished first.
        images.set(c.name, status && status.image !== c.image ? (status.image ?? "") : (c.image ?? ""));
      }
      this.seen.set(key, images);
      this.observe(key, 0);
    }
  }

  /** Current pods, in insertion order. */
  list(): Pod[] {
    return [...this.pods.values()];
  }

  get(key: string): Pod | undefined {
    return this.pods.get(key);
  }

  isFailing(key: string): boolean {
    return this.failing.has(key);
  }

  /** A controller wrote `pod` at time `t`; the kubelet reacts to changed images. */
  write(pod: Pod, t: number): void {
    const key = podKey(pod);
    this.pods.set(key, pod);
    this.observe(key, t);
  }

  /** Time of the next kubelet event, or null when the node is idle. */
  nextEventTime(): number | null {
    let min: number | null = null;
    for (const e of this.events.values()) if (min === null || e.at < min) min = e.at;
    return min;
  }

  /** Applies every event due at or before `t`. Returns the keys of pods that changed. */
  advance(t: number): string[] {
    const due: KubeletEvent[] = [];
    for (const [key, e] of this.events) {
      if (e.at > t) continue;
      due.push(e);
      this.events.delete(key);
    }
    due.sort((a, b) => a.at - b.at || (a.kind === "restart" ? -1 : 1));
    const changed = new Set<string>();
    for (const e of due) {
      const pod = this.pods.get(e.pod);
      if (!pod) continue;
      const next = structuredClone(pod);
      if (e.kind === "restart") this.restart(next, e.pod, e.container, e.at);
      else this.markReady(next, e.container, e.at);
      this.pods.set(e.pod, next);
      changed.add(e.pod);
    }
    return [...changed];
  }

  private observe(key: string, t: number): void {
    const pod = this.pods.get(key)!;
    const images = this.seen.get(key)!;
    for (const c of runningContainers(pod)) {
      if (images.get(c.name) === c.image) continue;
      images.set(c.name, c.image ?? "");
      // A newer spec image replaces whatever was still pending for the container.
      this.schedule({ at: t + this.opts.restartSeconds, pod: key, container: c.name, kind: "restart" });
    }
  }

  private restart(pod: Pod, key: string, container: string, t: number): void {
    const image = runningContainers(pod).find((c) => c.name === container)?.image ?? "";
    const statuses = statusesOf(pod, container);
    let status = statuses.find((s) => s.name === container);
    if (!status) {
      status = { name: container, image, imageID: "", ready: false, restartCount: 0 };
      statuses.push(status);
    }
    const failing = this.failing.has(key);
    status.image = image;
    status.imageID = failing ? "" : simulatedImageID(image);
    status.ready = false;
    status.restartCount = (status.restartCount ?? 0) + 1;
    this.setPodReady(pod, t);
    if (!failing) this.schedule({ at: t + this.opts.readySeconds, pod: key, container, kind: "ready" });
  }

  private schedule(e: KubeletEvent): void {
    this.events.set(`${e.pod}\u0000${e.container}`, e);
  }

  private markReady(pod: Pod, container: string, t: number): void {
    const status = runningStatuses(pod).find((s) => s.name === container);
    if (status) status.ready = true;
    this.setPodReady(pod, t);
  }

  /** Pod Ready follows its containers; the transition time moves only on a change. */
  private setPodReady(pod: Pod, t: number): void {
    const ready = runningStatuses(pod).every((s) => s.ready === true);
    pod.status ??= {};
    const conditions = (pod.status.conditions ??= []);
    const value = ready ? "True" : "False";
    const existing = conditions.find((c) => c.type === "Ready");
    if (!existing) conditions.push({ type: "Ready", status: value, lastTransitionTime: this.clock(t) });
    else if (existing.status !== value) {
      existing.status = value;
      existing.lastTransitionTime = this.clock(t);
    }
  }
}
