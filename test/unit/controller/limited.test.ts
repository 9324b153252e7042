import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachLimited } from "../../../src/controller/limited.js";

const tick = () => new Promise<void>((r) => setImmediate(r));

test("runs every item, never more than the limit at once", async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    most = Math.max(most, running);
    await tick();
    running--;
    done.push(n);
  });
  assert.equal(most, 3);
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
});

test("after a failure no new item starts; the started ones finish; the first error is thrown", async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await assert.rejects(
    forEachLimited([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error("first");
      if (n === 2) throw new Error("second");
      finished.push(n);
    }),
    /first/,
  );
  assert.deepEqual(started, [1, 2]);
  assert.deepEqual(finished, []);
});

test("no items: nothing runs", async () => {
  let calls = 0;
  await forEachLimited([], 4, async () => void calls++);
  assert.equal(calls, 0);
});
