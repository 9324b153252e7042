// Has an in-place update finished? (docs/behaviour.md §6.5) The kubelet restarts a container
// after its image changed; until then the pod's spec and status disagree. Digest
// images are compared with the reported imageID; tag images fall back to the
// imageIDs recorded just before the update in `kruise.io/sidecarset-inplace-update-state`.
import { parseImageReferenceAsWritten } from "../../api/image-reference.js";
import { isRecord } from "../../api/is-record.js";
import type { ContainerStatus, Pod } from "../../api/kube-types.js";
import { SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION } from "../../api/keys.js";
import { readWorkingHotUpgradeContainers } from "../../api/pod-records.js";
import { isHotUpgradeContainer } from "../../api/sidecar-containers.js";
import type { SidecarSet } from "../../api/types.js";
import { hotUpgradeContainers, nativeSidecarNames, sidecarPodContainerNames } from "./matching.js";

// Pods repeat the same few images; parsing each once per process keeps the
// planner linear in pods rather than in image-string work. Bounded so a
// stream of distinct images cannot grow it without limit.
const DIGEST_MEMO_LIMIT = 4096;
const digestMemo = new Map<string, boolean>();

/** Whether an image names its content by digest (`repo@sha256:…`). */
export function isDigestImage(image: string): boolean {
  // Only a reference with "@" can carry a digest.
  if (!image.includes("@")) return false;
  let digest = digestMemo.get(image);
  if (digest === undefined) {
    digest = (parseImageReferenceAsWritten(image)?.digest ?? "") !== "";
    if (digestMemo.size >= DIGEST_MEMO_LIMIT) digestMemo.clear();
    digestMemo.set(image, digest);
  }
  return digest;
}

/** A containerStatus imageID without its runtime scheme (`docker-pullable://`). */
export function stripImageIdScheme(imageID: string): string {
  const i = imageID.indexOf("://");
  return i >= 0 ? imageID.slice(i + 3) : imageID;
}

/** A digest image runs when the reported imageID has the same repository and digest. */
export function digestImageMatches(image: string, imageID: string): boolean {
  const spec = parseImageReferenceAsWritten(image);
  const running = parseImageReferenceAsWritten(stripImageIdScheme(imageID));
  if (!spec || !running || spec.digest === "" || running.digest === "") return false;
  return spec.repository === running.repository && spec.digest === running.digest;
}

export type RecordedImageIDs = { kind: "absent" } | { kind: "invalid" } | { kind: "recorded"; imageIDs: Map<string, string> };

// Shared answers without data: most pods have no in-place state, and the
// planner asks for every pod, so these cost no allocation.
const ABSENT: RecordedImageIDs = Object.freeze({ kind: "absent" });
const INVALID: RecordedImageIDs = Object.freeze({ kind: "invalid" });


/**
 * Reads S's pre-update imageIDs. The value must decode into OpenKruise's
 * `map[string]*InPlaceUpdateState`; a value that would not (wrong JSON types
 * included) is "invalid", which makes the pod inconsistent, as it does there.
 */
export function readRecordedImageIDs(pod: Pod, setName: string): RecordedImageIDs {
  const value = pod.metadata?.annotations?.[SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION];
  if (value === undefined) return ABSENT;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return INVALID;
  }
  const imageIDs = new Map<string, string>();
  if (parsed === null) return { kind: "recorded", imageIDs };
  if (!isRecord(parsed)) return INVALID;
  // for…in over JSON.parse output (plain objects, own keys only): no entry arrays per pod.
  for (const name in parsed) {
    const entry = parsed[name];
    if (entry === null) continue;
    if (!isRecord(entry)) return INVALID;
    if (entry.revision !== undefined && entry.revision !== null && typeof entry.revision !== "string") return INVALID;
    const statuses = entry.lastContainerStatuses;
    if (statuses === undefined || statuses === null) continue;
    if (!isRecord(statuses)) return INVALID;
    for (const container in statuses) {
      const status = statuses[container];
      if (status === null) {
        if (name === setName) imageIDs.set(container, "");
        continue;
      }
      if (!isRecord(status)) return INVALID;
      const id = status.imageID;
      if (id !== undefined && id !== null && typeof id !== "string") return INVALID;
      if (name === setName) imageIDs.set(container, typeof id === "string" ? id : "");
    }
  }
  return { kind: "recorded", imageIDs };
}

/** The sidecar pod-container names of S as a list and a set, computed once per SidecarSet. */
export interface SidecarNames {
  list: readonly string[];
  set: ReadonlySet<string>;
  /** Those of them that are native-sidecar initContainers (reported in initContainerStatuses). */
  native: ReadonlySet<string>;
}

export function sidecarNamesOf(set: SidecarSet): SidecarNames {
  let names = keptNames.get(set);
  if (!names) {
    const list = sidecarPodContainerNames(set);
    names = { list, set: new Set(list), native: new Set(nativeSidecarNames(set)) };
    keptNames.set(set, names);
  }
  return names;
}

/** Made once per SidecarSet object (a cache's, never edited), as its pod selector is (podSelectorOf): every plan asks. */
const keptNames = new WeakMap<SidecarSet, SidecarNames>();

type SpecAndStatuses = readonly [specs: readonly { name: string; image?: string }[], statuses: readonly ContainerStatus[]];

/**
 * Consistency checks of one pod against one SidecarSet. The annotation is read
 * once however many container sets are checked (status, busy check, hot upgrade).
 */
export class PodConsistency {
  private recorded: RecordedImageIDs | undefined;
  readonly allNames: readonly string[];
  private readonly all: ReadonlySet<string>;
  private readonly native: ReadonlySet<string>;

  private current: Pod;

  constructor(
    pod: Pod,
    readonly set: SidecarSet,
    names: SidecarNames = sidecarNamesOf(set),
  ) {
    this.current = pod;
    this.allNames = names.list;
    this.all = names.set;
    this.native = names.native;
  }

  get pod(): Pod {
    return this.current;
  }

  /**
   * The same checks for another pod of the same SidecarSet: a planner going
   * through 100k pods then allocates one of these, not 100k.
   */
  moveTo(pod: Pod): this {
    this.current = pod;
    this.recorded = undefined;
    this.plain = undefined;
    return this;
  }

  /** Consistent for the given pod container names (all sidecar pod-containers of S when empty/omitted). */
  check(names?: Iterable<string>): boolean {
    if (!names) return this.isPlain() ? this.sameCount() : this.evaluate(this.all, null);
    const wanted = new Set(names);
    return wanted.size === 0 ? this.check() : this.evaluate(wanted, null);
  }

  /** Consistent for one pod container. */
  checkOne(name: string): boolean {
    if (this.all.has(name) && this.isPlain()) return this.sameCount();
    return this.evaluate(null, name);
  }

  private plain: boolean | undefined;

  /**
   * No in-place state is recorded and no sidecar pod-container of S names its
   * image by digest: then every check of S's containers comes down to spec and
   * status listing as many containers (the usual pod, checked several times a plan).
   */
  private isPlain(): boolean {
    if (this.plain === undefined) {
      const spec = this.pod.spec;
      // Asked for every pod of every plan: no allocation here.
      this.plain =
        this.pod.metadata?.annotations?.[SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION] === undefined &&
        !this.namesDigestImage(spec?.containers) &&
        (this.native.size === 0 || !this.namesDigestImage(spec?.initContainers));
    }
    return this.plain;
  }

  /** Some container of the list that is one of S's names its image by digest. */
  private namesDigestImage(containers: readonly { name: string; image?: string }[] | undefined): boolean {
    for (const c of containers ?? []) if (this.all.has(c.name) && (c.image ?? "").includes("@")) return true;
    return false;
  }

  /**
   * The containers and their statuses; when S has native sidecars, also the
   * initContainers and theirs. (Plain initContainers are never S's to check.)
   */
  private lists(): SpecAndStatuses[] {
    const spec = this.pod.spec;
    const status = this.pod.status;
    const containers: SpecAndStatuses = [spec?.containers ?? [], status?.containerStatuses ?? []];
    if (this.native.size === 0) return [containers];
    return [containers, [spec?.initContainers ?? [], status?.initContainerStatuses ?? []]];
  }

  /** The kubelet reports a status for every container of each list. */
  private sameCount(): boolean {
    const spec = this.pod.spec;
    const status = this.pod.status;
    if ((spec?.containers ?? []).length !== (status?.containerStatuses ?? []).length) return false;
    return this.native.size === 0 || (spec?.initContainers ?? []).length === (status?.initContainerStatuses ?? []).length;
  }

  private evaluate(wantedSet: ReadonlySet<string> | null, one: string | null): boolean {
    if (!this.sameCount()) return false;
    const wanted = (name: string): boolean => (one !== null ? name === one : wantedSet!.has(name));
    const lists = this.lists();
    let allDigests = true;
    digests: for (const [specs, statuses] of lists) {
      for (const c of specs) {
        if (!wanted(c.name)) continue;
        if (!isDigestImage(c.image ?? "")) {
          allDigests = false;
          break digests;
        }
        const status = statusOf(statuses, c.name);
        if (!status || !digestImageMatches(c.image ?? "", status.imageID ?? "")) return false;
      }
    }
    if (allDigests) return true;
    this.recorded ??= readRecordedImageIDs(this.pod, this.set.metadata.name ?? "");
    if (this.recorded.kind === "absent") return true;
    if (this.recorded.kind === "invalid") return false;
    for (const [specs, statuses] of lists) {
      for (const status of statuses) {
        if (!wanted(status.name)) continue;
        const before = this.recorded.imageIDs.get(status.name);
        // The kubelet has not restarted the container while it still reports the
        // pre-update imageID for an image string the spec no longer names.
        if (before !== undefined && before === (status.imageID ?? "") && specImageOf(specs, status.name) !== status.image) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether the named container reports `ready` (in initContainerStatuses for a native sidecar). */
  containerReady(name: string): boolean {
    const status = this.pod.status;
    const statuses = this.native.has(name) ? status?.initContainerStatuses : status?.containerStatuses;
    return statusOf(statuses ?? [], name)?.ready === true;
  }
}

function statusOf(statuses: readonly ContainerStatus[], name: string): ContainerStatus | undefined {
  for (const s of statuses) if (s.name === name) return s;
  return undefined;
}

function specImageOf(containers: readonly { name: string; image?: string }[], name: string): string | undefined {
  for (const c of containers) if (c.name === name) return c.image ?? "";
  return undefined;
}

export function isConsistent(pod: Pod, set: SidecarSet, names?: Iterable<string>): boolean {
  return new PodConsistency(pod, set).check(names);
}

/** The pod's `Ready` condition is `True`. */
export function isPodReadyCondition(pod: Pod): boolean {
  for (const c of pod.status?.conditions ?? []) if (c.type === "Ready") return c.status === "True";
  return false;
}

/** Phase Running, `Ready=True`, not terminating. */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === "Running" && isPodReadyCondition(pod) && !pod.metadata?.deletionTimestamp;
}

/**
 * Ready in the SidecarSet sense: running and ready, and every hot-upgrade
 * pair's idle container parked on the empty image (a pair mid-upgrade is not
 * ready yet, whatever the kubelet says).
 */
export function isReadyForSidecarSet(pod: Pod, set: SidecarSet): boolean {
  let working: Record<string, string> | undefined;
  for (const sidecar of set.spec.containers ?? []) {
    if (!isHotUpgradeContainer(sidecar)) continue;
    const empty = sidecar.upgradeStrategy?.hotUpgradeEmptyImage ?? "";
    if (empty === "") continue;
    working ??= readWorkingHotUpgradeContainers(pod);
    const { idle } = hotUpgradeContainers(pod, sidecar.name, working);
    const container = (pod.spec?.containers ?? []).find((c) => c.name === idle);
    if (container && container.image !== empty) return false;
  }
  return isRunningAndReady(pod);
}
