// Building the containers of one SidecarSet for one pod (docs/behaviour.md §5.6): each
// (init)container gets its computed resources, shared mounts and devices,
// `IS_INJECTED`, transferred and subPathExpr env vars, and becomes a hot-upgrade
// pair where asked; the volumes it references are collected.
import { fieldError, type FieldError } from "../../api/errors.js";
import { IS_INJECTED_ENV } from "../../api/keys.js";
import type {
  Container,
  EnvVar,
  LocalObjectReference,
  Pod,
  ResourceRequirements,
  Volume,
  VolumeDevice,
} from "../../api/kube-types.js";
import { isHotUpgradeContainer, isNativeSidecar, sidecarListOf } from "../../api/sidecar-containers.js";
import type { SidecarContainer, SidecarSet } from "../../api/types.js";
import type { BuiltSidecars } from "./built-sidecars.js";
import { cloneJson } from "./clone.js";
import { hotUpgradePair } from "./hot-upgrade.js";
import { computeSidecarResources } from "./resources-policy.js";
import {
  appVolumeDevices,
  appVolumeMounts,
  mergeVolumeDevices,
  mergeVolumeMounts,
  type AppVolumeMounts,
} from "./shared-volumes.js";
import { transferEnvs } from "./transfer-env.js";

/** What every SidecarSet built for one pod shares. */
export interface BuildContext {
  /** The pod as submitted: sources of shared mounts, env vars and resource targets. */
  pod: Pod;
  /** Container and initContainer names of every SidecarSet being injected (never resource targets). */
  sidecarNames: () => ReadonlySet<string>;
  appMounts: () => AppVolumeMounts;
  appDevices: () => VolumeDevice[];
  /** Sidecars built for earlier pods, when the caller keeps them. */
  built?: BuiltSidecars;
  /**
   * The key of a built sidecar's inputs: what it takes from the pod (see builtSidecarInputs). The SidecarSets
   * injecting one pod mostly take the same from it, the same env var objects and the same mounts: they get
   * the same string object, made once, which the kept builds' maps then hash once for all of them (the
   * mounts make it hundreds of characters).
   */
  inputsKey: (resources: ResourceRequirements | undefined, transferred: readonly EnvVar[], sharesMounts: boolean, sharesDevices: boolean) => string;
}

/** A key made for one pod, and the inputs it was made from (no computed resources). */
interface InputsKey {
  transferred: readonly EnvVar[];
  sharesMounts: boolean;
  sharesDevices: boolean;
  key: string;
}

/** Keys kept per pod: its SidecarSets rarely take more kinds of inputs from it. */
const KEPT_INPUTS_KEYS = 4;

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

export function buildContext(pod: Pod, applied: readonly SidecarSet[], built?: BuiltSidecars): BuildContext {
  // Only a resourcesPolicy reads the names: most pods never need the set.
  let names: Set<string> | undefined;
  const sidecarNames = () => {
    if (names) return names;
    names = new Set<string>();
    for (const set of applied) {
      for (const c of set.spec.initContainers ?? []) names.add(c.name);
      for (const c of set.spec.containers ?? []) names.add(c.name);
    }
    return names;
  };
  let mounts: AppVolumeMounts | undefined;
  let devices: VolumeDevice[] | undefined;
  let mountsJson: string | undefined;
  let devicesJson: string | undefined;
  const keys: InputsKey[] = [];
  const ctx: BuildContext = {
    pod,
    sidecarNames,
    appMounts: () => (mounts ??= appVolumeMounts(pod)),
    appDevices: () => (devices ??= appVolumeDevices(pod)),
    inputsKey: (resources, transferred, sharesMounts, sharesDevices) => {
      // Computed resources are new objects for every sidecar: their text is compared instead.
      if (resources === undefined) {
        const same = keys.find((k) => k.sharesMounts === sharesMounts && k.sharesDevices === sharesDevices && sameItems(k.transferred, transferred));
        if (same) return same.key;
      }
      // JSON texts hold no raw line break: the parts stay apart.
      const mountsText = sharesMounts ? (mountsJson ??= JSON.stringify(ctx.appMounts())) : "";
      const devicesText = sharesDevices ? (devicesJson ??= JSON.stringify(ctx.appDevices())) : "";
      const env = transferred.length > 0 ? JSON.stringify(transferred) : "";
      const key = `${resources ? JSON.stringify(resources) : ""}\n${env}\n${sharesMounts ? "m" : ""}${mountsText}\n${sharesDevices ? "d" : ""}${devicesText}`;
      if (resources === undefined && keys.length < KEPT_INPUTS_KEYS) keys.push({ transferred, sharesMounts, sharesDevices, key });
      return key;
    },
  };
  if (built) ctx.built = built;
  return ctx;
}

/** A container to place in the pod, with the side it goes to when its name is new. */
export interface EmittedContainer {
  container: Container;
  injectPolicy: string | undefined;
}

export interface SidecarSetBuild {
  initContainers: EmittedContainer[];
  containers: EmittedContainer[];
  volumes: Volume[];
  imagePullSecrets: LocalObjectReference[];
  /** Logical names of the sidecars injected as hot-upgrade pairs. */
  hotUpgraded: string[];
  /** Sorted container names plus native-sidecar initContainer names (the records' `sidecarList`). */
  sidecarList: string[];
}

export type SidecarSetBuildOutcome = { ok: true; build: SidecarSetBuild } | { ok: false; error: FieldError };

export function buildSidecarSet(set: SidecarSet, ctx: BuildContext): SidecarSetBuildOutcome {
  if (!ctx.built) return assembleSidecarSet(set, ctx);
  // What every container of the set takes from the pod: the same inputs build the same lists.
  const inputs: string[] = [];
  for (const field of ["initContainers", "containers"] as const) {
    const source = set.spec[field] ?? [];
    for (let i = 0; i < source.length; i++) {
      const taken = takenFromPod(source[i]!, `spec.${field}[${i}]`, ctx);
      if (!taken.ok) return taken;
      inputs.push(builtSidecarInputs(source[i]!, ctx, taken.resources, taken.transferred));
    }
  }
  const key = inputs.length === 1 ? inputs[0]! : inputs.join("\u0000");
  const known = ctx.built.getSet(set, key);
  if (known) return { ok: true, build: known };
  const assembled = assembleSidecarSet(set, ctx);
  return assembled.ok ? { ok: true, build: ctx.built.rememberSet(set, key, assembled.build) } : assembled;
}

function assembleSidecarSet(set: SidecarSet, ctx: BuildContext): SidecarSetBuildOutcome {
  const volumesByName = new Map<string, Volume>();
  for (const v of set.spec.volumes ?? []) if (!volumesByName.has(v.name)) volumesByName.set(v.name, v);
  const build: SidecarSetBuild = {
    initContainers: [],
    containers: [],
    volumes: [],
    imagePullSecrets: [],
    hotUpgraded: [],
    sidecarList: sidecarListOf(set),
  };
  const lists = [
    { field: "initContainers", source: set.spec.initContainers ?? [], target: build.initContainers },
    { field: "containers", source: set.spec.containers ?? [], target: build.containers },
  ] as const;
  for (const { field, source, target } of lists) {
    for (let i = 0; i < source.length; i++) {
      const sidecar = source[i]!;
      const path = `spec.${field}[${i}]`;
      const built = buildSidecarContainer(sidecar, path, ctx);
      if (!built.ok) return built;
      for (const mount of sidecar.volumeMounts ?? []) pushVolume(build.volumes, volumesByName, mount.name);
      for (const device of sidecar.volumeDevices ?? []) pushVolume(build.volumes, volumesByName, device.name);
      const pairable = field === "containers" || isNativeSidecar(sidecar);
      if (pairable && isHotUpgradeContainer(sidecar)) {
        for (const c of hotUpgradePair(built.container, sidecar.upgradeStrategy?.hotUpgradeEmptyImage)) {
          target.push({ container: c, injectPolicy: sidecar.podInjectPolicy });
        }
        build.hotUpgraded.push(sidecar.name);
      } else {
        target.push({ container: built.container, injectPolicy: sidecar.podInjectPolicy });
      }
    }
    if (field === "initContainers") build.imagePullSecrets.push(...(set.spec.imagePullSecrets ?? []));
  }
  return { ok: true, build };
}

function pushVolume(out: Volume[], byName: ReadonlyMap<string, Volume>, name: string): void {
  const volume = byName.get(name);
  if (volume) out.push(volume);
}

export type ContainerBuildOutcome = { ok: true; container: Container } | { ok: false; error: FieldError };

/** The fields of a SidecarSet's container that say how to inject it: the pod's container has none of them. */
const INJECTION_FIELDS: ReadonlySet<string> = new Set<keyof SidecarContainer>([
  "podInjectPolicy",
  "upgradeStrategy",
  "shareVolumePolicy",
  "shareVolumeDevicePolicy",
  "transferEnv",
  "resourcesPolicy",
]);

/**
 * A deep copy of `sidecar` without its injection fields, keys in their order.
 * One pass: a rest destructuring is a runtime call in V8 and its result would
 * be copied once more.
 */
function podContainerOf(sidecar: SidecarContainer): Container {
  const out: Record<string, unknown> = {};
  for (const key in sidecar) {
    if (!Object.prototype.hasOwnProperty.call(sidecar, key) || INJECTION_FIELDS.has(key)) continue;
    out[key] = cloneJson((sidecar as unknown as Record<string, unknown>)[key]);
  }
  return out as unknown as Container;
}

type TakenFromPod = { ok: true; resources: ResourceRequirements | undefined; transferred: EnvVar[] } | { ok: false; error: FieldError };

/** The resources a resourcesPolicy computes from the pod, and the env vars the sidecar transfers from it. */
function takenFromPod(sidecar: SidecarContainer, path: string, ctx: BuildContext): TakenFromPod {
  let resources: ResourceRequirements | undefined;
  if (sidecar.resourcesPolicy) {
    const computed = computeSidecarResources(sidecar.resourcesPolicy, ctx.pod, ctx.sidecarNames());
    if (!computed.ok) {
      return { ok: false, error: fieldError(computed.podPath ? computed.path : `${path}.${computed.path}`, computed.message) };
    }
    resources = computed.resources;
  }
  return { ok: true, resources, transferred: transferEnvs(sidecar, ctx.pod) };
}

/** One sidecar (init)container as it goes into the pod, before any hot-upgrade split. */
export function buildSidecarContainer(sidecar: SidecarContainer, path: string, ctx: BuildContext): ContainerBuildOutcome {
  const taken = takenFromPod(sidecar, path, ctx);
  if (!taken.ok) return taken;
  const { resources, transferred } = taken;
  if (!ctx.built) return { ok: true, container: assembleSidecar(sidecar, ctx, resources, transferred) };
  const inputs = builtSidecarInputs(sidecar, ctx, resources, transferred);
  const known = ctx.built.get(sidecar, inputs);
  if (known) return { ok: true, container: known };
  return { ok: true, container: ctx.built.remember(sidecar, inputs, assembleSidecar(sidecar, ctx, resources, transferred)) };
}

/** Everything the built container takes from the pod, as text: equal texts build equal containers. */
function builtSidecarInputs(
  sidecar: SidecarContainer,
  ctx: BuildContext,
  resources: ResourceRequirements | undefined,
  transferred: readonly EnvVar[],
): string {
  return ctx.inputsKey(resources, transferred, sidecar.shareVolumePolicy?.type === "enabled", sidecar.shareVolumeDevicePolicy?.type === "enabled");
}

function assembleSidecar(
  sidecar: SidecarContainer,
  ctx: BuildContext,
  resources: ResourceRequirements | undefined,
  transferred: readonly EnvVar[],
): Container {
  const { shareVolumePolicy, shareVolumeDevicePolicy } = sidecar;
  const container = podContainerOf(sidecar);
  if (resources) container.resources = resources;

  const shareMounts = shareVolumePolicy?.type === "enabled";
  const shared = shareMounts ? ctx.appMounts() : { mounts: [], envs: [] };
  const ownDevices = container.volumeDevices ?? [];
  const mounts = mergeVolumeMounts(container.volumeMounts ?? [], ownDevices, shared.mounts);
  // Shared mounts and copied env vars are the pod's own objects: copy them so
  // the mutated pod holds no object twice.
  setList(container, "volumeMounts", shared.mounts.length > 0 ? cloneJson(mounts) : mounts);

  const env: EnvVar[] = [...(container.env ?? []), { name: IS_INJECTED_ENV, value: "true" }];
  const present = new Set(env.map((e) => e.name));
  for (const extra of [transferred, shared.envs]) {
    for (const e of extra) {
      if (present.has(e.name)) continue;
      present.add(e.name);
      env.push(cloneJson(e));
    }
  }
  container.env = env;

  if (shareVolumeDevicePolicy?.type === "enabled") {
    setList(container, "volumeDevices", cloneJson(mergeVolumeDevices(ownDevices, mounts, ctx.appDevices())));
  }
  return container;
}

/** Empty lists are left out, as the API server would print them. */
function setList<K extends "volumeMounts" | "volumeDevices">(c: Container, key: K, list: NonNullable<Container[K]>): void {
  if (list.length > 0) c[key] = list;
  else delete c[key];
}
