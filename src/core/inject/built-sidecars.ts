// Sidecar containers already built, for pods whose inputs repeat. A sidecar as
// it goes into a pod is a function of the SidecarSet's container and of what it
// takes from the pod: its computed resources, the app containers' mounts (and
// the env vars their subPathExpr name) when it shares volumes, the env vars it
// transfers, the app containers' devices when it shares devices. Keyed by the
// container object (the webhook cache replaces a changed SidecarSet, never
// edits it) and those inputs' JSON text, the built container is kept frozen
// with its JSON text (api/known-json.ts), so the next pod with the same inputs
// gets it without building or encoding it. Only the webhook passes a cache to
// injectPod: a library caller may edit its SidecarSets between calls.
import type { Container } from "../../api/kube-types.js";
import { withKnownJson } from "../../api/known-json.js";
import type { SidecarContainer, SidecarSet } from "../../api/types.js";
import { RecentInjectionAnnotations } from "./annotations.js";
import type { SidecarSetBuild } from "./build-sidecar.js";

/**
 * Kept per SidecarSet container, and per SidecarSet: pods rarely bring more distinct inputs for one sidecar,
 * and a miss costs no more than building without the cache; each entry is a container and its text (1–2 KB)
 * in the webhook thread's heap.
 */
const ENTRIES_PER_SIDECAR = 8;

export class BuiltSidecars {
  /** The hash records and injected list written for these sidecars into the last pod that brought none. */
  readonly annotations = new RecentInjectionAnnotations();
  private readonly bySidecar = new WeakMap<SidecarContainer, Map<string, Container>>();
  private readonly bySet = new WeakMap<SidecarSet, Map<string, SidecarSetBuild>>();

  get(sidecar: SidecarContainer, inputs: string): Container | undefined {
    return this.bySidecar.get(sidecar)?.get(inputs);
  }

  /** Keeps `built` (frozen from now on) for `sidecar` and `inputs`; returns it. */
  remember(sidecar: SidecarContainer, inputs: string, built: Container): Container {
    keep(this.bySidecar, sidecar, inputs, withKnownJson(built));
    return built;
  }

  /** The lists built for `set` from a pod with these inputs (those of all its containers). */
  getSet(set: SidecarSet, inputs: string): SidecarSetBuild | undefined {
    return this.bySet.get(set)?.get(inputs);
  }

  /**
   * Keeps `build` for `set` and `inputs`; returns it. Its lists are frozen, and so are the containers in them
   * (a hot-upgrade pair is made from the kept container, and kept with its text too); the SidecarSet's own
   * volumes and secrets in them are the informer's objects, left as they are.
   */
  rememberSet(set: SidecarSet, inputs: string, build: SidecarSetBuild): SidecarSetBuild {
    for (const list of [build.initContainers, build.containers]) {
      for (const emitted of list) {
        if (!Object.isFrozen(emitted.container)) withKnownJson(emitted.container);
        Object.freeze(emitted);
      }
    }
    for (const list of Object.values(build)) Object.freeze(list);
    keep(this.bySet, set, inputs, Object.freeze(build));
    return build;
  }
}

function keep<K extends object, V>(byOwner: WeakMap<K, Map<string, V>>, owner: K, inputs: string, value: V): void {
  let entries = byOwner.get(owner);
  if (!entries) byOwner.set(owner, (entries = new Map()));
  // The oldest entry goes first: pods whose inputs all differ cycle through a few entries, not all of them.
  if (entries.size >= ENTRIES_PER_SIDECAR) entries.delete(entries.keys().next().value!);
  entries.set(inputs, value);
}
