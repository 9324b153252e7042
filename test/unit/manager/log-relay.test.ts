import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../../src/observability/logger.js";
import { relayDestination, replayLogLine } from "../../../src/manager/log-relay.js";
import { capturingLogger } from "../webhook/handlers/fixtures.js";

/** Lines a logger on the other thread would write, relayed through `main`. */
function relayed(level: "debug" | "info" | "error", write: (l: ReturnType<typeof createLogger>) => void) {
  const main = capturingLogger();
  const other = createLogger({ level, destination: relayDestination((line) => replayLogLine(main.logger, line)), base: { thread: "webhook" } });
  write(other);
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
