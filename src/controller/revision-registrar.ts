// The revision step of a reconcile: make sure a ControllerRevision holds S's
// current spec, reusing, raising or creating one, then trim the history.
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import {
  buildRevision,
  chooseRevision,
  customVersionPatch,
  historyAfter,
  resolveNameCollision,
  revisionCreateBody,
  revisionsOf,
  revisionsToDelete,
  sortRevisions,
} from "../core/rollout/revisions.js";
import { EncodedJson, PatchType, type RawKubeClient } from "../kube/raw-client.js";
import { resourcePath } from "../kube/resource-path.js";
import { describeError, isAlreadyExists, isInvalid, isNotFound } from "../kube/errors.js";
import type { Logger } from "../observability/logger.js";

const MAX_COLLISION_RETRIES = 5;

export interface RegisteredRevision {
  latestRevision: string;
  collisionCount: number;
}

function revisionPath(namespace: string, name?: string): string {
  return resourcePath({ group: "apps", version: "v1", resource: "controllerrevisions", namespace, ...(name ? { name } : {}) });
}

/**
 * The revision step with a memory: when S's object and its revisions are the
 * very ones of a registration that wrote nothing, the answer is that
 * registration's again. Most reconciles are of that kind (a pod changed, the
 * spec did not), and they then skip encoding the spec and comparing it with
 * every revision.
 */
export class RevisionRegistrar {
  private readonly settled = new Map<string, { set: SidecarSet; revisions: string; registered: RegisteredRevision }>();

  constructor(
    private readonly client: RawKubeClient,
    private readonly namespace: string,
  ) {}

  async register(set: SidecarSet, cached: readonly ControllerRevision[], matched: () => readonly Pod[], logger: Logger): Promise<RegisteredRevision> {
    const name = set.metadata.name ?? "";
    const history = sortRevisions(revisionsOf(set, cached));
    const revisions = historyKey(history);
    const last = this.settled.get(name);
    if (last && last.set === set && last.revisions === revisions) return last.registered;
    const outcome = await register(this.client, set, history, matched, { namespace: this.namespace, logger });
    if (outcome.settled) this.settled.set(name, { set, revisions, registered: outcome.registered });
    else this.settled.delete(name);
    return outcome.registered;
  }

  forget(name: string): void {
    this.settled.delete(name);
  }
}

/** Identifies a history as the cache holds it: any write to a revision changes its resourceVersion. */
function historyKey(history: readonly ControllerRevision[]): string {
  return history.map((r) => `${r.metadata?.name ?? ""}@${r.metadata?.resourceVersion ?? ""}#${r.revision ?? ""}`).join(",");
}

async function register(
  client: RawKubeClient,
  set: SidecarSet,
  history: ControllerRevision[],
  matched: () => readonly Pod[],
  opts: { namespace: string; logger: Logger },
): Promise<{ registered: RegisteredRevision; settled: boolean }> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const choice = chooseRevision(set, history, { namespace: opts.namespace, collisionCount });
  let chosen: ControllerRevision;
  let copied = false;

  if (choice.action === "reuse") {
    chosen = choice.revision;
  } else if (choice.action === "raise") {
    try {
      chosen = await client.patch<ControllerRevision>(
        revisionPath(opts.namespace, choice.revision.metadata?.name),
        { revision: choice.to },
        PatchType.merge,
      );
      opts.logger.info({ revision: chosen.metadata?.name, to: choice.to }, "spec matches an earlier revision; raised it to latest");
    } catch (e) {
      if (!isInvalid(e)) throw e;
      // The API server refuses any write to a revision whose stored data bytes
      // do not survive its own re-encoding (revisions written by older
      // releases). The revision is left alone and its content registered
      // again under the next collision count.
      collisionCount++;
      opts.logger.warn(
        { revision: choice.revision.metadata?.name, collisionCount, err: describeError(e) },
        "an earlier revision holds this spec but cannot be raised; registering a copy under a new name",
      );
      const copy = buildRevision(set, { namespace: opts.namespace, revision: choice.to, collisionCount });
      ({ chosen, collisionCount } = await createRevision(client, set, copy, collisionCount, opts));
      copied = true;
    }
  } else {
    ({ chosen, collisionCount } = await createRevision(client, set, choice.revision, collisionCount, opts));
  }

  const labelPatch = customVersionPatch(set, chosen);
  if (labelPatch) {
    try {
      chosen = await client.patch<ControllerRevision>(revisionPath(opts.namespace, chosen.metadata?.name), labelPatch, PatchType.merge);
    } catch (e) {
      // Same refusal as above; the label only helps pinning by custom version.
      if (!isInvalid(e)) throw e;
      opts.logger.warn({ revision: chosen.metadata?.name, err: describeError(e) }, "could not label the revision with the custom version");
    }
  }

  const truncation = revisionsToDelete(set, copied ? [...history, chosen] : historyAfter(history, choice, chosen), matched);
  for (const r of truncation.delete) {
    try {
      await client.delete(revisionPath(opts.namespace, r.metadata?.name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  if (truncation.overLimit > 0) {
    opts.logger.info(
      { limit: truncation.limit, overLimit: truncation.overLimit },
      "revision history is over revisionHistoryLimit; the extra revisions are still referenced by pods or the injection strategy",
    );
  }
  const registered = { latestRevision: chosen.metadata?.name ?? "", collisionCount };
  // Nothing was written and nothing waits for pods to move off a revision: the same inputs give the same answer.
  const settled = choice.action === "reuse" && !labelPatch && truncation.delete.length === 0 && truncation.overLimit === 0;
  return { registered, settled };
}

/** Creates `candidate`, moving to the next name while another revision holds the name. */
async function createRevision(
  client: RawKubeClient,
  set: SidecarSet,
  candidate: ControllerRevision,
  collisionCount: number,
  opts: { namespace: string; logger: Logger },
): Promise<{ chosen: ControllerRevision; collisionCount: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const chosen = await client.create<ControllerRevision>(revisionPath(opts.namespace), new EncodedJson(revisionCreateBody(candidate)));
      opts.logger.info({ revision: chosen.metadata?.name }, "created ControllerRevision");
      return { chosen, collisionCount };
    } catch (e) {
      if (!isAlreadyExists(e) || attempt >= MAX_COLLISION_RETRIES) throw e;
      const existing = await client.get<ControllerRevision>(revisionPath(opts.namespace, candidate.metadata?.name));
      const resolution = resolveNameCollision(set, candidate, existing, { namespace: opts.namespace, collisionCount });
      if (resolution.action === "use-existing") return { chosen: resolution.revision, collisionCount };
      collisionCount = resolution.collisionCount;
      candidate = resolution.revision;
      opts.logger.warn({ revision: existing.metadata?.name, collisionCount }, "revision name collision; retrying with the next name");
    }
  }
}
