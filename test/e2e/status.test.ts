// SidecarSet status and printer columns as the API server serves them, and
// the controller running under leader election.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ControllerRevision } from "../../src/api/kube-types.js";
import { REVISION_SIDECARSET_NAME_LABEL } from "../../src/api/keys.js";
import { MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { apiErrorCode, isPodReady, rawRequest } from "../support/kube.js";
import {
  activePods,
  deploySettled,
  getWithAccept,
  runsSpecImage,
  setSidecarImage,
  specImage,
  statusImage,
  waitForAppPods,
  waitForStatus,
} from "../support/rollout.js";
import { SIDECARSETS } from "../support/sidecarsets.js";

const env = useEnvironment();

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";
const BROKEN = "registry.local/agent:3-broken";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";

interface Table {
  kind: string;
  columnDefinitions: { name: string; type: string }[];
  rows: { cells: unknown[]; object: { metadata: { name: string } } }[];
}

test("status counts matched, updated, ready and updated-and-ready pods exactly, and kubectl's printer columns show them", async () => {
  const ns = "status-counts";
  const name = "status-counts";
  await deploySettled(env(), name, {
    replicas: 6,
    image: V1,
    updateStrategy: { maxUnavailable: 6 },
    settled: { matchedPods: 6, updatedPods: 6, readyPods: 6, updatedReadyPods: 6 },
  });

  // partition 2: four pods move to V2 and become ready again.
  await setSidecarImage(env(), name, V2, { maxUnavailable: 6, partition: 2 });
  await waitForAppPods(env(), ns, name, 6, (p) => runsSpecImage(p));
  await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 4, readyPods: 6, updatedReadyPods: 4 });

  // partition 4: two pods move to a broken image that never becomes ready.
  await setSidecarImage(env(), name, BROKEN, { maxUnavailable: 6, partition: 4 });
  await waitFor("two pods running the broken image", async () => {
    const pods = await activePods(env(), ns, name);
    return pods.filter((p) => statusImage(p) === BROKEN && !isPodReady(p)).length === 2;
  });
  const set = await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 2, readyPods: 4, updatedReadyPods: 0 });
  const pods = await activePods(env(), ns, name);
  assert.equal(pods.filter((p) => specImage(p) === BROKEN).length, 2);
  assert.equal(pods.filter(isPodReady).length, 4);

  const revision = await rawRequest<ControllerRevision>(
    env().clients.kc,
    "GET",
    `/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions/${set.status?.latestRevision}`,
  );
  assert.equal(revision.metadata?.labels?.[REVISION_SIDECARSET_NAME_LABEL], name, "status.latestRevision names this SidecarSet's revision");
  assert.equal(revision.revision, 3, "three specs so far: V1, V2, broken");

  const table = await getWithAccept<Table>(env().clients.kc, SIDECARSETS, TABLE);
  assert.equal(table.kind, "Table");
  assert.deepEqual(
    table.columnDefinitions.map((c) => c.name),
    ["Name", "MATCHED", "UPDATED", "READY", "UPDATEDREADY", "AGE"],
  );
  const row = table.rows.find((r) => r.cells[0] === name);
  assert.ok(row, `a row for ${name}: ${JSON.stringify(table.rows.map((r) => r.cells))}`);
  assert.deepEqual(row.cells.slice(0, 5), [name, 6, 2, 4, 0]);
  assert.match(String(row.cells[5]), /^\d+(s|m)/, "AGE is a duration");
});

test("with --leader-elect the manager takes the sidecarset-manager Lease and still upgrades pods", async () => {
  await env().restartManager(["--leader-elect"]);
  const lease = await waitFor("the Lease to have a holder", async () => {
    try {
      const l = await env().clients.coordination.readNamespacedLease({ name: "sidecarset-manager", namespace: MANAGER_NAMESPACE });
      return l.spec?.holderIdentity ? l : undefined;
    } catch (e) {
      if (apiErrorCode(e) === 404) return undefined;
      throw e;
    }
  });
  assert.ok(lease.spec?.leaseDurationSeconds && lease.spec.leaseDurationSeconds > 0, "the Lease has a duration");
  // The log reaches its file through a pipe, after the Lease write it follows: wait for the line.
  await waitFor(`the manager to log that it became leader as the Lease's holder ${lease.spec?.holderIdentity}`, async () =>
    readFileSync(env().managerLog, "utf8")
      .split("\n")
      .filter((l) => l.includes('"became leader"'))
      .map((l) => JSON.parse(l) as { identity?: string })
      .some((l) => l.identity === lease.spec?.holderIdentity),
  );

  const ns = "leader-elect";
  const name = "leader-elect";
  await deploySettled(env(), name, { replicas: 3, image: V1, updateStrategy: { maxUnavailable: 3 }, settled: { matchedPods: 3, updatedPods: 3 } });
  await setSidecarImage(env(), name, V2, { maxUnavailable: 3 });
  await waitForAppPods(env(), ns, name, 3, (p) => specImage(p) === V2 && runsSpecImage(p));
  await waitForStatus(env(), name, { matchedPods: 3, updatedPods: 3, readyPods: 3, updatedReadyPods: 3 });
});
