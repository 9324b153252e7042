// What `sidecarset explain` says about one pod: for every SidecarSet, the
// injection verdict and, for a pod that carries it, the rollout verdict. Each
// verdict is read off the core decision the webhook (matchSidecarSets) or the
// controller (planUpgrade) makes, with the reason that decision returned;
// nothing here decides again (docs/behaviour.md §7a.3).
import { podHashRecords } from "../api/pod-records.js";
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { effectiveNamespace } from "../core/inject/inject.js";
import { isActivePod } from "../core/pods.js";
import { matchSidecarSets, type MatchResult, type SkippedSidecarSet, type UnmetRequirement } from "../core/inject/match.js";
import { restoreFromRevision } from "../core/inject/revision.js";
import { isNotUpgradable } from "../core/rollout/candidates.js";
import { changesBesidesImages } from "../core/rollout/changes-besides-images.js";
import { progressHalt } from "../core/rollout/progressing-condition.js";
import { canaryNamesOf, isInjectedBy, podKey, type NamespaceLabels } from "../core/rollout/matching.js";
import { planUpgrade, stopReasonText, type Plan, type PodPlanEntry } from "../core/rollout/plan.js";
import { firstUnmetRequirement, parseSelector, requirementQuery, type Requirement } from "../core/selector.js";

export interface Verdict {
  /** One of the documented verdicts: `injected`, `skipped: selector`, `waiting: partition`, … */
  verdict: string;
  reason: string;
}

export interface SidecarSetVerdicts {
  sidecarSet: string;
  injection: Verdict;
  /** Only for a pod that carries the SidecarSet. */
  rollout?: Verdict;
}

export interface PodExplanation {
  /** `namespace/name`. */
  pod: string;
  sidecarSets: SidecarSetVerdicts[];
}

export interface ExplainInput {
  pod: Pod;
  /** Every SidecarSet, defaulted as the cluster stores them. */
  sidecarSets: readonly SidecarSet[];
  /** Namespace name → labels; a Namespace missing here cannot be read. */
  namespaceLabels: NamespaceLabels;
  /** ControllerRevisions of the manager namespace. */
  revisions: readonly ControllerRevision[];
  /** The pods a SidecarSet's rollout plans over (the pod itself among them). */
  podsOf: (set: SidecarSet) => readonly Pod[];
  now: Date;
  /** As the manager's `--native-sidecar-in-place-upgrade`. */
  nativeSidecarInPlaceUpgrade?: boolean;
}

/**
 * The webhook's match of a pod against every SidecarSet. A SidecarSet whose
 * configuration denies the pod is set aside with its error and the rest are
 * matched again, so one broken SidecarSet does not hide the others' verdicts.
 */
function matchAll(input: ExplainInput): { result: MatchResult; denied: Map<string, string> } {
  const denied = new Map<string, string>();
  let sets = input.sidecarSets;
  for (;;) {
    const outcome = matchSidecarSets(input.pod, sets, {
      namespace: effectiveNamespace(input.pod, undefined),
      namespaceLabels: (ns) => input.namespaceLabels[ns],
      revisions: input.revisions,
      // A percentage partition under policy Partial pins by chance: explain takes the pinned side and says the chance.
      random: () => 0,
    });
    if (outcome.ok) return { result: outcome.result, denied };
    denied.set(outcome.denial.sidecarSet, `${outcome.denial.error.path}: ${outcome.denial.error.message}`);
    sets = sets.filter((s) => s.metadata.name !== outcome.denial.sidecarSet);
  }
}

/** A pod read from a cluster (it has a creation time or uid), as opposed to one about to be created. */
function isCreated(pod: Pod): boolean {
  return Boolean(pod.metadata?.creationTimestamp || pod.metadata?.uid);
}

export function explainPod(input: ExplainInput): PodExplanation {
  const { pod } = input;
  const { result, denied } = matchAll(input);
  const skipped = new Map(result.skipped.map((s) => [s.name, s]));
  const applied = new Set(result.applied.map((s) => s.metadata.name ?? ""));
  const records = podHashRecords(pod);
  const names = input.sidecarSets.map((s) => s.metadata.name ?? "").sort();
  const byName = new Map(input.sidecarSets.map((s) => [s.metadata.name ?? "", s]));

  const sidecarSets = names.map((name): SidecarSetVerdicts => {
    const set = byName.get(name)!;
    if (isInjectedBy(pod, name)) {
      const revision = records[name]?.controllerRevision;
      return {
        sidecarSet: name,
        injection: { verdict: "injected", reason: revision ? `recorded revision ${revision}` : "listed in the pod's injected-list" },
        rollout: rolloutVerdict(set, input, skipped.get(name)),
      };
    }
    const denial = denied.get(name);
    if (denial !== undefined) return { sidecarSet: name, injection: { verdict: "denies pod creation", reason: denial } };
    const skip = skipped.get(name);
    if (skip) return { sidecarSet: name, injection: skipVerdict(skip, pod, input.namespaceLabels) };
    if (!applied.has(name)) return { sidecarSet: name, injection: { verdict: "skipped", reason: "not matched" } };
    if (!isActivePod(pod)) return { sidecarSet: name, injection: { verdict: "skipped: pod not active", reason: "only active pods get sidecars" } };
    if (isCreated(pod)) {
      return {
        sidecarSet: name,
        injection: { verdict: "not injected", reason: "it selects the pod now, but the pod was created without its sidecars; it gets them only when recreated" },
      };
    }
    const pinned = result.pinned[name];
    if (pinned !== undefined) {
      const chance = result.pinChance?.[name];
      const reason =
        chance === undefined
          ? "injectionStrategy.revision"
          : `injectionStrategy.revision with policy Partial: a new pod gets it with chance ${Math.round(chance * 100)}%, else the current spec`;
      return { sidecarSet: name, injection: { verdict: `pinned to revision ${pinned}`, reason } };
    }
    return { sidecarSet: name, injection: { verdict: "would inject", reason: "namespace and selector match" } };
  });
  return { pod: podKey(pod), sidecarSets };
}

/** `app=web`, `tier in (a,b)`, `canary exists`: a requirement as a reader checks it against labels. */
export function formatRequirement(r: Requirement): string {
  if (r.operator === "Exists") return `${r.key} exists`;
  if (r.operator === "DoesNotExist") return `${r.key} does not exist`;
  return requirementQuery(r);
}

function unmetText(unmet: UnmetRequirement, whose: string): string {
  const seen = unmet.value === undefined ? `${whose} has no label ${unmet.requirement.key}` : `${whose} has ${unmet.requirement.key}=${unmet.value}`;
  return `requires ${formatRequirement(unmet.requirement)}; ${seen}`;
}

function skipVerdict(skip: SkippedSidecarSet, pod: Pod, namespaceLabels: NamespaceLabels): Verdict {
  const ns = effectiveNamespace(pod, undefined);
  switch (skip.reason) {
    case "injection-paused":
      return { verdict: "skipped: injection paused", reason: "injectionStrategy.paused is true" };
    case "namespace-mismatch":
      return { verdict: "skipped: namespace", reason: `only pods in namespace ${skip.detail ?? "?"}; the pod is in ${ns}` };
    case "namespace-selector-mismatch":
      return { verdict: "skipped: namespaceSelector", reason: skip.unmet ? unmetText(skip.unmet, `Namespace ${ns}`) : "the Namespace does not match" };
    case "namespace-unreadable":
      return {
        verdict: "skipped: namespaceSelector",
        reason: namespaceLabels[ns] === undefined ? `Namespace ${ns} could not be read` : "the Namespace could not be read",
      };
    case "selector-empty":
      return { verdict: "skipped: selector", reason: "the selector is empty and selects no pod" };
    case "selector-mismatch":
      return { verdict: "skipped: selector", reason: skip.unmet ? unmetText(skip.unmet, "the pod") : "the selector does not match" };
    case "replaced-by-canary":
      return { verdict: `replaced by canary ${skip.detail ?? "?"}`, reason: "a canary naming it as base matches the pod" };
  }
}

/** How many pods a list names before it says "and N more". */
const LISTED = 5;

function listPods(keys: readonly string[]): string {
  if (keys.length === 0) return "no pod";
  const shown = keys.slice(0, LISTED).join(", ");
  return keys.length > LISTED ? `${shown} and ${keys.length - LISTED} more` : shown;
}

/** The rollout verdict for a pod carrying S, from the controller's plan over S's pods. */
function rolloutVerdict(set: SidecarSet, input: ExplainInput, skip: SkippedSidecarSet | undefined): Verdict {
  const plan = planUpgrade(set, input.podsOf(set), {
    now: input.now,
    namespaceLabels: input.namespaceLabels,
    canaryNames: canaryNamesOf(set, input.sidecarSets),
    nativeSidecarInPlaceUpgrade: input.nativeSidecarInPlaceUpgrade === true,
  });
  const key = podKey(input.pod);
  const entry = plan.pods.find((e) => e.pod === key);
  if (!entry) {
    const why = skip ? skipVerdict(skip, input.pod, input.namespaceLabels) : undefined;
    return { verdict: "not managed", reason: why ? `${why.verdict} (${why.reason}); the SidecarSet no longer selects it` : "the SidecarSet does not select it" };
  }
  const halt = progressHalt(set);
  const halted = (): Verdict => ({ verdict: "halted: progress deadline", reason: halt?.message || "Progressing=False, ProgressDeadlineExceeded" });
  switch (entry.state) {
    case "updated":
      return { verdict: entry.consistent && entry.ready ? "updated" : "upgrading", reason: entry.reason };
    case "upgrade":
      return halt ? halted() : { verdict: "upgrading", reason: `chosen for this round: ${entry.reason}` };
    case "busy":
      return { verdict: "upgrading", reason: entry.reason };
    case "kept-by-partition":
      return halt ? halted() : { verdict: "waiting: partition", reason: entry.reason };
    case "waiting-for-budget":
      return halt ? halted() : { verdict: `waiting: maxUnavailable (budget used by ${listPods(plan.budgetUsedBy)})`, reason: entry.reason };
    case "not-selected":
      return { verdict: "waiting: not selected by updateStrategy.selector", reason: updateSelectorReason(set, input.pod) ?? entry.reason };
    case "not-upgradable":
      return notUpgradableVerdict(set, input, entry);
    case "rollout-stopped":
      return stoppedVerdict(plan, entry, halt !== undefined ? halted : undefined);
    case "not-injected":
      return { verdict: "not injected", reason: entry.reason };
  }
}

function updateSelectorReason(set: SidecarSet, pod: Pod): string | undefined {
  const parsed = parseSelector(set.spec.updateStrategy?.selector);
  if (!parsed.ok) return undefined;
  const unmet = firstUnmetRequirement(parsed.requirements, pod.metadata?.labels);
  if (!unmet) return undefined;
  const labels = pod.metadata?.labels ?? {};
  const has = Object.prototype.hasOwnProperty.call(labels, unmet.key);
  return unmetText({ requirement: unmet, value: has ? labels[unmet.key] : undefined }, "the pod");
}

function stoppedVerdict(plan: Plan, entry: PodPlanEntry, halted: (() => Verdict) | undefined): Verdict {
  switch (plan.stopped) {
    case "not-update":
      return { verdict: "NotUpdate", reason: entry.reason };
    case "paused":
      return { verdict: "paused", reason: entry.reason };
    case "invalid-strategy":
      return { verdict: "waiting: invalid updateStrategy", reason: plan.errors.map((e) => `${e.path}: ${e.message}`).join("; ") };
    case "progress-deadline":
      // The controller's own plan halts the same way; its condition, when written, carries the fuller message.
      return halted ? halted() : { verdict: "halted: progress deadline", reason: stopReasonText(plan.stopped) };
    default:
      if (halted) return halted();
      return { verdict: "waiting", reason: plan.stopped ? stopReasonText(plan.stopped) : entry.reason };
  }
}

/** Names what changed besides images, comparing the revision the pod records with the current spec. */
function notUpgradableVerdict(set: SidecarSet, input: ExplainInput, entry: PodPlanEntry): Verdict {
  // Only images changed, one of them a native sidecar's, and the manager does not upgrade those in place.
  if (!isNotUpgradable(set, input.pod)) return { verdict: "not upgradable: a native sidecar's image changed", reason: entry.reason };
  const name = set.metadata.name ?? "";
  const recorded = podHashRecords(input.pod)[name]?.controllerRevision;
  const revision = recorded ? input.revisions.find((r) => r.metadata?.name === recorded) : undefined;
  const restored = revision ? restoreFromRevision(set, revision) : undefined;
  if (!restored?.ok) {
    const missing = recorded ? `revision ${recorded} the pod records is not available to compare` : "the pod records no revision to compare";
    return { verdict: "not upgradable: something besides images changed", reason: `${entry.reason} (${missing})` };
  }
  const changes = changesBesidesImages(restored.set, set);
  return {
    verdict: `not upgradable: ${changes.length > 0 ? changes.join(", ") : "something besides images changed"}`,
    reason: entry.reason,
  };
}

/** One line per SidecarSet: `name: injection verdict (reason); rollout: verdict (reason)`. */
export function explanationText(e: PodExplanation): string {
  const lines = [`Pod ${e.pod}`];
  if (e.sidecarSets.length === 0) lines.push("  no SidecarSet exists");
  for (const s of e.sidecarSets) {
    const rollout = s.rollout ? `; rollout: ${s.rollout.verdict} (${s.rollout.reason})` : "";
    lines.push(`  ${s.sidecarSet}: ${s.injection.verdict} (${s.injection.reason})${rollout}`);
  }
  return `${lines.join("\n")}\n`;
}
