import assert from "node:assert/strict";
import { test } from "node:test";
import { ExponentialBackoffRateLimiter, runWorkers, WorkQueue } from "../../../src/kube/workqueue.js";
import { FakeClock } from "./fake-clock.js";

function newQueue(clock = new FakeClock()) {
  return { clock, queue: new WorkQueue<string>({ name: "test", clock }) };
}

/** Resolves on the next macrotask, after every pending microtask has run. */
const turn = () => new Promise<void>((r) => setImmediate(r));
// Workers take a macrotask turn between keys, so a key handed over needs two.
const tick = async () => {
  await turn();
  await turn();
};

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("a key added several times waits in the queue once", async () => {
  const { queue } = newQueue();
  queue.add("a");
  queue.add("b");
  queue.add("a");
  queue.add("a");
  assert.equal(queue.len(), 2);
  assert.equal(await queue.get(), "a");
  assert.equal(await queue.get(), "b");
  assert.equal(queue.len(), 0);
});

test("a key being processed is not handed to a second worker; re-added, it returns after done", async () => {
  const { queue } = newQueue();
  queue.add("a");
  const first = await queue.get();
  assert.equal(first, "a");
  queue.add("a");
  queue.add("a");
  assert.equal(queue.len(), 0, "the re-added key waits for the running one to finish");
  let second: string | undefined;
  void queue.get().then((k) => (second = k));
  await tick();
  assert.equal(second, undefined, "no second worker gets the key while it is processed");
  queue.done("a");
  await tick();
  assert.equal(second, "a", "the key comes back exactly once after done");
  assert.equal(queue.len(), 0);
});

test("a key not re-added while processing is not queued again by done", async () => {
  const { queue } = newQueue();
  queue.add("a");
  await queue.get();
  queue.done("a");
  assert.equal(queue.len(), 0);
});

test("a waiting get receives a key added later", async () => {
  const { queue } = newQueue();
  const pending = queue.get();
  queue.add("x");
  assert.equal(await pending, "x");
});

test("per-key backoff doubles from the base and is capped", () => {
  const limiter = new ExponentialBackoffRateLimiter<string>(5, 100);
  const delays = Array.from({ length: 7 }, () => limiter.when("k"));
  assert.deepEqual(delays, [5, 10, 20, 40, 80, 100, 100]);
  assert.equal(limiter.retries("k"), 7);
  assert.equal(limiter.when("other"), 5, "each key has its own backoff");
  limiter.forget("k");
  assert.equal(limiter.retries("k"), 0);
  assert.equal(limiter.when("k"), 5, "forget starts over from the base");
});

test("addRateLimited delays the key by its growing backoff until forget", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ name: "t", clock, rateLimiter: new ExponentialBackoffRateLimiter(100, 10_000) });
  const expectDelay = async (ms: number) => {
    queue.addRateLimited("k");
    clock.advance(ms - 1);
    assert.equal(queue.len(), 0, `not ready before ${ms}ms`);
    clock.advance(1);
    assert.equal(queue.len(), 1, `ready at ${ms}ms`);
    assert.equal(await queue.get(), "k");
    queue.done("k");
  };
  await expectDelay(100);
  await expectDelay(200);
  await expectDelay(400);
  assert.equal(queue.numRequeues("k"), 3);
  queue.forget("k");
  await expectDelay(100);
});

test("addAfter makes the key available only after the delay", () => {
  const { clock, queue } = newQueue();
  queue.addAfter("a", 1000);
  assert.equal(queue.len(), 0);
  assert.equal(queue.delayed(), 1);
  clock.advance(999);
  assert.equal(queue.len(), 0);
  clock.advance(1);
  assert.equal(queue.len(), 1);
  assert.equal(queue.delayed(), 0);
});

test("of two pending delays for one key the earlier wins and the key is added once", () => {
  const { clock, queue } = newQueue();
  queue.addAfter("a", 1000);
  queue.addAfter("a", 300);
  queue.addAfter("a", 5000);
  clock.advance(300);
  assert.equal(queue.len(), 1);
  clock.advance(10_000);
  assert.equal(queue.len(), 1, "the later timers were dropped, not added again");
  assert.equal(clock.pendingTimers(), 0);
});

test("addAfter with no delay adds at once", () => {
  const { queue } = newQueue();
  queue.addAfter("a", 0);
  queue.addAfter("b", -5);
  assert.equal(queue.len(), 2);
});

test("shutDown stops handing out keys, drops queued and delayed ones, and waits for in-flight work", async () => {
  const { clock, queue } = newQueue();
  queue.add("busy");
  queue.add("queued");
  queue.addAfter("later", 100);
  assert.equal(await queue.get(), "busy");
  let drained = false;
  const shutdown = queue.shutDown().then(() => (drained = true));
  await tick();
  assert.equal(drained, false, "shutDown waits while a key is being processed");
  assert.equal(await queue.get(), undefined, "no more keys after shutdown");
  queue.add("new");
  clock.advance(1000);
  assert.equal(queue.len(), 0, "adds and delayed keys are dropped after shutdown");
  queue.done("busy");
  await shutdown;
  assert.equal(drained, true);
});

test("shutDown wakes workers waiting for a key", async () => {
  const { queue } = newQueue();
  const waiting = queue.get();
  await queue.shutDown();
  assert.equal(await waiting, undefined);
});

test("metrics hooks see depth, adds, retries and durations", async () => {
  const clock = new FakeClock();
  const seen = { depth: [] as number[], added: 0, retried: 0, latency: [] as number[], work: [] as number[] };
  const queue = new WorkQueue<string>({
    name: "m",
    clock,
    metrics: {
      depth: (n) => seen.depth.push(n),
      added: () => seen.added++,
      retried: () => seen.retried++,
      queueLatency: (s) => seen.latency.push(s),
      workDuration: (s) => seen.work.push(s),
    },
  });
  queue.add("a");
  queue.add("b");
  queue.add("a");
  clock.advance(2000);
  await queue.get();
  clock.advance(500);
  queue.done("a");
  queue.addRateLimited("a");
  assert.equal(seen.added, 2, "a de-duplicated add is not counted");
  assert.equal(seen.retried, 1);
  assert.deepEqual(seen.depth, [1, 2, 1]);
  assert.deepEqual(seen.latency, [2]);
  assert.deepEqual(seen.work, [0.5]);
});

test("runWorkers never processes one key in two workers and runs at most N at once", async () => {
  const queue = new WorkQueue<string>({ name: "w" });
  const active = new Set<string>();
  let maxActive = 0;
  let overlaps = 0;
  const processed: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const run = runWorkers(
    queue,
    async (key) => {
      if (active.has(key)) overlaps++;
      active.add(key);
      maxActive = Math.max(maxActive, active.size);
      const gate = deferred();
      gates.set(key, gate);
      await gate.promise;
      active.delete(key);
      processed.push(key);
    },
    { workers: 2 },
  );
  for (const k of ["a", "b", "c"]) queue.add(k);
  await tick();
  assert.deepEqual([...active].sort(), ["a", "b"], "two workers took two keys");
  queue.add("a"); // re-added while being processed
  gates.get("a")!.resolve();
  await tick();
  assert.ok(active.has("c"), "the free worker takes the next queued key first");
  gates.get("b")!.resolve();
  await tick();
  assert.ok(active.has("a"), "the re-added key runs again once its first run is done");
  gates.get("c")!.resolve();
  gates.get("a")!.resolve();
  await tick();
  await queue.shutDown();
  await run;
  assert.equal(overlaps, 0);
  assert.equal(maxActive, 2);
  assert.deepEqual(processed, ["a", "b", "c", "a"]);
});

test("runWorkers retries a failing key with backoff and forgets the backoff after success", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ name: "r", clock, rateLimiter: new ExponentialBackoffRateLimiter(50, 1000) });
  let attempts = 0;
  const errors: unknown[] = [];
  const run = runWorkers(
    queue,
    async () => {
      attempts++;
      if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
    },
    { workers: 1, onError: (_k, e) => errors.push(e) },
  );
  queue.add("k");
  await tick();
  assert.equal(attempts, 1);
  assert.equal(queue.numRequeues("k"), 1);
  clock.advance(49);
  await tick();
  assert.equal(attempts, 1, "the retry waits for the backoff");
  clock.advance(1);
  await tick();
  assert.equal(attempts, 2);
  clock.advance(100);
  await tick();
  assert.equal(attempts, 3);
  assert.equal(queue.numRequeues("k"), 0, "success forgets the backoff");
  assert.equal(errors.length, 2);
  await queue.shutDown();
  await run;
});

test("runWorkers requeues after the delay a handler asks for", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ name: "q", clock });
  let runs = 0;
  const run = runWorkers(
    queue,
    async () => {
      runs++;
      return runs === 1 ? { requeueAfterMs: 1000 } : undefined;
    },
    { workers: 1 },
  );
  queue.add("k");
  await tick();
  assert.equal(runs, 1);
  clock.advance(999);
  await tick();
  assert.equal(runs, 1);
  clock.advance(1);
  await tick();
  assert.equal(runs, 2);
  await queue.shutDown();
  await run;
});

test("runWorkers lets a macrotask run between two keys of one worker", async () => {
  const queue = new WorkQueue<string>({ name: "w" });
  const order: string[] = [];
  const run = runWorkers(
    queue,
    async (key) => {
      order.push(`start ${key}`);
      // Queued while the key is processed; must run before the next key starts.
      setImmediate(() => order.push(`macrotask after ${key}`));
    },
    { workers: 1 },
  );
  queue.add("a");
  queue.add("b");
  for (let i = 0; i < 6; i++) await turn();
  await queue.shutDown();
  await run;
  assert.deepEqual(order.slice(0, 3), ["start a", "macrotask after a", "start b"]);
});
