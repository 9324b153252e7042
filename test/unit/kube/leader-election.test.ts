import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeApiError } from "../../../src/kube/errors.js";
import {
  LeaderElector,
  microTime,
  type ElectionClock,
  type Lease,
  type LeaseClient,
  type LeaderElectorOptions,
} from "../../../src/kube/leader-election.js";

/** An in-memory Lease with the API server's optimistic concurrency. */
class FakeLeaseStore {
  lease: Lease | undefined;
  private rv = 0;
  writes = 0;
  failReads = false;
  failWrites = false;
  /** Runs just before an update is applied: simulates a competing writer. */
  beforeUpdate: (() => void) | undefined;

  client(): LeaseClient {
    return {
      get: async () => {
        if (this.failReads) throw new Error("connection refused");
        return this.lease ? structuredClone(this.lease) : undefined;
      },
      create: async (lease) => {
        if (this.failWrites) throw new Error("connection refused");
        if (this.lease) throw new KubeApiError(409, "AlreadyExists", "leases.coordination.k8s.io already exists");
        return this.store(lease);
      },
      update: async (lease) => {
        if (this.failWrites) throw new Error("connection refused");
        const hook = this.beforeUpdate;
        this.beforeUpdate = undefined;
        hook?.();
        if (!this.lease) throw new KubeApiError(404, "NotFound", "not found");
        if (lease.metadata.resourceVersion !== this.lease.metadata.resourceVersion) {
          throw new KubeApiError(409, "Conflict", "the object has been modified");
        }
        return this.store(lease);
      },
    };
  }

  /** Another process writing the Lease directly. */
  writeAs(holder: string, renewMs: number, durationSeconds = 15): void {
    this.store({
      metadata: { name: "lock", namespace: "ns" },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: durationSeconds,
        acquireTime: microTime(renewMs),
        renewTime: microTime(renewMs),
        leaseTransitions: this.lease?.spec?.leaseTransitions ?? 0,
      },
    });
  }

  private store(lease: Lease): Lease {
    this.writes++;
    this.lease = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    return structuredClone(this.lease);
  }
}

/** Time moves only by `advance` or by the elector sleeping, so run() needs no real waiting. */
class SteppingClock implements ElectionClock {
  t = 1_700_000_000_000;
  onSleep: ((ms: number) => void) | undefined;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.t += ms;
    this.onSleep?.(ms);
    await new Promise<void>((r) => setImmediate(r));
  }
}

function elector(store: FakeLeaseStore, clock: SteppingClock, identity: string, extra: Partial<LeaderElectorOptions> = {}) {
  return new LeaderElector({
    lease: store.client(),
    name: "lock",
    namespace: "ns",
    identity,
    clock,
    onStartedLeading: () => {},
    ...extra,
  });
}

test("a candidate creates a missing Lease and leads", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const a = elector(store, clock, "a");
  assert.equal(await a.tryAcquireOrRenew(), true);
  assert.equal(a.isLeader(), true);
  assert.equal(store.lease?.spec?.holderIdentity, "a");
  assert.equal(store.lease?.spec?.leaseDurationSeconds, 15, "client-go's default lease duration");
  assert.equal(store.lease?.spec?.leaseTransitions, 0);
  assert.equal(store.lease?.spec?.acquireTime, microTime(clock.t));
});

test("renewing keeps acquireTime and transitions and moves renewTime", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const a = elector(store, clock, "a");
  await a.tryAcquireOrRenew();
  const acquired = store.lease!.spec!.acquireTime;
  clock.t += 2000;
  assert.equal(await a.tryAcquireOrRenew(), true);
  assert.equal(store.lease?.spec?.acquireTime, acquired);
  assert.equal(store.lease?.spec?.renewTime, microTime(clock.t));
  assert.equal(store.lease?.spec?.leaseTransitions, 0);
});

test("a Lease held by another is taken only after it stayed unchanged for its duration on our clock", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  // The holder's clock is far behind ours: remote timestamps must not matter.
  store.writeAs("other", clock.t - 3_600_000);
  const b = elector(store, clock, "b");
  assert.equal(await b.tryAcquireOrRenew(), false, "a Lease seen for the first time counts as fresh");
  clock.t += 14_999;
  assert.equal(await b.tryAcquireOrRenew(), false);
  clock.t += 1;
  assert.equal(await b.tryAcquireOrRenew(), true);
  assert.equal(store.lease?.spec?.holderIdentity, "b");
  assert.equal(store.lease?.spec?.leaseTransitions, 1, "a change of holder counts a transition");
  assert.equal(b.observedLeader, "b");
});

test("a holder that keeps renewing is never taken over", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  store.writeAs("other", 0);
  const b = elector(store, clock, "b");
  for (let i = 0; i < 10; i++) {
    assert.equal(await b.tryAcquireOrRenew(), false);
    clock.t += 10_000;
    store.writeAs("other", i + 1); // renewed: the Lease content changed
  }
  assert.equal(store.lease?.spec?.holderIdentity, "other");
});

test("the holder's own leaseDurationSeconds decides when its Lease expires", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  store.writeAs("other", 0, 60);
  const b = elector(store, clock, "b");
  await b.tryAcquireOrRenew();
  clock.t += 30_000;
  assert.equal(await b.tryAcquireOrRenew(), false, "30 s is past our 15 s but within the holder's 60 s");
  clock.t += 30_000;
  assert.equal(await b.tryAcquireOrRenew(), true);
});

test("an empty holder (a released Lease) is taken at once", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  store.writeAs("", 0);
  assert.equal(await elector(store, clock, "b").tryAcquireOrRenew(), true);
});

test("of two candidates racing for an expired Lease only one wins; the loser's write conflicts", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  store.writeAs("old", 0);
  const b = elector(store, clock, "b");
  const c = elector(store, clock, "c");
  await b.tryAcquireOrRenew();
  await c.tryAcquireOrRenew();
  clock.t += 20_000;
  // c takes the Lease between b's read and b's write.
  store.beforeUpdate = () => {
    store.writeAs("c", clock.t);
  };
  assert.equal(await b.tryAcquireOrRenew(), false);
  assert.equal(b.isLeader(), false);
  assert.equal(store.lease?.spec?.holderIdentity, "c");
});

test("two candidates creating the Lease at once: the second gets AlreadyExists and does not lead", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const a = elector(store, clock, "a");
  const b = elector(store, clock, "b");
  const [ra, rb] = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
  assert.deepEqual([ra, rb].sort(), [false, true]);
  assert.equal(a.isLeader() !== b.isLeader(), true);
});

test("run leads, renews, and on cancel releases the Lease so another takes it without waiting", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const stop = new AbortController();
  const events: string[] = [];
  let leadership: AbortSignal | undefined;
  const a = elector(store, clock, "a", {
    onStartedLeading: (signal) => {
      leadership = signal;
      events.push("started");
    },
    onStoppedLeading: () => events.push("stopped"),
  });
  let sleeps = 0;
  clock.onSleep = () => {
    if (++sleeps === 5) stop.abort();
  };
  await a.run(stop.signal);
  assert.deepEqual(events, ["started", "stopped"]);
  assert.equal(leadership?.aborted, true, "the leadership signal aborts when leading ends");
  assert.ok(store.writes >= 4, "the Lease was renewed while leading");
  assert.equal(store.lease?.spec?.holderIdentity, "", "released on cancel");
  assert.equal(store.lease?.spec?.leaseDurationSeconds, 1);
  const b = elector(store, clock, "b");
  assert.equal(await b.tryAcquireOrRenew(), true);
});

test("run gives up leadership when renewing fails for renewDeadline", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const events: string[] = [];
  const a = elector(store, clock, "a", {
    onStartedLeading: () => events.push("started"),
    onStoppedLeading: () => events.push("stopped"),
  });
  let sleeps = 0;
  clock.onSleep = () => {
    if (++sleeps === 2) store.failWrites = true;
  };
  const began = clock.t;
  await a.run(new AbortController().signal);
  assert.deepEqual(events, ["started", "stopped"]);
  assert.equal(a.isLeader(), false);
  const lostAfter = clock.t - began;
  assert.ok(lostAfter >= 2_000 + 10_000, `kept leading until renewDeadline passed (lost after ${lostAfter}ms)`);
  assert.ok(lostAfter < 2_000 + 15_000, "gave up before the Lease could expire for others");
});

test("run stops leading at once when another holder took the Lease", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const a = elector(store, clock, "a");
  let sleeps = 0;
  clock.onSleep = () => {
    if (++sleeps === 2) store.writeAs("intruder", clock.t);
  };
  await a.run(new AbortController().signal);
  assert.equal(a.isLeader(), false);
  assert.equal(sleeps, 2, "no further renew attempts after seeing the new holder");
  assert.equal(store.lease?.spec?.holderIdentity, "intruder", "a lost Lease is not released");
});

test("a read error while campaigning is retried, not fatal", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  store.failReads = true;
  const stop = new AbortController();
  let started = false;
  const a = elector(store, clock, "a", { onStartedLeading: () => (started = true) });
  let sleeps = 0;
  clock.onSleep = () => {
    sleeps++;
    if (sleeps === 3) store.failReads = false;
    if (sleeps === 5) stop.abort();
  };
  await a.run(stop.signal);
  assert.equal(started, true);
});

test("onNewLeader is told each new holder once", async () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  const seen: string[] = [];
  store.writeAs("x", 0);
  const b = elector(store, clock, "b", { onNewLeader: (id) => seen.push(id) });
  await b.tryAcquireOrRenew();
  await b.tryAcquireOrRenew();
  clock.t += 16_000;
  await b.tryAcquireOrRenew();
  assert.deepEqual(seen, ["x", "b"]);
});

test("durations must satisfy leaseDuration > renewDeadline > retryPeriod", () => {
  const store = new FakeLeaseStore();
  const clock = new SteppingClock();
  assert.throws(() => elector(store, clock, "a", { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /leaseDuration/);
  assert.throws(() => elector(store, clock, "a", { renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline/);
});

test("MicroTime has exactly six fractional digits, as the API server parses it", () => {
  assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), "2024-01-02T03:04:05.678000Z");
});
