// `--fail`: which simulated pods never get their new sidecar image running.
// Either a fraction ("0.1", "10%") of the pods, picked by a stable hash of the
// pod's namespace/name so repeated runs fail the same pods, or a label selector
// in kubectl's equality syntax ("zone=a,tier!=gold,canary,!legacy").
import type { Pod } from "../api/kube-types.js";
import { podKey } from "../core/rollout/matching.js";

export type FailPredicate = ((pod: Pod) => boolean) & { description: string };

const FRACTION = /^(?:0?\.\d+|[01](?:\.0*)?|\d{1,3}(?:\.\d+)?%)$/;
const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

/**
 * 32-bit FNV-1a of a string with a final avalanche (pod names differ only in
 * their last characters, which FNV alone spreads poorly), mapped to [0, 1).
 */
function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

function withDescription(fn: (pod: Pod) => boolean, description: string): FailPredicate {
  return Object.assign(fn, { description });
}

export function noFailures(): FailPredicate {
  return withDescription(() => false, "none");
}

/** Parses the `--fail` value; an Error names what was given and what is allowed. */
export function parseFailSpec(spec: string): FailPredicate {
  const s = spec.trim();
  if (FRACTION.test(s)) {
    const fraction = s.endsWith("%") ? Number(s.slice(0, -1)) / 100 : Number(s);
    if (fraction > 1) throw new Error(`--fail ${JSON.stringify(spec)}: a fraction must be between 0 and 1 (or 0% and 100%)`);
    return withDescription((pod) => unitHash(podKey(pod)) < fraction, `${Math.round(fraction * 1000) / 10}% of pods`);
  }
  const checks: ((labels: Record<string, string>) => boolean)[] = [];
  for (const raw of s.split(",")) {
    const term = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^=!\s]+)\s*!=\s*(.*)$/))) {
      const [, k, v] = m as unknown as [string, string, string];
      checks.push((l) => l[k] !== v.trim());
    } else if ((m = term.match(/^([^=!\s]+)\s*==?\s*(.*)$/))) {
      const [, k, v] = m as unknown as [string, string, string];
      checks.push((l) => l[k] === v.trim());
    } else if (term.startsWith("!") && KEY.test(term.slice(1))) {
      const k = term.slice(1);
      checks.push((l) => !(k in l));
    } else if (KEY.test(term)) {
      checks.push((l) => term in l);
    } else {
      throw new Error(
        `--fail ${JSON.stringify(spec)}: ${JSON.stringify(term)} is neither a fraction like 0.1 or 10% nor a label selector term like key=value, key!=value, key or !key`,
      );
    }
  }
  return withDescription((pod) => {
    const labels = pod.metadata?.labels ?? {};
    return checks.every((c) => c(labels));
  }, `pods matching ${s}`);
}
