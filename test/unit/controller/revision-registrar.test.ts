import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { ControllerRevision, Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { RevisionRegistrar, type RegisteredRevision } from "../../../src/controller/revision-registrar.js";
import { buildRevision, revisionCreateBody } from "../../../src/core/rollout/revisions.js";
import { EncodedJson, type RawKubeClient } from "../../../src/kube/client.js";
import { apiErrorFromResponse } from "../../../src/kube/errors.js";
import { silentLogger, type Logger } from "../../../src/observability/logger.js";

const NS = "sidecarset-system";

/** A registration with nothing remembered: what the registrar's memory must agree with. */
function registerRevision(
  client: RawKubeClient,
  set: SidecarSet,
  cached: readonly ControllerRevision[],
  matched: () => readonly Pod[],
  opts: { namespace: string; logger: Logger },
): Promise<RegisteredRevision> {
  return new RevisionRegistrar(client, opts.namespace).register(set, cached, matched, opts.logger);
}

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
  private version = 0;

  /** Stamps a stored object with the next resourceVersion, as every write does. */
  private stamp(r: ControllerRevision): ControllerRevision {
    return { ...r, metadata: { ...r.metadata, resourceVersion: String(++this.version) } };
  }

  client(): RawKubeClient {
    return {
      create: async (_path: string, body: unknown) => {
        assert.ok(body instanceof EncodedJson, "revisions are created from encoded JSON");
        const r = JSON.parse(body.text) as ControllerRevision;
        const name = r.metadata?.name ?? "";
        this.calls.push(`create ${name}`);
        if (this.objects.has(name)) throw apiErrorFromResponse(409, { reason: "AlreadyExists", message: "exists" });
        const stored = this.stamp(r);
        this.objects.set(name, stored);
        return stored;
      },
      patch: async (path: string, patch: { revision?: number; metadata?: { labels?: Record<string, string> } }) => {
        const name = path.split("/").pop() ?? "";
        this.calls.push(`patch ${name}`);
        if (this.unwritable.has(name)) {
          throw apiErrorFromResponse(422, { reason: "Invalid", message: "data: Invalid value: field is immutable" });
        }
        const r = this.objects.get(name)!;
        const labels = patch.metadata?.labels ? { labels: { ...(r.metadata?.labels ?? {}), ...patch.metadata.labels } } : {};
        const updated = this.stamp({ ...r, metadata: { ...r.metadata, ...labels }, ...(patch.revision ? { revision: patch.revision } : {}) });
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

/**
 * One step of the property below: a reconcile of the SidecarSet now holding
 * `image` (and `customVersion`), or a revision deleted behind the manager's back.
 */
type Step = { kind: "reconcile"; image: number; customVersion: number } | { kind: "delete"; index: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("reconcile" as const), image: fc.integer({ min: 0, max: 3 }), customVersion: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), index: fc.nat() }) },
);

/**
 * The SidecarSet objects as an informer holds them: the same object while
 * nothing changed, a new one when the spec, a label or the status changed.
 */
class SetCache {
  private readonly objects = new Map<string, SidecarSet>();

  get(image: number, customVersion: number, collisionCount: number): SidecarSet {
    const key = `${image}/${customVersion}/${collisionCount}`;
    let set = this.objects.get(key);
    if (!set) {
      const base = shellSet(`busybox:1.3${image}`);
      set = {
        ...base,
        metadata: { ...base.metadata, labels: customVersion ? { "apps.kruise.io/sidecarset-custom-version": "v1" } : {} },
        spec: { ...base.spec, revisionHistoryLimit: 2 },
        status: { matchedPods: 0, updatedPods: 0, readyPods: 0, collisionCount },
      };
      this.objects.set(key, set);
    }
    return set;
  }
}

test("the registrar's memory answers as registering again would, with the same writes, over any sequence of specs and deletions", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 25 }), async (steps) => {
      const plain = new RevisionServer();
      const remembered = new RevisionServer();
      const registrar = new RevisionRegistrar(remembered.client(), NS);
      const sets = new SetCache();
      let collisionCount = 0;
      for (const step of steps) {
        if (step.kind === "delete") {
          const names = [...plain.objects.keys()].sort();
          const name = names[step.index % Math.max(1, names.length)];
          if (name) {
            plain.objects.delete(name);
            remembered.objects.delete(name);
          }
          continue;
        }
        const set = sets.get(step.image, step.customVersion, collisionCount);
        plain.calls.length = 0;
        remembered.calls.length = 0;
        const want = await registerRevision(plain.client(), set, plain.cached(), () => [], opts);
        const got = await registrar.register(set, remembered.cached(), () => [], silentLogger());
        assert.deepEqual(got, want);
        assert.deepEqual(remembered.calls, plain.calls, "the same writes");
        collisionCount = want.collisionCount;
      }
      const stored = (server: RevisionServer) => [...server.objects.values()].map((r) => [r.metadata?.name, r.revision, r.metadata?.labels]).sort();
      assert.deepEqual(stored(remembered), stored(plain));
    }),
    { numRuns: 200 },
  );
});

test("a reconcile that changes nothing registers from memory: the revisions are not compared again", async () => {
  const server = new RevisionServer();
  const registrar = new RevisionRegistrar(server.client(), NS);
  const set = shellSet("busybox:1.36");
  await registrar.register(set, [], () => [], silentLogger());
  const cached = server.cached();
  const first = await registrar.register(set, cached, () => [], silentLogger());
  server.calls.length = 0;
  // Same objects, same resourceVersions: had the data been compared, this history would call for a new revision.
  const misleading = cached.map((r) => ({ ...r, data: { changed: true } }));
  assert.deepEqual(await registrar.register(set, misleading, () => [], silentLogger()), first);
  assert.deepEqual(server.calls, []);
});
