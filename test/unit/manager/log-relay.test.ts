import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../../src/observability/logger.js";
import { RelayDestination, replayLogLine } from "../../../src/manager/log-relay.js";
import { capturingLogger } from "../webhook/handlers/fixtures.js";

/** Lines a logger on the other thread would write, relayed through `main`. */
function relayed(level: "debug" | "info" | "error", write: (l: ReturnType<typeof createLogger>) => void) {
  const main = capturingLogger();
  const destination = new RelayDestination((lines) => lines.forEach((line) => replayLogLine(main.logger, line)));
  const other = createLogger({ level, destination, base: { thread: "webhook" } });
  write(other);
  destination.flush();
  return main.lines();
}

test("a relayed line keeps its level, message and fields, and is stamped by the main logger", () => {
  const [line] = relayed("info", (l) => l.warn({ path: "/mutate-pod", uid: "u1" }, "slow admission"));
  assert.ok(line);
  assert.equal(line.level, "warn");
  assert.equal(line.msg, "slow admission");
  assert.equal(line.thread, "webhook");
  assert.equal(line.path, "/mutate-pod");
  assert.equal(line.uid, "u1");
  assert.equal(typeof line.time, "string");
});

test("the other thread's level decides what is relayed", () => {
  const lines = relayed("info", (l) => {
    l.debug("not relayed");
    l.error("relayed");
  });
  assert.deepEqual(lines.map((l) => l.msg), ["relayed"]);
});

test("a line that is not JSON is still logged, as a warning that carries it", () => {
  const main = capturingLogger();
  replayLogLine(main.logger, "not json\n");
  const [line] = main.lines();
  assert.equal(line?.level, "warn");
  assert.equal(line?.line, "not json");
});

test("lines logged in one event-loop turn go to the other thread as one message, after that turn", async () => {
  const sent: string[][] = [];
  const destination = new RelayDestination((lines) => sent.push(lines));
  const logger = createLogger({ level: "info", destination, base: { thread: "webhook" } });
  logger.info("first");
  logger.info("second");
  assert.equal(sent.length, 0, "nothing is sent within the turn that logged");
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.map((l) => (JSON.parse(l) as { msg: string }).msg), ["first", "second"]);
  logger.info("third");
  destination.flush();
  assert.equal(sent.length, 2, "flush sends what is pending at once");
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 2, "and nothing is sent twice");
});
