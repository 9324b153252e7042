// An oracle for a rollout under faults, fed one pod watch event at a time
// (recordPodEvents' onEvent), so a rule is checked at every state the API
// server went through, not only at the states a poll happened to see. It
// knows nothing of the manager's code: it reads pods as the API server sends
// them. Violations are collected with the event that showed them; the test
// asserts there are none.
import type { Pod } from "../../src/api/kube-types.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION, SIDECARSET_INJECTED_LIST_ANNOTATION } from "../../src/api/keys.js";
import { isPodReady } from "./kube.js";

export interface RolloutInvariantOptions {
  sidecarSet: string;
  /** The sidecar container the rollout changes. */
  sidecar: string;
  /** The app's container, which no sidecar upgrade may restart. */
  app: string;
  newImage: string;
  /** Pods in the rollout: once this many exist, any further pod is a recreation. */
  pods: number;
  /** Pods upgraded in place that may be unavailable at once (a pod created on the new image is no upgrade). */
  maxUnavailable: number;
  /** Pods that must stay off the new image; setPartition changes it. */
  partition: number;
}

const HASH_ANNOTATIONS = [SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION];

const nameOf = (pod: Pod): string => pod.metadata?.name ?? "";
const specImage = (pod: Pod, container: string): string | undefined => pod.spec?.containers.find((c) => c.name === container)?.image;
const statusOf = (pod: Pod, container: string) => pod.status?.containerStatuses?.find((c) => c.name === container);

export class RolloutInvariants {
  readonly violations: string[] = [];
  /** The most upgraded-and-unavailable pods seen at once. */
  worstUnavailable = 0;
  /** Watch events checked so far. */
  events = 0;
  private readonly pods = new Map<string, Pod>();
  private readonly uids = new Map<string, string>();
  /** Pods seen asking for another image before they asked for the new one. */
  private readonly upgradedInPlace = new Set<string>();
  private partition: number;

  constructor(private readonly opts: RolloutInvariantOptions) {
    this.partition = opts.partition;
  }

  /** Lowers (or raises) the partition the rule holds pods to; lower it before the SidecarSet changes. */
  setPartition(partition: number): void {
    this.partition = partition;
  }

  /** Pods whose spec asks for the new image. */
  upgraded(): number {
    let n = 0;
    for (const pod of this.pods.values()) if (specImage(pod, this.opts.sidecar) === this.opts.newImage) n++;
    return n;
  }

  podCount(): number {
    return this.pods.size;
  }

  observe(type: string, pod: Pod): void {
    this.events++;
    const name = nameOf(pod);
    const at = `event #${this.events} (${type} ${name} rv ${pod.metadata?.resourceVersion})`;
    if (type === "DELETED") {
      this.violations.push(`${at}: pod deleted`);
      this.pods.delete(name);
      return;
    }
    if (type !== "ADDED" && type !== "MODIFIED") return;
    const uid = pod.metadata?.uid ?? "";
    const knownUid = this.uids.get(name);
    if (knownUid === undefined) {
      if (this.uids.size >= this.opts.pods) this.violations.push(`${at}: a pod beyond the ${this.opts.pods} of the rollout appeared`);
      this.uids.set(name, uid);
    } else if (knownUid !== uid) {
      this.violations.push(`${at}: recreated (uid ${knownUid} became ${uid})`);
    }
    const previous = this.pods.get(name);
    this.checkPod(at, previous, pod);
    if (previous && specImage(previous, this.opts.sidecar) !== this.opts.newImage && specImage(pod, this.opts.sidecar) === this.opts.newImage) {
      this.upgradedInPlace.add(name);
    }
    this.pods.set(name, pod);
    this.checkCounts(at);
  }

  private checkPod(at: string, previous: Pod | undefined, pod: Pod): void {
    const restarts = statusOf(pod, this.opts.app)?.restartCount ?? 0;
    if (restarts !== 0) this.violations.push(`${at}: app container ${this.opts.app} restarted ${restarts} time(s)`);
    const annotations = pod.metadata?.annotations ?? {};
    for (const key of Object.keys(previous?.metadata?.annotations ?? {})) {
      if (key.startsWith("kruise.io/") && !(key in annotations)) this.violations.push(`${at}: annotation ${key} lost`);
    }
    for (const key of HASH_ANNOTATIONS) {
      const problem = hashRecordProblem(annotations[key], this.opts.sidecarSet);
      if (problem) this.violations.push(`${at}: ${key} ${problem}`);
    }
    const injected = (annotations[SIDECARSET_INJECTED_LIST_ANNOTATION] ?? "").split(",");
    if (!injected.includes(this.opts.sidecarSet)) {
      this.violations.push(`${at}: ${SIDECARSET_INJECTED_LIST_ANNOTATION} ${JSON.stringify(annotations[SIDECARSET_INJECTED_LIST_ANNOTATION])} lacks ${this.opts.sidecarSet}`);
    }
  }

  private checkCounts(at: string): void {
    const { sidecar, newImage } = this.opts;
    let unavailable = 0;
    let old = 0;
    for (const [name, pod] of this.pods) {
      if (specImage(pod, sidecar) !== newImage) old++;
      else if (this.upgradedInPlace.has(name) && !(isPodReady(pod) && statusOf(pod, sidecar)?.image === newImage)) unavailable++;
    }
    this.worstUnavailable = Math.max(this.worstUnavailable, unavailable);
    if (unavailable > this.opts.maxUnavailable) {
      this.violations.push(`${at}: ${unavailable} upgraded pods unavailable, more than maxUnavailable ${this.opts.maxUnavailable}`);
    }
    // Until every pod has been listed the count of old pods is not yet meaningful.
    if (this.uids.size >= this.opts.pods && old < this.partition) {
      this.violations.push(`${at}: ${old} pods left on the old image, fewer than the partition ${this.partition}`);
    }
  }
}

/** Why a hash annotation's value is not a JSON object with a record for `sidecarSet`, or undefined when it is. */
function hashRecordProblem(value: string | undefined, sidecarSet: string): string | undefined {
  if (value === undefined) return "missing";
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return `is not JSON: ${value.slice(0, 200)}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return `is not a JSON object: ${value.slice(0, 200)}`;
  const record = (parsed as Record<string, unknown>)[sidecarSet];
  const hash = typeof record === "object" && record !== null ? (record as Record<string, unknown>).hash : undefined;
  if (typeof hash !== "string" || hash === "") return `has no hash for ${sidecarSet}: ${value.slice(0, 200)}`;
  return undefined;
}
