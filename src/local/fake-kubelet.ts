// A kubelet stand-in for the local control plane. Nothing runs containers
// here, so this registers one Node, binds every unscheduled pod to it and
// writes the status a kubelet would: Running, Ready (respecting readiness
// gates), containerStatuses with image/imageID/restartCount. When a
// container's image is changed in place it "restarts" that container after a
// delay, the way the kubelet does: the old container is reported terminated
// (not ready) until the new one runs with the new image, a new imageID and
// restartCount + 1. Images judged broken run but never become ready; images
// judged crashing run, pass readiness for a while, then exit and come back
// after a back-off, again and again (CrashLoopBackOff), in every pod or only
// in the pods a test picks, as a bad node would.
//
// Every pod has its own serial queue; events for a pod that is already queued
// are coalesced, so a burst of hundreds of pods never builds a backlog of
// stale work.
import { createHash } from "node:crypto";
import { splitImageReference } from "../api/image-reference.js";
import type { Container, ContainerStatus, Pod } from "../api/kube-types.js";
import { loadKubeConfig, PatchType, RawKubeClient } from "../kube/client.js";
import { statusCodeOf } from "../kube/errors.js";
import { Informer, rawListWatch } from "../kube/informer.js";
import { simulatedImageID } from "../sim/kubelet.js";

export interface FakeKubeletOptions {
  nodeName?: string;
  /** Time from binding until the containers run (the pod stays Pending meanwhile). */
  startupDelayMs?: number;
  /** Time a container is down while it restarts for an in-place image change. */
  restartDelayMs?: number;
  /** Images that run but never pass readiness; default: a tag ending in "-broken". */
  isBrokenImage?: (image: string) => boolean;
  /** How crashing images behave; by default a tag ending in "-crashloop" crashes in every pod. */
  crashLoop?: CrashLoopOptions;
  /**
   * How long after a pod changes this kubelet learns of it, as a busy node's
   * watch falls behind; default 0. Meanwhile it goes on with the spec it has.
   */
  changesSeenAfterMs?: number;
  /** Reports failed API calls (they are retried); default: stderr. */
  log?: (line: string) => void;
}

export interface CrashLoopOptions {
  /** Images that crash; default: a tag ending in "-crashloop". */
  isCrashingImage?: (image: string) => boolean;
  /** Pods in which they crash (elsewhere they run fine); default: every pod. */
  affects?: (pod: Pod) => boolean;
  /** How long each instance runs, ready, before it exits; default 1000 ms. */
  runsForMs?: number;
  /** How long the kubelet backs off before starting the next instance; default 1000 ms. */
  backOffMs?: number;
}

export interface FakeKubelet {
  nodeName: string;
  /** Pods whose status this kubelet currently maintains. */
  podCount(): number;
  /** Pod status writes this kubelet has made (to tell them from other writers' in API server counts). */
  statusWrites(): number;
  stop(): Promise<void>;
}

interface Run {
  image: string;
  imageID: string;
  containerID: string;
  restartCount: number;
  startedAt: string;
  /** `startedAt` in milliseconds, unrounded. */
  startedMs: number;
  /** Set while a crashed container waits out its back-off. */
  backOffUntil?: number;
  /** When this run next changes by itself (its crash or the end of its back-off). */
  crashDueAt?: number;
  /** Set while the container restarts for a new image. */
  restart?: { finishedAt: string; dueAt: number };
  lastTerminated?: ContainerStatus["lastState"];
}

interface PodState {
  startTime: string;
  runningAt: number;
  podIP: string;
  runs: Map<string, Run>;
  transitions: Map<string, { status: string; at: string }>;
  lastPatch?: string;
  timer?: NodeJS.Timeout;
}

const MAX_CONCURRENT_SYNCS = 32;

/** Runs at most `max` of the given tasks at a time, the others in arrival order. */
function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= max) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Kubernetes timestamps carry whole seconds. */
const stamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

export { simulatedImageID as imageIdFor };

export function isBrokenByTag(image: string): boolean {
  return splitImageReference(image).tag.endsWith("-broken");
}

export function isCrashingByTag(image: string): boolean {
  return splitImageReference(image).tag.endsWith("-crashloop");
}

export async function startFakeKubelet(kubeconfigPath: string, opts: FakeKubeletOptions = {}): Promise<FakeKubelet> {
  const nodeName = opts.nodeName ?? "fake-node";
  const startupDelayMs = opts.startupDelayMs ?? 0;
  const restartDelayMs = opts.restartDelayMs ?? 0;
  const isBroken = opts.isBrokenImage ?? isBrokenByTag;
  const isCrashing = opts.crashLoop?.isCrashingImage ?? isCrashingByTag;
  const crashAffects = opts.crashLoop?.affects ?? (() => true);
  const runsForMs = opts.crashLoop?.runsForMs ?? 1000;
  const backOffMs = opts.crashLoop?.backOffMs ?? 1000;
  const changesSeenAfterMs = opts.changesSeenAfterMs ?? 0;
  const log = opts.log ?? ((line: string) => process.stderr.write(`[fake-kubelet] ${line}\n`));
  const client = new RawKubeClient(loadKubeConfig({ kubeconfigPath }).kubeConfig, { userAgent: "sidecarset-fake-kubelet" });
  await registerNode(client, nodeName);

  const latest = new Map<string, Pod>(); // by uid
  const states = new Map<string, PodState>();
  const queued = new Map<string, { dirty: boolean; done: Promise<void> }>();
  let stopped = false;
  let statusWrites = 0;
  let ipCounter = 0;
  // A burst of hundreds of pods must not open hundreds of connections at once.
  const slots = limiter(MAX_CONCURRENT_SYNCS);

  const forget = (uid: string): void => {
    clearTimeout(states.get(uid)?.timer);
    states.delete(uid);
    latest.delete(uid);
  };

  const enqueue = (uid: string): void => {
    const entry = queued.get(uid);
    if (entry) {
      entry.dirty = true;
      return;
    }
    const fresh = { dirty: true, done: Promise.resolve() };
    queued.set(uid, fresh);
    fresh.done = (async () => {
      let failures = 0;
      while (fresh.dirty && !stopped) {
        fresh.dirty = false;
        try {
          await slots(() => sync(uid));
          failures = 0;
        } catch (err) {
          const code = statusCodeOf(err);
          if (code === 404) break; // the pod is gone
          if (code !== 409) log(`pod ${describe(latest.get(uid))}: ${(err as Error).message}; retrying`);
          failures++;
          fresh.dirty = true;
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** failures)));
        }
      }
      queued.delete(uid);
    })();
  };

  const sync = async (uid: string): Promise<void> => {
    const pod = latest.get(uid);
    if (!pod?.metadata?.name || !pod.metadata.namespace || !pod.spec) return;
    const { name, namespace } = pod.metadata;
    if (!pod.spec.nodeName) {
      if (pod.metadata.deletionTimestamp) return;
      await client.create(`/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: "v1", kind: "Binding", metadata: { name, namespace, uid }, target: { apiVersion: "v1", kind: "Node", name: nodeName },
      });
      return; // the binding's watch event brings the pod back here
    }
    if (pod.spec.nodeName !== nodeName) return;
    if (pod.metadata.deletionTimestamp) {
      // The apiserver waits for the kubelet to confirm that the containers stopped.
      // Options in the body replace the query's, so the grace period goes in the body too.
      await client.delete(`/api/v1/namespaces/${namespace}/pods/${name}`, { body: { gracePeriodSeconds: 0, preconditions: { uid } } });
      forget(uid);
      return;
    }
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;

    const now = Date.now();
    let state = states.get(uid);
    if (!state) {
      state = adoptOrStart(pod, now);
      states.set(uid, state);
    }
    const status = desiredStatus(pod, state, now);
    const patch = { metadata: { uid }, status };
    const body = JSON.stringify(patch);
    const phaseMatches = pod.status?.phase === status.phase && (pod.status?.containerStatuses?.length ?? 0) === status.containerStatuses.length;
    if (body !== state.lastPatch || !phaseMatches) {
      statusWrites++;
      await client.patch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, patch, PatchType.strategicMerge);
      state.lastPatch = body;
    }
    scheduleNext(uid, state, now);
  };

  // A pod that already runs (this kubelet replaced an earlier one) keeps its
  // containers, restart counts and condition times; any other pod starts now.
  const adoptOrStart = (pod: Pod, now: number): PodState => {
    const state: PodState = { startTime: stamp(now), runningAt: now + startupDelayMs, runs: new Map(), transitions: new Map(), podIP: "" };
    const st = pod.status;
    if (st?.phase === "Running" && st.startTime && st.podIP) {
      Object.assign(state, { startTime: st.startTime, runningAt: now, podIP: st.podIP });
      for (const cs of [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? [])]) {
        const running = cs.state?.running?.startedAt;
        if (running && cs.imageID && cs.containerID) {
          state.runs.set(cs.name, {
            image: cs.image, imageID: cs.imageID, containerID: cs.containerID, restartCount: cs.restartCount, startedAt: running, startedMs: Date.parse(running), lastTerminated: cs.lastState,
          });
        }
      }
      for (const c of st.conditions ?? []) if (c.lastTransitionTime) state.transitions.set(c.type, { status: c.status, at: c.lastTransitionTime });
      return state;
    }
    ipCounter++;
    state.podIP = `10.244.${(ipCounter >> 8) & 255}.${(ipCounter & 255) || 1}`;
    return state;
  };

  const scheduleNext = (uid: string, state: PodState, now: number): void => {
    if (stopped) return;
    const due = [...state.runs.values()].flatMap((r) => [...(r.restart ? [r.restart.dueAt] : []), ...(r.crashDueAt !== undefined ? [r.crashDueAt] : [])]);
    if (state.runningAt > now) due.push(state.runningAt);
    clearTimeout(state.timer);
    state.timer = undefined;
    if (due.length > 0) state.timer = setTimeout(() => enqueue(uid), Math.max(0, Math.min(...due) - now) + 5);
  };

  const desiredStatus = (pod: Pod, state: PodState, now: number) => {
    const running = now >= state.runningAt;
    const spec = pod.spec!;
    const statusOf = (c: Container): ContainerStatus => {
      const image = c.image ?? "";
      if (!running) return { name: c.name, image, imageID: "", ready: false, started: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } };
      let run = state.runs.get(c.name);
      if (!run) {
        run = { image, imageID: simulatedImageID(image), containerID: newContainerId(pod, c.name, 0), restartCount: 0, startedAt: stamp(state.runningAt), startedMs: state.runningAt };
        state.runs.set(c.name, run);
      }
      // A restart always shows at least one not-ready status, even with no delay:
      // it completes in a later pass than the one that stopped the old container.
      if (run.image !== image && !run.restart) run.restart = { finishedAt: stamp(now), dueAt: now + restartDelayMs };
      else if (run.restart && now >= run.restart.dueAt) {
        run.lastTerminated = { terminated: { exitCode: 0, reason: "Completed", startedAt: run.startedAt, finishedAt: run.restart.finishedAt, containerID: run.containerID } };
        run.restartCount++;
        Object.assign(run, { image, imageID: simulatedImageID(image), containerID: newContainerId(pod, c.name, run.restartCount), startedAt: stamp(now), startedMs: now, restart: undefined, backOffUntil: undefined });
      }
      if (!run.restart && isCrashing(run.image) && crashAffects(pod)) advanceCrashLoop(pod, c.name, run, now);
      else run.crashDueAt = run.backOffUntil = undefined;
      const base = { name: c.name, image: run.image, imageID: run.imageID, containerID: run.containerID, restartCount: run.restartCount, ...(run.lastTerminated ? { lastState: run.lastTerminated } : {}) };
      if (run.restart) {
        // The old container has stopped; the kubelet keeps reporting it until the new one runs.
        return { ...base, ready: false, started: false, state: { terminated: { exitCode: 0, reason: "Completed", startedAt: run.startedAt, finishedAt: run.restart.finishedAt, containerID: run.containerID } } };
      }
      if (run.backOffUntil !== undefined) {
        const message = `back-off ${Math.ceil(backOffMs / 1000)}s restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
        return { ...base, ready: false, started: false, state: { waiting: { reason: "CrashLoopBackOff", message } } };
      }
      return { ...base, ready: !isBroken(run.image), started: true, state: { running: { startedAt: run.startedAt } } };
    };
    const initStatusOf = (c: Container): ContainerStatus => {
      if (c.restartPolicy === "Always") return statusOf(c); // a native sidecar runs alongside the app
      const at = stamp(state.runningAt);
      return {
        name: c.name, image: c.image ?? "", imageID: running ? simulatedImageID(c.image ?? "") : "", ready: running, started: false, restartCount: 0,
        state: running ? { terminated: { exitCode: 0, reason: "Completed", startedAt: at, finishedAt: at } } : { waiting: { reason: "PodInitializing" } },
      };
    };
    const byName = (a: ContainerStatus, b: ContainerStatus): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const containerStatuses = spec.containers.map(statusOf).sort(byName);
    const initContainerStatuses = (spec.initContainers ?? []).map(initStatusOf).sort(byName);

    const unready = [...containerStatuses, ...initContainerStatuses.filter((s, i) => spec.initContainers?.[i]?.restartPolicy === "Always")]
      .filter((s) => !s.ready).map((s) => s.name);
    const gateProblem = readinessGateProblem(pod);
    // reason/message are null when a condition holds: a strategic merge patch
    // merges conditions by type, so an absent field would keep a stale reason.
    const conditions: { type: string; status: string; lastTransitionTime: string; reason: string | null; message: string | null }[] = [];
    const condition = (type: string, ok: boolean, reason?: string, message?: string): void => {
      const status = ok ? "True" : "False";
      const prev = state.transitions.get(type);
      const at = prev?.status === status ? prev.at : stamp(now);
      state.transitions.set(type, { status, at });
      conditions.push({ type, status, lastTransitionTime: at, reason: ok ? null : reason ?? null, message: ok ? null : message ?? null });
    };
    condition("PodReadyToStartContainers", running);
    const initNames = (spec.initContainers ?? []).map((c) => c.name).join(" ");
    condition("Initialized", running, "ContainersNotInitialized", `containers with incomplete status: [${initNames}]`);
    condition("ContainersReady", running && unready.length === 0, "ContainersNotReady", `containers with unready status: [${unready.join(" ")}]`);
    condition("Ready", running && unready.length === 0 && !gateProblem, unready.length > 0 || !running ? "ContainersNotReady" : "ReadinessGatesNotReady",
      unready.length > 0 || !running ? `containers with unready status: [${unready.join(" ")}]` : gateProblem);
    return {
      phase: running ? "Running" : "Pending",
      conditions,
      hostIP: "127.0.0.1", hostIPs: [{ ip: "127.0.0.1" }],
      podIP: state.podIP, podIPs: [{ ip: state.podIP }],
      startTime: state.startTime,
      containerStatuses,
      initContainerStatuses,
    };
  };

  /**
   * One crashing container: a running instance exits `runsForMs` after it
   * started (restartCount + 1, reported in lastState), waits out the back-off,
   * then a new instance starts.
   */
  const advanceCrashLoop = (pod: Pod, name: string, run: Run, now: number): void => {
    if (run.backOffUntil === undefined && now >= run.startedMs + runsForMs) {
      run.lastTerminated = { terminated: { exitCode: 1, reason: "Error", startedAt: run.startedAt, finishedAt: stamp(now), containerID: run.containerID } };
      run.restartCount++;
      run.backOffUntil = now + backOffMs;
    } else if (run.backOffUntil !== undefined && now >= run.backOffUntil) {
      Object.assign(run, { containerID: newContainerId(pod, name, run.restartCount), startedAt: stamp(now), startedMs: now, backOffUntil: undefined });
    }
    run.crashDueAt = run.backOffUntil ?? run.startedMs + runsForMs;
  };

  // The informer restarts its watch by itself after any error, with backoff.
  const informer = new Informer<Pod>({
    name: "fake-kubelet-pods",
    source: rawListWatch<Pod>(client, "/api/v1/pods"),
    backoff: { initialMs: 200, maxMs: 5000 },
  });
  const onPod = (pod: Pod): void => {
    const uid = pod.metadata?.uid;
    if (!uid || stopped) return;
    latest.set(uid, pod);
    enqueue(uid);
  };
  informer.addEventHandler({
    add: onPod,
    update: (_old, pod) => {
      if (changesSeenAfterMs === 0) return onPod(pod);
      const uid = pod.metadata?.uid;
      // Not for a pod forgotten meanwhile: it was deleted.
      setTimeout(() => uid && latest.has(uid) && onPod(pod), changesSeenAfterMs).unref();
    },
    delete: (pod) => { const uid = pod.metadata?.uid; if (uid) forget(uid); },
  });
  informer.start();
  await informer.waitForSync();

  return {
    nodeName,
    podCount: () => states.size,
    statusWrites: () => statusWrites,
    stop: async () => {
      stopped = true;
      await informer.stop();
      for (const s of states.values()) clearTimeout(s.timer);
      await Promise.all([...queued.values()].map((q) => q.done));
      client.close();
    },
  };
}

function describe(pod: Pod | undefined): string {
  return pod?.metadata ? `${pod.metadata.namespace}/${pod.metadata.name}` : "(unknown)";
}

function newContainerId(pod: Pod, container: string, restart: number): string {
  return `containerd://${createHash("sha256").update(`${pod.metadata?.uid}/${container}/${restart}`).digest("hex")}`;
}

/** Why the readiness gates keep the pod unready, or undefined when all their conditions are True. */
function readinessGateProblem(pod: Pod): string | undefined {
  for (const gate of pod.spec?.readinessGates ?? []) {
    const cond = (pod.status?.conditions ?? []).find((c) => c.type === gate.conditionType);
    if (!cond) return `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`;
    if (cond.status !== "True") return `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${cond.status}`;
  }
  return undefined;
}

async function registerNode(client: RawKubeClient, name: string): Promise<void> {
  const now = stamp(Date.now());
  const resources = { cpu: "64", memory: "256Gi", pods: "2000", "ephemeral-storage": "1Ti" };
  const condition = (type: string, status: string, reason: string) => ({ type, status, reason, lastHeartbeatTime: now, lastTransitionTime: now });
  const status = {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition("Ready", "True", "KubeletReady"),
      condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
      condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
      condition("PIDPressure", "False", "KubeletHasSufficientPID"),
    ],
    addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: name }],
    nodeInfo: {
      machineID: name, systemUUID: name, bootID: name, kernelVersion: "6.0.0", osImage: "fake", containerRuntimeVersion: "containerd://2.0.0",
      kubeletVersion: "v1.36.3", kubeProxyVersion: "", operatingSystem: "linux", architecture: "amd64",
    },
  };
  const labels = { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
  try {
    await client.create("/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name, labels }, status });
  } catch (err) {
    if (statusCodeOf(err) !== 409) throw err;
  }
  // Status sent with a create may be dropped; the status subresource always takes it.
  await client.patch(`/api/v1/nodes/${name}/status`, { status }, PatchType.strategicMerge);
}
