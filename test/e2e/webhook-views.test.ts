// Several replicas answer pod admissions behind one Service, so a SidecarSet's
// status.observedGeneration says "new pods get this generation" only once
// every replica's pod webhook holds it (docs/behaviour.md §6.4). Each replica
// says what its webhook holds in a Lease of its own; the Lease holder waits for
// the others', and never for good.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { leaseCollectionPath, microTime } from "../../src/kube/leader-election.js";
import { WEBHOOK_VIEW_ANNOTATION as VIEW_ANNOTATION, WEBHOOK_VIEW_LABEL as VIEW_LABEL } from "../../src/manager/webhook-view-lease.js";
import { createNamespace, MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { rawRequest } from "../support/kube.js";
import { getSidecarSet, patchSidecarSet, postSidecarSet, waitForObserved } from "../support/sidecarsets.js";

const env = useEnvironment({ managerArgs: ["--leader-elect"] });

const LEASES = leaseCollectionPath(MANAGER_NAMESPACE);
/** The harness runs its managers with `--webhook-view-lease-duration 6s`. */
const LEASE_SECONDS = 6;

interface ViewLease {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

async function viewLeases(): Promise<ViewLease[]> {
  return (await rawRequest<{ items: ViewLease[] }>(env().clients.kc, "GET", `${LEASES}?labelSelector=${encodeURIComponent(VIEW_LABEL)}`)).items;
}

const viewOf = (lease: ViewLease): Record<string, number> => JSON.parse(lease.metadata.annotations?.[VIEW_ANNOTATION] ?? "null") as Record<string, number>;

const sidecarSet = (name: string, image: string) => ({
  namespace: name,
  selector: { matchLabels: { app: name } },
  containers: [{ name: "agent", image, command: ["sleep", "infinity"] }],
});

test("every replica publishes the SidecarSet generations its pod webhook holds, and deletes its Lease when it stops", async () => {
  const name = "views-published";
  await createNamespace(env().clients, name);
  const replica = await env().startReplica(["--leader-elect"]);
  try {
    const created = await postSidecarSet(env(), name, sidecarSet(name, "registry.local/agent:1"));
    const uid = (created.metadata as { uid?: string }).uid!;
    await waitForObserved(env(), name);
    const both = await waitFor("two view Leases holding the SidecarSet at generation 1", async () => {
      const leases = await viewLeases();
      return leases.length === 2 && leases.every((l) => viewOf(l)[uid] === 1) ? leases : undefined;
    });
    for (const lease of both) {
      assert.equal(lease.spec?.leaseDurationSeconds, LEASE_SECONDS);
      assert.ok(lease.spec?.holderIdentity, "the Lease names the replica that renews it");
    }

    await patchSidecarSet(env(), name, { spec: { containers: [{ name: "agent", image: "registry.local/agent:2", command: ["sleep", "infinity"] }] } });
    const observed = await waitForObserved(env(), name);
    assert.equal(observed.metadata.generation, 2);
    const leases = await viewLeases();
    assert.deepEqual(
      leases.map((l) => viewOf(l)[uid]),
      [2, 2],
      "once the status says generation 2, both webhooks hold it",
    );
  } finally {
    await replica.stop();
  }
  await waitFor("the stopped replica's view Lease to be deleted", async () => ((await viewLeases()).length === 1 ? true : undefined));
  // Out of a cluster each replica points the webhook configurations at itself: point them back at the first one.
  await env().restartManager();
});

test("status.observedGeneration waits while another replica's webhook lags, follows as soon as it catches up, and stops waiting after one Lease duration", async () => {
  const name = "views-waited-for";
  await createNamespace(env().clients, name);
  // What a replica whose SidecarSet watch lags would publish: a view without this SidecarSet, renewed every second.
  const lagging = "sidecarset-webhook-view-lagging-replica";
  let view = "{}";
  let renewing = true;
  const renew = async () => {
    const body = (resourceVersion?: string) => ({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: lagging, ...(resourceVersion ? { resourceVersion } : {}), labels: { [VIEW_LABEL]: "true" }, annotations: { [VIEW_ANNOTATION]: view } },
      spec: { holderIdentity: "lagging-replica", leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime(Date.now()) },
    });
    const current = await rawRequest<ViewLease>(env().clients.kc, "GET", `${LEASES}/${lagging}`).catch(() => undefined);
    if (current) await rawRequest(env().clients.kc, "PUT", `${LEASES}/${lagging}`, body(current.metadata.resourceVersion));
    else await rawRequest(env().clients.kc, "POST", LEASES, body());
  };
  await renew();
  const renewals = (async () => {
    while (renewing) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (renewing) await renew();
    }
  })();
  try {
    const created = await postSidecarSet(env(), name, sidecarSet(name, "registry.local/agent:1"));
    const uid = (created.metadata as { uid?: string }).uid!;
    // The rest of the status is written meanwhile; only observedGeneration waits.
    await waitFor("the status to be written", async () => ((await getSidecarSet(env(), name)).status?.latestRevision ? true : undefined));
    for (const deadline = Date.now() + 3_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      assert.notEqual((await getSidecarSet(env(), name)).status?.observedGeneration, 1, "observed while another replica's webhook lacks the SidecarSet");
    }
    view = JSON.stringify({ [uid]: 1 });
    await renew();
    await waitForObserved(env(), name, "observed once the other replica holds it", { timeoutMs: 5_000 });

    // A replica that keeps renewing but never catches up is waited for one Lease duration, then logged.
    await patchSidecarSet(env(), name, { spec: { containers: [{ name: "agent", image: "registry.local/agent:2", command: ["sleep", "infinity"] }] } });
    const observed = await waitForObserved(env(), name, "generation 2 observed without the lagging replica", { timeoutMs: 30_000 });
    assert.equal(observed.metadata.generation, 2);
    const gaveUp = readFileSync(env().managerLog, "utf8")
      .split("\n")
      .filter((line) => line.includes("have not caught up with this SidecarSet generation"))
      .map((line) => JSON.parse(line) as { sidecarset?: string; generation?: number; replicas?: string[] });
    assert.deepEqual(
      gaveUp.map((l) => [l.sidecarset, l.generation, l.replicas]),
      [[name, 2, ["lagging-replica"]]],
      "the status went on without the lagging replica because the wait ran out, and the log says so",
    );
  } finally {
    renewing = false;
    await renewals;
    await rawRequest(env().clients.kc, "DELETE", `${LEASES}/${lagging}`);
  }
});

test("the Lease holder deletes the view Lease of a replica gone without deleting it, and keeps its own", async () => {
  // What a replica that was killed leaves: a view Lease nobody renews. Its own duration (1 s) sets when it counts as gone.
  const gone = "sidecarset-webhook-view-killed-replica";
  await rawRequest(env().clients.kc, "POST", LEASES, {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: gone, labels: { [VIEW_LABEL]: "true" }, annotations: { [VIEW_ANNOTATION]: "{}" } },
    spec: { holderIdentity: "killed-replica", leaseDurationSeconds: 1, renewTime: microTime(Date.now()) },
  });
  const names = async () => (await viewLeases()).map((l) => l.metadata.name);
  assert.ok((await names()).includes(gone));
  await waitFor("the gone replica's view Lease to be deleted", async () => (!(await names()).includes(gone) ? true : undefined), { timeoutMs: 30_000 });
  assert.equal((await names()).length, 1, "the holder's own view Lease stays");
  const said = readFileSync(env().managerLog, "utf8")
    .split("\n")
    .filter((line) => line.includes("deleted the webhook view Lease of a replica that is gone"))
    .map((line) => JSON.parse(line) as { lease?: string; holder?: string });
  assert.deepEqual(said.map((l) => [l.lease, l.holder]), [[gone, "killed-replica"]]);
});
