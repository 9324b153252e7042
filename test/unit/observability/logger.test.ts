import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger, podLogger, resolveLogLevel, sidecarSetLogger } from "../../../src/observability/logger.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, destination };
}

test("log lines are one JSON object each with level label, ISO time and message", () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination, base: { component: "manager" } });
  log.info({ port: 9443 }, "listening");
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.equal(line.level, "info");
  assert.equal(line.msg, "listening");
  assert.equal(line.port, 9443);
  assert.equal(line.component, "manager");
  assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("child loggers carry the sidecarset, namespace and pod fields", () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination });
  podLogger(sidecarSetLogger(log, "log-agent"), "apps", "web-1").warn("not upgradable");
  assert.deepEqual(
    { sidecarset: lines[0]!.sidecarset, namespace: lines[0]!.namespace, pod: lines[0]!.pod, level: lines[0]!.level },
    { sidecarset: "log-agent", namespace: "apps", pod: "web-1", level: "warn" },
  );
});

test("lines below the level are dropped", () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination, level: "warn" });
  log.info("quiet");
  log.debug("quieter");
  log.error("loud");
  assert.deepEqual(lines.map((l) => l.msg), ["loud"]);
});

const levelCases: { name: string; flag?: string; env?: string; want?: string; error?: RegExp }[] = [
  { name: "default is info", want: "info" },
  { name: "the flag wins over LOG_LEVEL", flag: "debug", env: "error", want: "debug" },
  { name: "LOG_LEVEL applies without a flag", env: "warn", want: "warn" },
  { name: "levels are case-insensitive", flag: "DEBUG", want: "debug" },
  { name: "an unknown flag value names the allowed levels", flag: "verbose", error: /--log-level: "verbose" is not a log level; use one of trace, debug, info, warn, error, fatal, silent/ },
  { name: "an unknown LOG_LEVEL names the variable", env: "loud", error: /^Error: LOG_LEVEL: "loud"/ },
];
for (const c of levelCases) {
  test(`log level: ${c.name}`, () => {
    const env = c.env === undefined ? {} : { LOG_LEVEL: c.env };
    if (c.error) assert.throws(() => resolveLogLevel(c.flag, env), c.error);
    else assert.equal(resolveLogLevel(c.flag, env), c.want);
  });
}
