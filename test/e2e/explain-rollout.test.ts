// `sidecarset explain`, `rollout` and `plan NAME` against the real API server
// and controller, run as a user runs them (a separate process with a
// kubeconfig): the verdicts follow what the cluster holds, pause holds a new
// version back and resume lets it roll out to completion, history lists the
// revisions, a halt shows in both commands, and undo writes an old revision
// back into the spec. Missing objects are one line naming them, exit 1.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli, useEnvironment, waitFor } from "../support/environment.js";
import { MERGE_PATCH, rawRequest } from "../support/kube.js";
import { activePods, deploySettled, podName, setSidecarImage } from "../support/rollout.js";
import { getSidecarSet, SIDECARSETS, waitForObserved } from "../support/sidecarsets.js";

const env = useEnvironment();

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";
const V3 = "registry.local/agent:3";
const NAME = "explain-rollout";

/** The CLI as a user runs it, with the cluster's admin kubeconfig, in its own process (the fake kubelet runs in this one). */
function sidecarset(args: string[]): ReturnType<typeof runCli> {
  return runCli([...args, "--kubeconfig", env().cluster.kubeconfigPath]);
}

interface Explanation {
  pod: string;
  sidecarSets: { sidecarSet: string; injection: { verdict: string; reason: string }; rollout?: { verdict: string; reason: string } }[];
}

async function explain(pod: string): Promise<Explanation["sidecarSets"][number]> {
  const r = await sidecarset(["explain", `pod/${pod}`, `sidecarset/${NAME}`, "-n", NAME, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout) as Explanation;
  assert.equal(e.pod, `${NAME}/${pod}`);
  return e.sidecarSets[0]!;
}

test("explain, plan NAME and rollout status|history|pause|resume|undo follow one SidecarSet through its rollouts", async () => {
  await deploySettled(env(), NAME, { replicas: 3, image: V1, updateStrategy: { maxUnavailable: 1 } });
  const pod = podName((await activePods(env(), NAME, NAME))[0]!);

  const settled = await explain(pod);
  assert.equal(settled.injection.verdict, "injected");
  assert.deepEqual(settled.rollout, { verdict: "updated", reason: "runs the current version" });

  const plan = await sidecarset(["plan", NAME, "-o", "json"]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.deepEqual(JSON.parse(plan.stdout).status, { matchedPods: 3, updatedPods: 3, readyPods: 3, updatedReadyPods: 3 });

  const missingPod = await sidecarset(["explain", "pod/nobody", "-n", NAME]);
  assert.deepEqual([missingPod.code, missingPod.stderr], [1, `pod ${NAME}/nobody not found\n`]);
  const missingSet = await sidecarset(["explain", `pod/${pod}`, "sidecarset/nothing", "-n", NAME]);
  assert.deepEqual([missingSet.code, missingSet.stderr], [1, "SidecarSet nothing not found\n"]);

  // Paused: the new version is held back, and says so.
  assert.equal((await sidecarset(["rollout", "pause", NAME])).stdout, `sidecarset/${NAME} paused\n`);
  assert.equal((await getSidecarSet(env(), NAME)).spec.updateStrategy?.paused, true);
  await setSidecarImage(env(), NAME, V2);
  assert.deepEqual(await explain(pod).then((v) => v.rollout?.verdict), "paused");
  const held = await sidecarset(["rollout", "status", NAME]);
  assert.equal(held.code, 1, "a rollout that is not complete, without --watch, exits 1");
  assert.match(held.stdout, /^paused: 3 pod\(s\) wait for `rollout resume`$/m);

  // Resumed: it runs to completion, which `status --watch` waits for.
  assert.equal((await sidecarset(["rollout", "resume", NAME])).code, 0);
  const resumed = await getSidecarSet(env(), NAME);
  assert.equal(resumed.spec.updateStrategy?.paused ?? false, false);
  assert.match(resumed.metadata.annotations?.["sidecarset.io/resumed-at"] ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  const watched = await sidecarset(["rollout", "status", NAME, "--watch", "--timeout", "75s"]);
  assert.equal(watched.code, 0, `${watched.stdout}${watched.stderr}`);
  assert.match(watched.stdout, /^rollout complete$/m);
  assert.match(watched.stdout, /: 3 of 3 updated, 3 updated and ready$/m);

  const history = await sidecarset(["rollout", "history", NAME, "-o", "json"]);
  assert.equal(history.code, 0, history.stderr);
  const rows = JSON.parse(history.stdout) as { revision: number; images: string[]; current: boolean }[];
  assert.deepEqual(
    rows.map((r) => [r.revision, r.images, r.current]),
    [
      [1, [`agent=${V1}`], false],
      [2, [`agent=${V2}`], true],
    ],
  );

  // Halted (the condition the progress deadline sets): both commands say so.
  await setSidecarImage(env(), NAME, V3, { maxUnavailable: 1, partition: 3 });
  await waitForObserved(env(), NAME);
  const condition = { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "pod failed after its upgrade" };
  await rawRequest(env().clients.kc, "PATCH", `${SIDECARSETS}/${NAME}/status`, { status: { conditions: [condition] } }, MERGE_PATCH);
  await waitFor("the halt condition to be stored", async () =>
    ((await getSidecarSet(env(), NAME)).status as { conditions?: { type: string }[] } | undefined)?.conditions?.some((c) => c.type === "Progressing"),
  );
  assert.deepEqual(await explain(pod).then((v) => v.rollout), { verdict: "halted: progress deadline", reason: "pod failed after its upgrade" });
  const halted = await sidecarset(["rollout", "status", NAME, "--watch"]);
  assert.equal(halted.code, 1, "a halted rollout ends the watch with exit 1");
  assert.match(halted.stdout, /^halted: progress deadline exceeded: pod failed after its upgrade/m);

  // Undo: a revision that does not exist is answered with the ones that do; an existing one is written back.
  const unknown = await sidecarset(["rollout", "undo", NAME, "--to-revision", "99"]);
  assert.deepEqual([unknown.code, unknown.stderr], [1, `SidecarSet ${NAME} has no revision 99; its revisions are 1, 2, 3\n`]);
  const undone = await sidecarset(["rollout", "undo", NAME, "--to-revision", "1"]);
  assert.equal(undone.code, 0, undone.stderr);
  assert.match(undone.stdout, new RegExp(`^sidecarset/${NAME} rolled back to revision 1 \\(${NAME}-[a-z0-9]+\\)\\n$`));
  assert.equal((await getSidecarSet(env(), NAME)).spec.containers[0]!.image, V1);
});
