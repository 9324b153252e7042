// Each replica tells the others which SidecarSets its pod webhook holds, at
// which generation, in a Lease of its own in the manager namespace. The Lease
// holder keeps a SidecarSet's status.observedGeneration back until every
// other replica that renews such a Lease holds the new generation too
// (docs/behaviour.md §6.4): the API server sends a pod to any replica behind
// the webhook Service, so a replica whose SidecarSet watch lags would inject
// the old spec into pods created right after the status said otherwise.
//
// This module is the format both sides read: the Lease's name, its label and
// the annotation holding the view.
import { createHash } from "node:crypto";
import type { HeldSidecarSet } from "./held-sidecarsets.js";

/** Selects the view Leases among the manager namespace's Leases. */
export const WEBHOOK_VIEW_LABEL = "sidecarset.io/webhook-view";
/** `{"<SidecarSet uid>": <generation>, …}` of what the replica's pod webhook holds. */
export const WEBHOOK_VIEW_ANNOTATION = "sidecarset.io/webhook-sidecarsets";

/** Past this the view is not written (annotations are limited to 256 KiB in all): the replica is then not waited for. */
export const MAX_VIEW_TEXT = 200_000;

/**
 * The replica's Lease: named after the pod when there is one, so that a
 * restarted container takes its own Lease over instead of leaving one to expire.
 */
export function webhookViewLeaseName(podNameOrIdentity: string): string {
  const digest = createHash("sha256").update(podNameOrIdentity).digest("hex").slice(0, 16);
  return `sidecarset-webhook-view-${digest}`;
}

/** The annotation's text for what the webhook holds (sorted, so an unchanged view is the same text), or undefined when too large. */
export function encodeWebhookView(held: readonly HeldSidecarSet[]): string | undefined {
  const entries = held.map(([, uid, generation]) => [uid, generation] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const text = JSON.stringify(Object.fromEntries(entries));
  return text.length <= MAX_VIEW_TEXT ? text : undefined;
}

/** uid → generation; undefined when the text is missing or not a view (such a replica is not waited for). */
export function decodeWebhookView(text: string | undefined): Map<string, number> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const view = new Map<string, number>();
  for (const [uid, generation] of Object.entries(parsed)) {
    if (typeof generation !== "number" || !Number.isInteger(generation)) return undefined;
    view.set(uid, generation);
  }
  return view;
}
