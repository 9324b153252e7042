// Small builders for injection tests: only the fields a test is about.
import type { Container, ControllerRevision, Pod, Volume } from "../../../../src/api/kube-types.js";
import type { SidecarContainer, SidecarSet, SidecarSetSpec } from "../../../../src/api/types.js";
import { injectPod, type InjectInput, type InjectResult } from "../../../../src/core/inject/inject.js";

export const NOW = new Date("2026-01-02T03:04:05.678Z");
export const NOW_TEXT = "2026-01-02T03:04:05Z";

export function pod(opts: {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  imagePullSecrets?: { name: string }[];
}): Pod {
  const p: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: opts.name ?? "pod-1", labels: opts.labels ?? { app: "web" } },
    spec: { containers: opts.containers ?? [{ name: "app", image: "app:1" }] },
  };
  if (opts.namespace !== undefined) p.metadata!.namespace = opts.namespace;
  if (opts.annotations) p.metadata!.annotations = opts.annotations;
  if (opts.initContainers) p.spec!.initContainers = opts.initContainers;
  if (opts.volumes) p.spec!.volumes = opts.volumes;
  if (opts.imagePullSecrets) p.spec!.imagePullSecrets = opts.imagePullSecrets;
  return p;
}

export function sidecarSet(name: string, spec: Partial<SidecarSetSpec>, extra: Partial<SidecarSet> = {}): SidecarSet {
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    ...extra,
    metadata: {
      name,
      ...(extra.metadata ?? {}),
      annotations: {
        "kruise.io/sidecarset-hash": `hash-${name}`,
        "kruise.io/sidecarset-hash-without-image": `without-${name}`,
        ...(extra.metadata?.annotations ?? {}),
      },
    },
    spec: { selector: { matchLabels: { app: "web" } }, ...spec },
  };
}

export function sidecar(name: string, extra: Partial<SidecarContainer> = {}): SidecarContainer {
  return { name, image: `${name}:1.0`, ...extra };
}

export function input(p: Pod, sets: SidecarSet[], extra: Partial<InjectInput> = {}): InjectInput {
  return {
    pod: p,
    sidecarSets: sets,
    namespaceLabels: () => ({}),
    revisions: [] as ControllerRevision[],
    now: NOW,
    random: () => 0.5,
    ...extra,
  };
}

export function injected(result: InjectResult): Extract<InjectResult, { kind: "injected" }> {
  if (result.kind !== "injected") {
    throw new Error(`expected an injection, got ${result.kind}${result.kind === "denied" ? `: ${result.message}` : ""}`);
  }
  return result;
}

export function inject(p: Pod, sets: SidecarSet[], extra: Partial<InjectInput> = {}) {
  return injectPod(input(p, sets, extra));
}

export function names(list: { name: string }[] | undefined): string[] {
  return (list ?? []).map((c) => c.name);
}

export function envOf(c: Container | undefined): { name: string; value?: string }[] {
  return (c?.env ?? []).map((e) => (e.value === undefined ? { name: e.name } : { name: e.name, value: e.value }));
}

export function containerNamed(p: Pod, name: string): Container | undefined {
  return [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === name);
}
