// The patchPodMetadata whitelist (docs/behaviour.md §4.5): the cluster operator decides
// which pod annotations SidecarSets may write. Rules whose selector matches
// the SidecarSet's labels (or that have none) contribute RE2 patterns; every
// patched key must match one of them, unanchored.
import type { RE2JS } from "re2js";
import { selectorMatches } from "../../core/selector.js";
import { WHITELIST_CONFIGMAP, WHITELIST_CONFIGMAP_KEY } from "../keys.js";
import type { LabelSelector } from "../kube-types.js";
import type { SidecarSet } from "../types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath, keyPath } from "./paths.js";
import { checkShape } from "./shape.js";
import { compileRe2 } from "./regex.js";

const WHERE = `ConfigMap ${WHITELIST_CONFIGMAP} (key ${WHITELIST_CONFIGMAP_KEY}) in the manager namespace`;
const FLAG = "--allow-patch-pod-metadata-without-whitelist";
const PATH = "spec.patchPodMetadata";

interface Whitelist {
  rules?: ({ selector?: LabelSelector; allowedAnnotationKeyExprs?: (string | null)[] } | null)[];
}

export interface WhitelistInput {
  /** The raw value of the ConfigMap key; undefined when the ConfigMap or the key is missing. */
  raw: string | undefined;
  allowWithoutWhitelist: boolean;
}

export function validateWhitelist(set: SidecarSet, input: WhitelistInput, f: Findings): void {
  const entries = set.spec?.patchPodMetadata ?? [];
  if (entries.length === 0) return;
  if (input.raw === undefined) {
    if (!input.allowWithoutWhitelist) {
      f.error(PATH, `no whitelist configured; add rules to ${WHERE}, or start the manager with ${FLAG}`);
    }
    return;
  }
  const whitelist = parseWhitelist(input.raw, f);
  if (!whitelist) return;
  const labels = set.metadata?.labels ?? {};
  const patterns: { source: string; re: RE2JS }[] = [];
  let broken = false;
  (whitelist.rules ?? []).forEach((rule, i) => {
    if (!rule) return;
    if (rule.selector && !selectorMatches(rule.selector, labels)) return;
    (rule.allowedAnnotationKeyExprs ?? []).forEach((source, j) => {
      if (typeof source !== "string") return;
      const compiled = compileRe2(source);
      if (!compiled.ok) {
        f.error(PATH, `the whitelist in ${WHERE} is broken: rules[${i}].allowedAnnotationKeyExprs[${j}] ${compiled.error}`);
        broken = true;
        return;
      }
      patterns.push({ source, re: compiled.re });
    });
  });
  if (broken) return;
  if (patterns.length === 0) {
    if (!input.allowWithoutWhitelist) {
      f.error(
        PATH,
        `no rule of the whitelist in ${WHERE} applies to this SidecarSet's labels ${JSON.stringify(labels)}; add a rule whose selector matches them, or start the manager with ${FLAG}`,
      );
    }
    return;
  }
  const shown = patterns.map((p) => JSON.stringify(p.source)).join(", ");
  entries.forEach((entry, i) => {
    if (!entry) return;
    for (const key of Object.keys(entry.annotations ?? {})) {
      if (patterns.some((p) => p.re.test(key))) continue;
      f.error(
        keyPath(childPath(indexPath(PATH, i), "annotations"), key),
        `is not allowed by the patchPodMetadata whitelist; the rules that apply to this SidecarSet allow keys matching ${shown} — add a pattern to ${WHERE}`,
      );
    }
  });
}

function parseWhitelist(raw: string, f: Findings): Whitelist | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    f.error(PATH, `the whitelist in ${WHERE} is not valid JSON (${detail}); fix the ConfigMap`);
    return undefined;
  }
  const shape = checkShape(parsed, "PatchPodMetadataWhitelist");
  const problem = shape.errors[0];
  if (problem) {
    const where = problem.path ? `${problem.path}: ` : "";
    f.error(PATH, `the whitelist in ${WHERE} is malformed: ${where}${problem.message}; expected {"rules":[{"selector":{…},"allowedAnnotationKeyExprs":["…"]}]}`);
    return undefined;
  }
  return shape.value as Whitelist;
}
