// Every manifest under examples/ applied unchanged through the real API
// server, in the order examples/README.md gives, and the pods getting the
// sidecars the examples' comments promise.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { applyYaml, useEnvironment, waitFor } from "../support/environment.js";
import { isPodReady, listPods, recordPodEvents, waitForPods } from "../support/kube.js";
import { containerNamed } from "../support/pods.js";
import { statusImage } from "../support/rollout.js";
import { getSidecarSet, waitForObserved, type SidecarSetStatus } from "../support/sidecarsets.js";

const INJECTED_LIST = "kruise.io/sidecarset-injected-list";
const WORKING = "kruise.io/sidecarset-working-hotupgrade-container";

const env = useEnvironment();

const apply = (file: string) => applyYaml(env().clients, readFileSync(`examples/${file}`, "utf8"));

async function status(name: string): Promise<SidecarSetStatus & { generation?: number }> {
  const s = await getSidecarSet(env(), name);
  return { ...s.status, generation: s.metadata.generation };
}

/** Applies a SidecarSet example and waits until the manager's cache (which the pod webhook reads) has this version. */
async function applySidecarSet(file: string, name: string): Promise<void> {
  await apply(file);
  await waitForObserved(env(), name, `SidecarSet ${name} from ${file} observed by the manager`);
}

const names = (pod: Pod) => pod.spec?.containers.map((c) => c.name);

/** Waits for `count` ready pods of namespace demo matching `selector` that all satisfy `accept`. */
function waitForReadyPods(selector: string, count: number, accept: (pod: Pod) => boolean = () => true, timeoutMs = 60_000): Promise<Pod[]> {
  return waitForPods(env().clients.kc, "demo", selector, count, (p) => isPodReady(p) && accept(p), { timeoutMs });
}

const WEB = "app=web,!track";

test("log-agent: every pod of Deployment web gets logtail after web-server, reading app-logs at /var/log/app with the app's TZ", async () => {
  await applySidecarSet("log-agent/sidecarset.yaml", "log-agent");
  await apply("log-agent/deployment.yaml");
  const pods = await waitForReadyPods(WEB, 20);
  for (const pod of pods) {
    assert.deepEqual(names(pod), ["web-server", "logtail"], pod.metadata?.name);
    const logtail = containerNamed(pod, "logtail");
    assert.equal(logtail.image, "busybox:1.36");
    assert.deepEqual(logtail.volumeMounts?.find((m) => m.name === "app-logs"), { name: "app-logs", mountPath: "/var/log/app" });
    assert.deepEqual(logtail.env?.find((e) => e.name === "TZ"), { name: "TZ", value: "Europe/Berlin" });
    assert.equal(pod.metadata?.annotations?.[INJECTED_LIST], "log-agent");
  }
  await waitFor("log-agent MATCHED 20, all ready", async () => {
    const s = await status("log-agent");
    return s.matchedPods === 20 && s.readyPods === 20 && s.updatedPods === 20 && s.notInjectedPods === 0;
  });
});

test("canary: the pods of web-canary get logtail from log-agent-canary (busybox:1.37) instead of log-agent's; web's pods keep 1.36", async () => {
  await applySidecarSet("canary/sidecarset-canary.yaml", "log-agent-canary");
  await apply("canary/deployment-canary.yaml");
  const canaries = await waitForReadyPods("app=web,track=canary", 2);
  for (const pod of canaries) {
    assert.deepEqual(names(pod), ["web-server", "logtail"], "one logtail: the canary's replaces the base's");
    assert.equal(containerNamed(pod, "logtail").image, "busybox:1.37");
    assert.equal(pod.metadata?.annotations?.[INJECTED_LIST], "log-agent-canary");
  }
  const web = await listPods(env().clients.kc, "demo", WEB);
  assert.ok(web.every((p) => containerNamed(p, "logtail").image === "busybox:1.36"));
  await waitFor("the canary counts its 2 pods; the base still 20 and none missing", async () => {
    const [canary, base] = [await status("log-agent-canary"), await status("log-agent")];
    return canary.matchedPods === 2 && base.matchedPods === 20 && base.notInjectedPods === 0;
  });
});

test("rollout: partition 10 upgrades exactly 10 of the 20 pods in place, at most 2 unavailable at a time; the percent variant keeps it at 10", async () => {
  const before = await waitForReadyPods(WEB, 20);
  const uids = new Map(before.map((p) => [p.metadata!.name!, p.metadata!.uid!]));
  const recorder = await recordPodEvents(env().clients.kc, "demo");
  try {
    await apply("rollout/sidecarset-partition.yaml");
    await waitFor(
      "UPDATED 10 and ready",
      async () => {
        const s = await status("log-agent");
        return s.observedGeneration === s.generation && s.updatedPods === 10 && s.updatedReadyPods === 10 && s.readyPods === 20;
      },
      { timeoutMs: 60_000 },
    );
    await apply("rollout/sidecarset-percent.yaml");
    await waitFor("the percent variant observed", async () => {
      const s = await status("log-agent");
      return s.observedGeneration === s.generation && s.updatedPods === 10;
    });
    const after = await waitForReadyPods(WEB, 20, (p) => statusImage(p, "logtail") === containerNamed(p, "logtail").image);
    const upgraded = after.filter((p) => containerNamed(p, "logtail").image === "busybox:1.37");
    assert.equal(upgraded.length, 10, "partition keeps 10 of 20 on the old image");
    for (const pod of after) {
      assert.equal(pod.metadata?.uid, uids.get(pod.metadata!.name!), `${pod.metadata?.name} was upgraded in place, not recreated`);
      const app = pod.status?.containerStatuses?.find((s) => s.name === "web-server");
      assert.equal(app?.restartCount, 0, "web-server keeps running");
    }
  } finally {
    recorder.stop();
  }

  // Replay every change the API server reported: never more than 2 web pods
  // were on the new spec without running it ready.
  const latest = new Map<string, Pod>();
  let worst = 0;
  let mostUpgraded = 0;
  for (const { type, pod } of recorder.events) {
    const labels = pod.metadata?.labels ?? {};
    if (labels.app !== "web" || labels.track !== undefined) continue;
    if (type === "DELETED") latest.delete(pod.metadata!.name!);
    else latest.set(pod.metadata!.name!, pod);
    const pods = [...latest.values()];
    const onNew = pods.filter((p) => containerNamed(p, "logtail").image === "busybox:1.37");
    const unavailable = onNew.filter((p) => !(isPodReady(p) && statusImage(p, "logtail") === "busybox:1.37"));
    worst = Math.max(worst, unavailable.length);
    mostUpgraded = Math.max(mostUpgraded, onNew.length);
  }
  assert.ok(worst <= 2, `maxUnavailable 2 exceeded: ${worst} pods unavailable at once`);
  assert.ok(worst >= 1, "the recording saw the upgrade");
  assert.equal(mostUpgraded, 10, "never more than 10 pods upgraded");
});

test("scatter: the pods of shop-zone-a and shop-zone-b get metrics-exporter", async () => {
  // SidecarSet first: sidecars reach only pods created after it exists.
  await applySidecarSet("scatter/sidecarset.yaml", "shop-metrics");
  await apply("scatter/deployments.yaml");
  const pods = await waitForReadyPods("app=shop", 6);
  assert.deepEqual(pods.map((p) => p.metadata?.labels?.zone).sort(), ["a", "a", "a", "b", "b", "b"]);
  for (const pod of pods) {
    assert.deepEqual(names(pod), ["metrics-exporter", "shop"], pod.metadata?.name);
    assert.equal(pod.metadata?.annotations?.[INJECTED_LIST], "shop-metrics");
  }
  await waitFor("shop-metrics MATCHED 6", async () => (await status("shop-metrics")).matchedPods === 6);
});

test("hot-upgrade: pods get proxy-1 (working, sidecarv1) and proxy-2 (empty); v2 moves the work to proxy-2 and idles proxy-1", async () => {
  await applySidecarSet("hot-upgrade/sidecarset.yaml", "mesh-proxy");
  await apply("hot-upgrade/deployment.yaml");
  const before = await waitForReadyPods("app=hotupgrade", 3);
  for (const pod of before) {
    assert.deepEqual(names(pod), ["proxy-1", "proxy-2", "main"], pod.metadata?.name);
    assert.equal(containerNamed(pod, "proxy-1").image, "openkruise/hotupgrade-sample:sidecarv1");
    assert.equal(containerNamed(pod, "proxy-2").image, "openkruise/hotupgrade-sample:empty");
    assert.deepEqual(JSON.parse(pod.metadata!.annotations![WORKING]!), { proxy: "proxy-1" });
  }

  await apply("hot-upgrade/sidecarset-v2.yaml");
  const after = await waitForReadyPods(
    "app=hotupgrade",
    3,
    (p) =>
      containerNamed(p, "proxy-2").image === "openkruise/hotupgrade-sample:sidecarv2" &&
      containerNamed(p, "proxy-1").image === "openkruise/hotupgrade-sample:empty" &&
      statusImage(p, "proxy-1") === "openkruise/hotupgrade-sample:empty" &&
      statusImage(p, "proxy-2") === "openkruise/hotupgrade-sample:sidecarv2",
    60_000,
  );
  for (const pod of after) {
    assert.ok(before.some((b) => b.metadata?.uid === pod.metadata?.uid), `${pod.metadata?.name} was not recreated`);
    assert.deepEqual(JSON.parse(pod.metadata!.annotations![WORKING]!), { proxy: "proxy-2" });
    assert.equal(pod.status?.containerStatuses?.find((s) => s.name === "main")?.restartCount, 0);
  }
});
