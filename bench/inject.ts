// Benchmark: the pod webhook's core decision — one pod against 100
// SidecarSets of which 10 match. Prints µs per injected pod; never fails a build.
import { performance } from "node:perf_hooks";
import { defaultSidecarSet } from "../src/api/defaults.js";
import type { Pod } from "../src/api/kube-types.js";
import type { SidecarSet } from "../src/api/types.js";
import { injectPod } from "../src/core/inject/inject.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const TARGET_US = 200;

/** 100 SidecarSets: every tenth selects `app: web`, the rest other apps. */
function sidecarSets(): SidecarSet[] {
  const sets: SidecarSet[] = [];
  for (let i = 0; i < 100; i++) {
    const matches = i % 10 === 0;
    sets.push(
      defaultSidecarSet({
        metadata: { name: `sidecar-${String(i).padStart(3, "0")}` },
        spec: {
          selector: { matchLabels: { app: matches ? "web" : `other-${i}` } },
          containers: [
            {
              name: `agent-${i}`,
              image: `registry.local/agent-${i}:1.0`,
              podInjectPolicy: i % 20 === 0 ? "BeforeAppContainer" : "AfterAppContainer",
              shareVolumePolicy: { type: i % 3 === 0 ? "enabled" : "disabled" },
              transferEnv: [{ sourceContainerName: "web-server", envName: "TZ" }],
              volumeMounts: [{ name: `agent-${i}-data`, mountPath: `/var/lib/agent-${i}` }],
              env: [{ name: "AGENT_ID", value: String(i) }],
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
            },
          ],
          volumes: [{ name: `agent-${i}-data`, emptyDir: {} }],
        },
      }),
    );
  }
  return sets;
}

function pod(): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "web-", namespace: "demo", labels: { app: "web", "pod-template-hash": "abc" } },
    spec: {
      containers: [
        {
          name: "web-server",
          image: "registry.local/web:1.0",
          env: [
            { name: "TZ", value: "Europe/Berlin" },
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          ],
          volumeMounts: [
            { name: "app-logs", mountPath: "/var/log/app" },
            { name: "config", mountPath: "/etc/app", readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "app-logs", emptyDir: {} },
        { name: "config", configMap: { name: "web-config" } },
      ],
    },
  };
}

const sets = sidecarSets();
const input = { sidecarSets: sets, namespaceLabels: () => ({ "kubernetes.io/metadata.name": "demo" }), revisions: [], now: NOW, random: () => 0.5 };
const template = pod();

const first = injectPod({ ...input, pod: template });
if (first.kind !== "injected" || first.injected.length !== 10) {
  throw new Error(`benchmark setup is wrong: expected 10 SidecarSets injected, got ${JSON.stringify(first.kind)}`);
}

const WARMUP = 2_000;
const RUNS = 20_000;
for (let i = 0; i < WARMUP; i++) injectPod({ ...input, pod: template });
const batches: number[] = [];
const BATCH = 1_000;
for (let b = 0; b < RUNS / BATCH; b++) {
  const t0 = performance.now();
  for (let i = 0; i < BATCH; i++) injectPod({ ...input, pod: template });
  batches.push(((performance.now() - t0) * 1000) / BATCH);
}
batches.sort((a, b) => a - b);
const median = batches[Math.floor(batches.length / 2)]!;
const best = batches[0]!;
const rows = [
  ["SIDECARSETS", "MATCHING", "PATCH OPS", "MEDIAN µs/POD", "BEST µs/POD", "TARGET µs", "WITHIN TARGET"],
  ["100", "10", String(first.patch.length), median.toFixed(1), best.toFixed(1), String(TARGET_US), median <= TARGET_US ? "yes" : "no"],
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(`injectPod: ${RUNS} pods in batches of ${BATCH}, one core\n`);
for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd() + "\n");
