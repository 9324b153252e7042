// `--fail`: which simulated pods never get their new sidecar image running.
// Either a fraction ("0.1", "10%") of the pods — exactly that share of them,
// rounded, picked by a stable hash of the pod's namespace/name so repeated runs
// fail the same pods — or a label selector in kubectl's equality syntax
// ("zone=a,tier!=gold,canary,!legacy"), which must match at least one pod.
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

/** A parsed `--fail` value; `choose` decides, for the pods of a run, which of them fail. */
export interface FailSpec {
  choose(pods: readonly Pod[]): FailPredicate;
}

/** Exactly round(fraction × pods) pods: those with the lowest hashes. */
function fractionOf(fraction: number): FailSpec {
  return {
    choose(pods) {
      const count = Math.round(fraction * pods.length);
      const ranked = pods.map((p) => ({ key: podKey(p), rank: unitHash(podKey(p)) })).sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : 1));
      const failing = new Set(ranked.slice(0, count).map((r) => r.key));
      return withDescription((pod) => failing.has(podKey(pod)), `${Math.round(fraction * 1000) / 10}% of pods (${count} of ${pods.length})`);
    },
  };
}

/**
 * Parses the `--fail` value; an Error names what was given and what is
 * allowed, and `choose` throws when a selector matches none of the pods.
 */
export function parseFailSpec(spec: string): FailSpec {
  const s = spec.trim();
  if (FRACTION.test(s)) {
    const fraction = s.endsWith("%") ? Number(s.slice(0, -1)) / 100 : Number(s);
    if (fraction > 1) throw new Error(`--fail ${JSON.stringify(spec)}: a fraction must be between 0 and 1 (or 0% and 100%)`);
    return fractionOf(fraction);
  }
  const checks: ((labels: Record<string, string>) => boolean)[] = [];
  const keys: string[] = [];
  for (const raw of s.split(",")) {
    const term = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^=!\s]+)\s*!=\s*(.*)$/))) {
      const [, k, v] = m as unknown as [string, string, string];
      keys.push(k);
      checks.push((l) => l[k] !== v.trim());
    } else if ((m = term.match(/^([^=!\s]+)\s*==?\s*(.*)$/))) {
      const [, k, v] = m as unknown as [string, string, string];
      keys.push(k);
      checks.push((l) => l[k] === v.trim());
    } else if (term.startsWith("!") && KEY.test(term.slice(1))) {
      const k = term.slice(1);
      keys.push(k);
      checks.push((l) => !(k in l));
    } else if (KEY.test(term)) {
      keys.push(term);
      checks.push((l) => term in l);
    } else {
      throw new Error(
        `--fail ${JSON.stringify(spec)}: ${JSON.stringify(term)} is neither a fraction like 0.1 or 10% nor a label selector term like key=value, key!=value, key or !key`,
      );
    }
  }
  const matches = (pod: Pod): boolean => {
    const labels = pod.metadata?.labels ?? {};
    return checks.every((c) => c(labels));
  };
  return {
    choose(pods) {
      const count = pods.filter(matches).length;
      if (count === 0) {
        const absent = keys.filter((k) => !pods.some((p) => k in (p.metadata?.labels ?? {})));
        const why = absent.length > 0 ? `no pod carries the label${absent.length > 1 ? "s" : ""} ${absent.join(", ")}` : "no pod has those values";
        throw new Error(`--fail ${JSON.stringify(spec)} matches none of the ${pods.length} pod(s): ${why}`);
      }
      return withDescription(matches, `pods matching ${s} (${count} of ${pods.length})`);
    },
  };
}
