// Hostile pods: the shapes a pod must not have (containers as a map, 10k
// containers, prototype keys, junk in kruise.io annotations…), each applied
// to a golden pod on top of random mutations.
import fc from "fast-check";
import { isRecord } from "../../src/api/is-record.js";
import type { Pod } from "../../src/api/kube-types.js";
import { applyMutation, deep, hostileKey, hostileValue, listToMap, mutation, pollution, PROTOTYPE_KEYS, serializeBody, setOwn } from "./hostile-values.js";

type PodObject = Record<string, unknown> & { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };

function copyPod(pod: Pod): PodObject {
  return JSON.parse(JSON.stringify(pod)) as PodObject;
}

/** `parent[key]` as an object to write into, made one when a mutation left something else there. */
function objectAt(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key];
  if (isRecord(v)) return v;
  const made: Record<string, unknown> = {};
  setOwn(parent, key, made);
  return made;
}

function meta(pod: PodObject): Record<string, unknown> {
  return objectAt(pod, "metadata");
}

function containers(pod: PodObject): Record<string, unknown>[] {
  const spec = objectAt(pod, "spec");
  if (!Array.isArray(spec.containers)) spec.containers = [];
  return (spec.containers as unknown[]).filter(isRecord);
}

const KRUISE_ANNOTATIONS = [
  "kruise.io/sidecarset-hash",
  "kruise.io/sidecarset-hash-without-image",
  "kruise.io/sidecarset-injected-list",
  "kruise.io/sidecarset-inplace-update-state",
  "kruise.io/sidecarset-working-hotupgrade-container",
  "version.sidecarset.kruise.io/sidecar",
  "versionalt.sidecarset.kruise.io/sidecar",
  "apps.kruise.io/sidecarset-canary",
];

/** Text that is not what a kruise.io annotation should hold. */
const junkAnnotationText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v).slice(0, -1)),
  fc.constantFrom("{", "null", "[]", '{"log-agent":5}', '{"log-agent":{"hash":7,"updateTimestamp":"yesterday"}}', '{"__proto__":{"polluted":"yes"}}', '{"constructor":{"prototype":{"polluted":"yes"}}}'),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => serializeBody(deep(n, "o"))),
);

/** The shapes the brief of this suite names, each a change to a golden pod. */
const podScenarios: Record<string, (pod: PodObject, v: { n: number; value: unknown; text: string; key: string }) => void> = {
  "containers as a map": (pod) => {
    objectAt(pod, "spec").containers = listToMap(containers(pod));
  },
  "names as numbers": (pod, v) => {
    for (const c of containers(pod)) c.name = v.n;
  },
  "10k containers": (pod) => {
    objectAt(pod, "spec").containers = Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: "app:1", env: [{ name: "E", value: "v" }] }));
  },
  "prototype keys in labels and annotations": (pod, v) => {
    const m = meta(pod);
    for (const key of PROTOTYPE_KEYS) {
      setOwn(objectAt(m, "labels"), key, v.text);
      setOwn(objectAt(m, "annotations"), key, JSON.stringify(pollution()));
    }
  },
  "prototype keys in spec and containers": (pod) => {
    for (const key of PROTOTYPE_KEYS) {
      setOwn(objectAt(pod, "spec"), key, pollution());
      for (const c of containers(pod)) setOwn(c, key, pollution());
    }
    setOwn(pod, "__proto__", pollution());
  },
  "huge annotation": (pod, v) => {
    setOwn(objectAt(meta(pod), "annotations"), v.key || "big", "y".repeat(100_000 + v.n));
  },
  "many annotations": (pod) => {
    const annotations = objectAt(meta(pod), "annotations");
    for (let i = 0; i < 20_000; i++) annotations[`a${i}.example.com/k`] = `v${i}`;
  },
  "invalid JSON in kruise.io annotations": (pod, v) => {
    const annotations = objectAt(meta(pod), "annotations");
    annotations[KRUISE_ANNOTATIONS[v.n % KRUISE_ANNOTATIONS.length]!] = v.text;
  },
  "non-string labels": (pod, v) => {
    setOwn(objectAt(meta(pod), "labels"), v.key, v.value);
  },
  "non-string annotations": (pod, v) => {
    setOwn(objectAt(meta(pod), "annotations"), v.key, v.value);
  },
};

const BIG_SCENARIOS = ["10k containers", "many annotations", "huge annotation"];

/** A golden pod with one named scenario and a few random mutations on top. */
export function hostilePod(seeds: readonly Pod[]): fc.Arbitrary<{ scenario: string; pod: Record<string, unknown> }> {
  // The big ones cost a megabyte on the wire each: fewer of them.
  const scenario = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(...Object.keys(podScenarios).filter((n) => !BIG_SCENARIOS.includes(n))) },
    { weight: 1, arbitrary: fc.constantFrom(...BIG_SCENARIOS) },
  );
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      scenario,
      extra: fc.array(mutation, { maxLength: 3 }),
      v: fc.record({ n: fc.nat({ max: 1000 }), value: hostileValue, text: junkAnnotationText, key: hostileKey }),
    })
    .map(({ seed, scenario, extra, v }) => {
      const pod = copyPod(seed);
      // Random mutations first: walking a pod the scenario grew to 10k containers is slow.
      for (const m of extra) applyMutation(pod, m);
      podScenarios[scenario]!(pod, v);
      return { scenario, pod };
    });
}
