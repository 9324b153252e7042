import assert from "node:assert/strict";
import { test } from "node:test";
import { Abandonment } from "../../../src/webhook/abandonment.js";

test("abandoning aborts the signal once and tells the current wait", () => {
  const a = new Abandonment();
  const told: string[] = [];
  let aborts = 0;
  a.signal.addEventListener("abort", () => aborts++);
  a.whileWaiting(() => told.push("body"));
  assert.equal(a.abandoned, false);
  a.abandon();
  a.abandon();
  assert.equal(a.abandoned, true);
  assert.equal(a.signal.aborted, true);
  assert.equal(aborts, 1);
  assert.deepEqual(told, ["body"]);
});

test("a wait that ended is not told; a later wait is", () => {
  const a = new Abandonment();
  const told: string[] = [];
  const stopBody = a.whileWaiting(() => told.push("body"));
  stopBody();
  const stopAnswer = a.whileWaiting(() => told.push("answer"));
  stopBody(); // ending an earlier wait again leaves the current one in place
  a.abandon();
  stopAnswer();
  assert.deepEqual(told, ["answer"]);
});

test("a wait begun after the abandonment is told at once", () => {
  const a = new Abandonment();
  a.abandon();
  const told: string[] = [];
  a.whileWaiting(() => told.push("late"));
  assert.deepEqual(told, ["late"]);
});

test("a signal first read after the abandonment is already aborted, and stays the same signal", () => {
  const a = new Abandonment();
  a.abandon();
  const signal = a.signal;
  assert.equal(signal.aborted, true);
  assert.equal(a.signal, signal);
});
