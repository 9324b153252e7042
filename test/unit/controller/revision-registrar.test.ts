import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { registerRevision } from "../../../src/controller/revision-registrar.js";
import { buildRevision, revisionCreateBody } from "../../../src/core/rollout/revisions.js";
import { EncodedJson, type RawKubeClient } from "../../../src/kube/client.js";
import { apiErrorFromResponse } from "../../../src/kube/errors.js";
import { silentLogger } from "../../../src/observability/logger.js";

const NS = "sidecarset-system";

function shellSet(image: string): SidecarSet {
  return {
    metadata: { name: "agent", uid: "uid-1" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      containers: [{ name: "agent", image, command: ["sh", "-c", "true && sleep 1d"] }],
    },
  };
}

/**
 * Revisions by name, with the API server's rule that a stored revision whose
 * data bytes are not in Go's escaped form cannot be written again.
 */
class RevisionServer {
  readonly objects = new Map<string, ControllerRevision>();
  readonly unwritable = new Set<string>();
  readonly calls: string[] = [];

  client(): RawKubeClient {
    return {
      create: async (_path: string, body: unknown) => {
        assert.ok(body instanceof EncodedJson, "revisions are created from encoded JSON");
        const r = JSON.parse(body.text) as ControllerRevision;
        const name = r.metadata?.name ?? "";
        this.calls.push(`create ${name}`);
        if (this.objects.has(name)) throw apiErrorFromResponse(409, { reason: "AlreadyExists", message: "exists" });
        this.objects.set(name, r);
        return r;
      },
      patch: async (path: string, patch: { revision?: number }) => {
        const name = path.split("/").pop() ?? "";
        this.calls.push(`patch ${name}`);
        if (this.unwritable.has(name)) {
          throw apiErrorFromResponse(422, { reason: "Invalid", message: "data: Invalid value: field is immutable" });
        }
        const r = this.objects.get(name)!;
        const updated = { ...r, ...(patch.revision ? { revision: patch.revision } : {}) };
        this.objects.set(name, updated);
        return updated;
      },
      get: async (path: string) => this.objects.get(path.split("/").pop() ?? ""),
      delete: async (path: string) => {
        this.calls.push(`delete ${path.split("/").pop()}`);
        this.objects.delete(path.split("/").pop() ?? "");
      },
    } as unknown as RawKubeClient;
  }

  /** As an informer would hold them: data decoded. */
  cached(): ControllerRevision[] {
    return [...this.objects.values()].map((r) => JSON.parse(JSON.stringify(r)) as ControllerRevision);
  }
}

const opts = { namespace: NS, logger: silentLogger() };

test("a rollback raises the earlier revision holding the spec", async () => {
  const server = new RevisionServer();
  const first = await registerRevision(server.client(), shellSet("busybox:1.36"), [], () => [], opts);
  await registerRevision(server.client(), shellSet("busybox:1.37"), server.cached(), () => [], opts);
  server.calls.length = 0;
  const back = await registerRevision(server.client(), shellSet("busybox:1.36"), server.cached(), () => [], opts);
  assert.deepEqual(back, { latestRevision: first.latestRevision, collisionCount: 0 });
  assert.deepEqual(server.calls, [`patch ${first.latestRevision}`]);
  assert.equal(server.objects.get(first.latestRevision)?.revision, 3);
});

test("a rollback to a revision that cannot be written registers a copy under the next collision count, and then reuses it", async () => {
  const server = new RevisionServer();
  const old = shellSet("busybox:1.36");
  const legacy = buildRevision(old, { namespace: NS, revision: 1, collisionCount: 0 });
  server.objects.set(legacy.metadata!.name!, JSON.parse(revisionCreateBody(legacy)) as ControllerRevision);
  server.unwritable.add(legacy.metadata!.name!);
  await registerRevision(server.client(), shellSet("busybox:1.37"), server.cached(), () => [], opts);

  const back = await registerRevision(server.client(), old, server.cached(), () => [], opts);
  const copy = buildRevision(old, { namespace: NS, revision: 3, collisionCount: 1 });
  assert.deepEqual(back, { latestRevision: copy.metadata!.name, collisionCount: 1 });
  assert.equal(server.objects.get(copy.metadata!.name!)?.revision, 3);
  assert.equal(server.objects.get(legacy.metadata!.name!)?.revision, 1, "the unwritable revision is left as it was");

  server.calls.length = 0;
  const again = await registerRevision(server.client(), { ...old, status: { matchedPods: 0, updatedPods: 0, readyPods: 0, collisionCount: 1 } }, server.cached(), () => [], opts);
  assert.deepEqual(again, back);
  assert.deepEqual(server.calls, [], "the next reconcile writes nothing");
});

test("other write errors of a rollback are not hidden", async () => {
  const server = new RevisionServer();
  await registerRevision(server.client(), shellSet("busybox:1.36"), [], () => [], opts);
  await registerRevision(server.client(), shellSet("busybox:1.37"), server.cached(), () => [], opts);
  const client = server.client();
  client.patch = async () => {
    throw apiErrorFromResponse(403, { reason: "Forbidden", message: "no" });
  };
  await assert.rejects(registerRevision(client, shellSet("busybox:1.36"), server.cached(), () => [], opts), /no/);
});
