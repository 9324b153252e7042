// `sidecarset explain`: for one pod, every SidecarSet's injection verdict and,
// for a pod carrying it, its rollout verdict, each with the reason the
// webhook's or the controller's decision gave (docs/behaviour.md §7a.3). Live
// (`explain pod/NAME -n NS`, read-only) or offline (`explain -f pod.yaml
// --sidecarsets DIR`).
import { Command, InvalidArgumentError } from "commander";
import { defaultSidecarSet } from "../api/defaults.js";
import { isRecord } from "../api/is-record.js";
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { isInjectedBy, podNamespace } from "../core/rollout/matching.js";
import { InputError, readDocuments } from "./documents.js";
import { explainPod, explanationText, type PodExplanation } from "./explain-verdicts.js";
import { addSidecarSetsOptions, filenameOption, namespaceOption, nativeSidecarOption, nowOption, outputOption, type SidecarSetsFlags } from "./flags.js";
import { parseLabelList } from "./inject.js";
import { addClusterOptions, withCluster, type LiveCluster, type LiveFlags } from "./live-command.js";
import type { RawKubeClient } from "../kube/client.js";
import { PROCESS_IO, reportingInputErrors, type CommandIo } from "./output.js";
import { loadPods } from "./plan.js";
import { readSidecarSets } from "./sidecarsets.js";

interface ExplainFlags extends SidecarSetsFlags, LiveFlags {
  filename?: string[];
  namespace?: string;
  namespaceLabels?: Record<string, string>;
  now?: Date;
  output: "text" | "json";
  nativeSidecarInPlaceUpgrade?: boolean;
}

const HELP = `
Live, the pod, every SidecarSet, the pod's Namespace, the SidecarSet's pods and the ControllerRevisions
in the manager namespace are read with your kubeconfig; nothing is written. Offline, -f gives the pod
(several pods: each is explained, and rollouts are planned over all of them) and --sidecarsets the
SidecarSets (and ControllerRevisions); every namespace carries its kubernetes.io/metadata.name label
plus --namespace-labels.

Injection verdicts: injected, would inject, pinned to revision R, not injected, replaced by canary C,
skipped: selector | namespace | namespaceSelector | injection paused.
Rollout verdicts (a pod carrying the SidecarSet): updated, upgrading, waiting: partition,
waiting: maxUnavailable (budget used by …), waiting: not selected by updateStrategy.selector,
not upgradable: <what changed besides images>, paused, NotUpdate, halted: progress deadline.

Examples:
  sidecarset explain pod/web-0 -n shop
  sidecarset explain pod/web-0 sidecarset/log-agent -n shop -o json
  sidecarset explain -f pod.yaml --sidecarsets sidecarsets/ --namespace-labels mesh=enabled

Exit status: 0 when explained, 1 when the pod or a named SidecarSet does not exist or an input cannot
be read, 2 on wrong arguments. See docs/explain.md.`;

/** `pod/NAME`, `pods/NAME`, `po/NAME` or a bare NAME → the pod name. */
export function parsePodTarget(value: string): string {
  const m = /^(?:(pod|pods|po)\/)?([^/]+)$/.exec(value);
  if (!m || m[2] === "") throw new InvalidArgumentError(`"${value}" is not a pod; give pod/NAME`);
  return m[2]!;
}

/** `sidecarset/NAME` (also `sidecarsets/`) or a bare NAME → the SidecarSet name. */
export function parseSidecarSetTarget(value: string): string {
  const m = /^(?:(sidecarset|sidecarsets)\/)?([^/]+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not a SidecarSet; give sidecarset/NAME`);
  return m[2]!;
}

/** `pod/NAME` and `sidecarset/NAME` in either order; at most one of each. */
function readTargets(cmd: Command, targets: readonly string[]): { pod?: string; only?: string } {
  const out: { pod?: string; only?: string } = {};
  try {
    for (const t of targets) {
      const isSet = /^sidecarsets?\//.test(t);
      if (isSet ? out.only !== undefined : out.pod !== undefined) cmd.error(`error: "${t}": give one pod/NAME and at most one sidecarset/NAME`);
      if (isSet) out.only = parseSidecarSetTarget(t);
      else out.pod = parsePodTarget(t);
    }
  } catch (e) {
    if (e instanceof InvalidArgumentError) cmd.error(`error: ${e.message}`);
    throw e;
  }
  return out;
}

export function explainCommand(io: CommandIo = PROCESS_IO): Command {
  const cmd = new Command("explain")
    .description(
      "Say, for every SidecarSet, whether it injects a pod and where the pod stands in its rollout, with the reason " +
        "the webhook and the controller decide by. Live: pod/NAME -n NS. Offline: -f pod.yaml --sidecarsets DIR.",
    )
    .argument("[targets...]", "pod/NAME in the cluster (live), and sidecarset/NAME to explain only that SidecarSet")
    .addOption(filenameOption("offline: the pod(s)", { optional: true }));
  addSidecarSetsOptions(cmd, "offline: the SidecarSets (and ControllerRevisions of pinned revisions)")
    .addOption(namespaceOption("live: the pod's namespace"))
    .option("--namespace-labels <labels>", "offline: labels every namespace carries, as k=v,k2=v2 (for namespaceSelector)", parseLabelList)
    .addOption(nowOption("offline: the time of the decision"))
    .addOption(nativeSidecarOption())
    .addOption(outputOption(["text", "json"]));
  addClusterOptions(cmd).addHelpText("after", HELP);
  return cmd.action(async (targets: string[], flags: ExplainFlags) => {
    const { pod, only } = readTargets(cmd, targets);
    const offline = flags.filename !== undefined;
    if (offline === (pod !== undefined)) cmd.error("error: give either pod/NAME (live) or -f FILE --sidecarsets DIR (offline)");
    const paths = [...(flags.sidecarsets ?? []), ...(flags.sidecarset ?? [])];
    if (offline && paths.length === 0) cmd.error("error: required option '--sidecarsets <paths...>' not specified");
    const print = (explanations: PodExplanation[]) =>
      io.out.write(
        flags.output === "json"
          ? `${JSON.stringify(explanations.length === 1 ? explanations[0] : explanations, null, 2)}\n`
          : explanations.map(explanationText).join("\n"),
      );
    if (offline) {
      reportingInputErrors(io, () => print(explainOffline({ ...flags, filename: flags.filename!, sidecarsets: paths }, only)))();
      return;
    }
    await withCluster(flags, io, async (client, live) => {
      print([await explainLive(pod!, only, flags, client, live, io)]);
      return 0;
    });
  });
}

/**
 * Checks that the SidecarSet `only` (when named) exists. All SidecarSets stay:
 * a canary elsewhere decides whether the named one applies.
 */
function checkNamed(sets: SidecarSet[], only: string | undefined): SidecarSet[] {
  if (only === undefined) return sets;
  if (!sets.some((s) => s.metadata.name === only)) throw new InputError(`SidecarSet ${only} not found`);
  return sets;
}

function onlyOne(e: PodExplanation, only: string | undefined): PodExplanation {
  return only === undefined ? e : { ...e, sidecarSets: e.sidecarSets.filter((s) => s.sidecarSet === only) };
}

export function explainOffline(
  flags: { filename: string[]; sidecarsets: string[]; namespaceLabels?: Record<string, string>; now?: Date; nativeSidecarInPlaceUpgrade?: boolean },
  only?: string,
): PodExplanation[] {
  const { pods } = loadPods(flags.filename);
  const sets = checkNamed(
    readSidecarSets(flags.sidecarsets, { checkStrategy: false }).map((r) => defaultSidecarSet(r.set)),
    only,
  );
  const revisions = readDocuments(flags.sidecarsets)
    .map((d) => d.object)
    .filter((o): o is ControllerRevision => isRecord(o) && o.kind === "ControllerRevision");
  const namespaceLabels: Record<string, Record<string, string>> = {};
  for (const p of pods) {
    const ns = podNamespace(p);
    namespaceLabels[ns] = { ...(flags.namespaceLabels ?? {}), "kubernetes.io/metadata.name": ns };
  }
  const now = flags.now ?? new Date();
  const nativeSidecarInPlaceUpgrade = flags.nativeSidecarInPlaceUpgrade === true;
  return pods.map((pod) =>
    onlyOne(explainPod({ pod, sidecarSets: sets, namespaceLabels, revisions, podsOf: () => pods, now, nativeSidecarInPlaceUpgrade }), only),
  );
}

async function explainLive(name: string, only: string | undefined, flags: ExplainFlags, client: RawKubeClient, live: LiveCluster, io: CommandIo): Promise<PodExplanation> {
  const namespace = flags.namespace ?? "default";
  const [pod, all, namespaceLabels] = await Promise.all([
    live.readPod(client, namespace, name),
    live.listSidecarSets(client),
    live.listNamespaceLabels(client, [namespace]),
  ]);
  const sets = checkNamed(all, only);
  const revisions = await live.listRevisions(client, flags.managerNamespace).catch((e: unknown) => {
    io.err.write(`warning: ControllerRevisions in ${flags.managerNamespace} not readable (${e instanceof Error ? e.message : String(e)}); pinned revisions and revision diffs are not shown\n`);
    return [] as ControllerRevision[];
  });
  // Only the SidecarSets the pod carries have a rollout verdict, planned over their pods.
  const podsBySet = new Map<string, Pod[]>();
  for (const set of sets) {
    const setName = set.metadata.name ?? "";
    if ((only === undefined || only === setName) && isInjectedBy(pod, setName)) podsBySet.set(setName, await live.listPodsOf(client, set));
  }
  const explanation = explainPod({
    pod,
    sidecarSets: sets,
    namespaceLabels,
    revisions,
    podsOf: (set) => podsBySet.get(set.metadata.name ?? "") ?? [pod],
    now: new Date(),
    nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true,
  });
  return onlyOne(explanation, only);
}
