// Injection through the real API server: the README's log-agent example
// applied unchanged, pods created by a Deployment get the sidecar.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { applyYaml, useEnvironment, waitFor } from "../support/environment.js";
import { listPods } from "../support/kube.js";

const env = useEnvironment();

test("log-agent example: every pod of the Deployment gets logtail with the shared log volume and TZ", async () => {
  await applyYaml(env().clients, readFileSync("examples/log-agent/sidecarset.yaml", "utf8"));
  await applyYaml(env().clients, readFileSync("examples/log-agent/deployment.yaml", "utf8"));
  const pods = await waitFor(
    "20 web pods",
    async () => {
      const list = await listPods(env().clients.kc, "demo", "app=web");
      return list.length === 20 ? list : undefined;
    },
    { timeoutMs: 60_000 },
  );
  for (const pod of pods) {
    const names = pod.spec!.containers.map((c) => c.name);
    assert.deepEqual(names, ["web-server", "logtail"], `containers of ${pod.metadata!.name}`);
    const logtail = pod.spec!.containers[1]!;
    assert.ok(logtail.volumeMounts?.some((m) => m.name === "app-logs" && m.mountPath === "/var/log/app"));
    assert.ok(logtail.env?.some((e) => e.name === "TZ" && e.value === "Europe/Berlin"));
    assert.ok(logtail.env?.some((e) => e.name === "IS_INJECTED" && e.value === "true"));
    assert.equal(pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"], "log-agent");
  }
});
