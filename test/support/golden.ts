// Golden injection cases shared by the core injection test, the pod webhook
// handler test and the `sidecarset inject` CLI test, so the three never drift.
//
// test/golden/inject/<case>.yaml holds one Pod plus the SidecarSets as a user
// writes them (not defaulted), and optionally Namespace documents (their
// labels feed namespaceSelector) and ControllerRevisions (pinned revisions).
// <case>.injected.yaml holds the Pod the cluster would store.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { defaultSidecarSet } from "../../src/api/defaults.js";
import type { ControllerRevision, Pod } from "../../src/api/kube-types.js";
import type { SidecarSet } from "../../src/api/types.js";
import type { InjectInput } from "../../src/core/inject/index.js";

export const GOLDEN_INJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "golden", "inject");

/** The clock every golden case is injected at (hash records carry it). */
export const GOLDEN_NOW = new Date("2026-01-02T03:04:05Z");
export const GOLDEN_NOW_TEXT = "2026-01-02T03:04:05Z";

export interface GoldenCase {
  name: string;
  inputFile: string;
  expectedFile: string;
  pod: Pod;
  /** As written in the case file. */
  rawSidecarSets: SidecarSet[];
  /** As the cluster holds them after the defaulting webhook (with hash annotations). */
  sidecarSets: SidecarSet[];
  revisions: ControllerRevision[];
  /** Namespace name → labels, from Namespace documents of the case. */
  namespaces: Record<string, Record<string, string>>;
  /** The Pod the injection must produce. */
  expected: Pod;
}

/** Names of every golden case, sorted. */
export function goldenCaseNames(): string[] {
  return readdirSync(GOLDEN_INJECT_DIR)
    .filter((f) => f.endsWith(".yaml") && !f.endsWith(".injected.yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

function readYamlDocuments(file: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file}: document ${i + 1}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

export function loadGoldenCase(name: string): GoldenCase {
  const inputFile = join(GOLDEN_INJECT_DIR, `${name}.yaml`);
  const expectedFile = join(GOLDEN_INJECT_DIR, `${name}.injected.yaml`);
  const docs = readYamlDocuments(inputFile);
  const pods = docs.filter((d) => d.kind === "Pod") as Pod[];
  if (pods.length !== 1) throw new Error(`${inputFile}: expected exactly one Pod, found ${pods.length}`);
  const rawSidecarSets = docs.filter((d) => d.kind === "SidecarSet") as unknown as SidecarSet[];
  const namespaces: Record<string, Record<string, string>> = {};
  for (const d of docs.filter((d) => d.kind === "Namespace")) {
    const meta = d.metadata as { name: string; labels?: Record<string, string> };
    namespaces[meta.name] = meta.labels ?? {};
  }
  const expected = readYamlDocuments(expectedFile);
  if (expected.length !== 1) throw new Error(`${expectedFile}: expected exactly one document`);
  return {
    name,
    inputFile,
    expectedFile,
    pod: pods[0]!,
    rawSidecarSets,
    sidecarSets: rawSidecarSets.map(defaultSidecarSet),
    revisions: docs.filter((d) => d.kind === "ControllerRevision") as ControllerRevision[],
    namespaces,
    expected: expected[0] as Pod,
  };
}

/** The value of `sidecarset inject --namespace-labels` for a case (all its Namespace labels), or undefined. */
export function namespaceLabelsFlag(c: GoldenCase): string | undefined {
  const pairs = Object.values(c.namespaces).flatMap((labels) => Object.entries(labels).map(([k, v]) => `${k}=${v}`));
  return pairs.length > 0 ? pairs.join(",") : undefined;
}

/** The injection input of a case: defaulted SidecarSets, its Namespaces and revisions, GOLDEN_NOW. No case depends on chance. */
export function goldenInjectInput(c: GoldenCase): InjectInput {
  return {
    pod: c.pod,
    sidecarSets: c.sidecarSets,
    namespaceLabels: (ns) => c.namespaces[ns],
    revisions: c.revisions,
    now: GOLDEN_NOW,
    random: () => 0,
  };
}
