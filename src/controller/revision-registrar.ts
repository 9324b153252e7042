// Step 3 of a reconcile (SPEC §6.12): make sure a ControllerRevision holds S's
// current spec, reusing, raising or creating one, then trim the history.
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import {
  chooseRevision,
  customVersionPatch,
  historyAfter,
  resolveNameCollision,
  revisionsOf,
  revisionsToDelete,
  sortRevisions,
} from "../core/rollout/revisions.js";
import { PatchType, resourcePath, type RawKubeClient } from "../kube/client.js";
import { isAlreadyExists, isNotFound } from "../kube/errors.js";
import type { Logger } from "../observability/logger.js";

const MAX_COLLISION_RETRIES = 5;

export interface RegisteredRevision {
  latestRevision: string;
  collisionCount: number;
}

function revisionPath(namespace: string, name?: string): string {
  return resourcePath({ group: "apps", version: "v1", resource: "controllerrevisions", namespace, ...(name ? { name } : {}) });
}

export async function registerRevision(
  client: RawKubeClient,
  set: SidecarSet,
  cached: readonly ControllerRevision[],
  matched: readonly Pod[],
  opts: { namespace: string; logger: Logger },
): Promise<RegisteredRevision> {
  const history = sortRevisions(revisionsOf(set, cached));
  let collisionCount = set.status?.collisionCount ?? 0;
  const choice = chooseRevision(set, history, { namespace: opts.namespace, collisionCount });
  let chosen: ControllerRevision;

  if (choice.action === "reuse") {
    chosen = choice.revision;
  } else if (choice.action === "raise") {
    chosen = await client.patch<ControllerRevision>(
      revisionPath(opts.namespace, choice.revision.metadata?.name),
      { revision: choice.to },
      PatchType.merge,
    );
    opts.logger.info({ revision: chosen.metadata?.name, to: choice.to }, "spec matches an earlier revision; raised it to latest");
  } else {
    let candidate = choice.revision;
    for (let attempt = 0; ; attempt++) {
      try {
        chosen = await client.create<ControllerRevision>(revisionPath(opts.namespace), candidate);
        opts.logger.info({ revision: chosen.metadata?.name }, "created ControllerRevision");
        break;
      } catch (e) {
        if (!isAlreadyExists(e) || attempt >= MAX_COLLISION_RETRIES) throw e;
        const existing = await client.get<ControllerRevision>(revisionPath(opts.namespace, candidate.metadata?.name));
        const resolution = resolveNameCollision(set, candidate, existing, { namespace: opts.namespace, collisionCount });
        if (resolution.action === "use-existing") {
          chosen = resolution.revision;
          break;
        }
        collisionCount = resolution.collisionCount;
        candidate = resolution.revision;
        opts.logger.warn({ revision: existing.metadata?.name, collisionCount }, "revision name collision; retrying with the next name");
      }
    }
  }

  const labelPatch = customVersionPatch(set, chosen);
  if (labelPatch) {
    chosen = await client.patch<ControllerRevision>(revisionPath(opts.namespace, chosen.metadata?.name), labelPatch, PatchType.merge);
  }

  const truncation = revisionsToDelete(set, historyAfter(history, choice, chosen), matched);
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
  return { latestRevision: chosen.metadata?.name ?? "", collisionCount };
}
