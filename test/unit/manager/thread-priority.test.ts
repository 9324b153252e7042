import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { lowerCallingThreadPriority, MAX_NICE } from "../../../src/manager/thread-priority.js";
import { silentLogger } from "../../../src/observability/logger.js";

/** Nice value of each thread of this process, by thread id (Linux: field 19 of /proc/self/task/TID/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

test("on Linux only the calling thread gets the lower priority: a thread started before keeps its own", { skip: process.platform !== "linux" && "thread priorities are per process here" }, async (t) => {
  // A stand-in for the webhook thread, started first as the manager starts it.
  const worker = new Worker("setInterval(() => {}, 1000)", { eval: true });
  t.after(() => worker.terminate());
  await new Promise((resolve) => worker.once("online", resolve));
  const before = threadNices();
  const mainBefore = before.get(process.pid)!;

  const nice = lowerCallingThreadPriority(5, silentLogger());
  assert.equal(nice, Math.min(MAX_NICE, mainBefore + 5));
  const after = threadNices();
  assert.equal(after.get(process.pid), nice, "the main thread runs at the new nice value");
  const others = [...after].filter(([tid]) => tid !== process.pid && before.has(tid));
  assert.ok(others.length > 0);
  assert.ok(others.every(([tid, n]) => n === before.get(tid)), "every thread that existed before keeps its nice value");
});

test("a step of 0 changes nothing", () => {
  const before = threadNices().get(process.pid);
  assert.equal(lowerCallingThreadPriority(0, silentLogger()), undefined);
  assert.equal(threadNices().get(process.pid), before);
});
