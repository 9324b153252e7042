import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { ConnectionLimit } from "../../../src/webhook/connection-limit.js";

class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly name: string) {
    super();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}

function sockets(n: number): FakeSocket[] {
  return Array.from({ length: n }, (_, i) => new FakeSocket(`s${i}`));
}

test("up to the limit every connection stays open", () => {
  const limit = new ConnectionLimit<FakeSocket>(3);
  const all = sockets(3);
  for (const s of all) limit.accepted(s);
  assert.deepEqual(
    all.map((s) => s.destroyed),
    [false, false, false],
  );
  assert.equal(limit.openCount(), 3);
});

test("past the limit the connection idle the longest is closed, not the newest", () => {
  const closed: string[] = [];
  const limit = new ConnectionLimit<FakeSocket>(2, (s) => closed.push(s.name));
  const [a, b, c] = sockets(3) as [FakeSocket, FakeSocket, FakeSocket];
  limit.accepted(a);
  limit.accepted(b);
  // a answers a request after b was accepted, so b has been idle longer
  limit.busy(a);
  limit.answered(a);
  limit.accepted(c);
  assert.deepEqual(closed, ["s1"]);
  assert.equal(b.destroyed, true);
  assert.equal(a.destroyed, false);
  assert.equal(c.destroyed, false);
  assert.equal(limit.openCount(), 2);
});

test("neither a connection answering a request nor the new one is closed: the limit waits for idle ones", () => {
  const closed: string[] = [];
  const limit = new ConnectionLimit<FakeSocket>(2, (s) => closed.push(s.name));
  const [a, b, c, d] = sockets(4) as [FakeSocket, FakeSocket, FakeSocket, FakeSocket];
  limit.accepted(a);
  limit.busy(a);
  limit.accepted(b);
  limit.busy(b);
  limit.accepted(c);
  assert.deepEqual(closed, [], "the others busy: over the limit, none closed");
  assert.equal(limit.openCount(), 3);
  limit.busy(c);
  limit.answered(b);
  limit.accepted(d);
  // b is the only idle one: closed; a and c answer requests, d is new
  assert.deepEqual(closed, ["s1"]);
  assert.deepEqual(
    [a, c, d].map((s) => s.destroyed),
    [false, false, false],
  );
  assert.equal(limit.openCount(), 3);
});

test("connections that close by themselves leave the count", () => {
  const limit = new ConnectionLimit<FakeSocket>(2);
  const [a, b, c] = sockets(3) as [FakeSocket, FakeSocket, FakeSocket];
  limit.accepted(a);
  limit.accepted(b);
  a.emit("close");
  limit.accepted(c);
  assert.equal(b.destroyed, false);
  assert.equal(c.destroyed, false);
  assert.equal(limit.openCount(), 2);
  assert.equal(limit.idleCount(), 2);
  // an answer on a connection that has closed does not bring it back
  limit.answered(a);
  assert.equal(limit.idleCount(), 2);
});

test("a limit that is not a positive integer is refused", () => {
  assert.throws(() => new ConnectionLimit(0), /positive integer/);
  assert.throws(() => new ConnectionLimit(1.5), /positive integer/);
});

test("a flood of connections that send nothing keeps the count at the limit, closing the oldest first", () => {
  const closed: string[] = [];
  const limit = new ConnectionLimit<FakeSocket>(3, (s) => closed.push(s.name));
  const all = sockets(10);
  for (const s of all) limit.accepted(s);
  assert.equal(limit.openCount(), 3);
  assert.deepEqual(closed, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
  assert.deepEqual(
    all.slice(7).map((s) => s.destroyed),
    [false, false, false],
  );
});
