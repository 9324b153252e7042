import assert from "node:assert/strict";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RequestDeadlines } from "../../../src/webhook/request-deadlines.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a deadline fires after its time, once, unless cleared before", async () => {
  const deadlines = new RequestDeadlines(30);
  const fired: string[] = [];
  const a = deadlines.start(() => fired.push("a"));
  const b = deadlines.start(() => fired.push("b"));
  deadlines.start(() => fired.push("c"));
  b.clear();
  // b is answered but stays behind a, which is not.
  assert.equal(deadlines.size(), 3);
  await sleep(80);
  assert.deepEqual(fired, ["a", "c"]);
  a.clear(); // after it fired: nothing happens
  await sleep(40);
  assert.deepEqual(fired, ["a", "c"]);
  assert.equal(deadlines.size(), 0);
});

test("a request answered at the front does not hold back the deadline of one behind it", async () => {
  let now = 0;
  const deadlines = new RequestDeadlines(20, () => now);
  const fired: number[] = [];
  const first = deadlines.start(() => fired.push(1));
  now = 10;
  deadlines.start(() => fired.push(2));
  first.clear();
  // The timer armed for the first request fires with nothing due and is set for the second.
  now = 25;
  await sleep(40);
  assert.deepEqual(fired, []);
  now = 30;
  await sleep(40);
  assert.deepEqual(fired, [2]);
});

test("answered requests leave the queue as they reach its front", () => {
  const deadlines = new RequestDeadlines(60_000);
  const all = Array.from({ length: 1000 }, () => deadlines.start(() => assert.fail("must not fire")));
  for (const d of all.slice(1)) d.clear();
  assert.equal(deadlines.size(), 1000, "held behind the one still unanswered");
  all[0]!.clear();
  assert.equal(deadlines.size(), 0);
  deadlines.stop();
});

test("stop: pending deadlines never fire", async () => {
  const deadlines = new RequestDeadlines(10);
  let fired = false;
  deadlines.start(() => (fired = true));
  deadlines.stop();
  await sleep(40);
  assert.equal(fired, false);
});

test("an answered request waiting behind an unanswered one no longer holds what its callback holds", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const deadlines = new RequestDeadlines(60_000);
  deadlines.start(() => assert.fail("must not fire"));
  // What a request's callback holds (in the server: the response, its socket, the request).
  let requestObjects: { body: Uint8Array } | undefined = { body: new Uint8Array(1 << 20) };
  const held = new WeakRef(requestObjects);
  const answered = deadlines.start(((objects) => () => assert.ok(objects.body))(requestObjects));
  requestObjects = undefined;
  answered.clear();
  assert.equal(deadlines.size(), 2, "still queued behind the unanswered one");
  // A WeakRef's target stays alive until the current job ends.
  await sleep(0);
  gc();
  assert.equal(held.deref(), undefined);
  deadlines.stop();
});
