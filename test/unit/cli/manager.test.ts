import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { InvalidArgumentError } from "commander";
import { formatDuration as formatDurationOf, managerCommand, managerOptionsFromFlags, parseDuration } from "../../../src/cli/manager.js";
import { DEFAULT_MANAGER_OPTIONS } from "../../../src/manager/options.js";
import { LOG_LEVELS, resolveLogLevel } from "../../../src/observability/logger.js";

const durations: [string, number][] = [
  ["60", 60_000],
  ["1.5", 1_500],
  ["60s", 60_000],
  ["500ms", 500],
  ["1m30s", 90_000],
  ["2h", 7_200_000],
];
for (const [text, ms] of durations) test(`duration ${text} is ${ms} ms`, () => assert.equal(parseDuration(text), ms));

for (const bad of ["", "ten", "5x", "1m 30s", "-1s"]) {
  test(`duration "${bad}" is refused with the accepted forms named`, () => {
    assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof InvalidArgumentError && /60s/.test(e.message));
  });
}

test("manager flags default as the deploy manifests expect", () => {
  const cmd = managerCommand();
  cmd.exitOverride();
  const byName = new Map(cmd.options.map((o) => [o.attributeName(), o.defaultValue]));
  assert.equal(byName.get("webhookPort"), 9443);
  assert.equal(byName.get("metricsPort"), 8080);
  assert.equal(byName.get("sidecarsetWorkers"), 3);
  assert.equal(byName.get("expectationTimeout"), 60_000);
  assert.equal(byName.get("certMode"), "self-signed");
  assert.equal(byName.get("leaderElect"), false);
});

test("every flag the Deployment and the Helm chart pass is known to the manager", async () => {
  const { managerArgs } = await import("../../../src/manifests/manager.js");
  const { resolveOptions } = await import("../../../src/manifests/options.js");
  const { readFileSync } = await import("node:fs");
  const known = new Set(managerCommand().options.map((o) => o.long));
  const helmTemplate = readFileSync("deploy/helm/sidecarset/templates/deployment.yaml", "utf8");
  const helmFlags = [...helmTemplate.matchAll(/- "?(--[a-z-]+)/g)].map((m) => m[1]!);
  assert.ok(helmFlags.length >= 5, "the Helm template passes flags");
  const passed = [...managerArgs(resolveOptions({})).map((a: string) => a.split("=")[0]!), ...helmFlags];
  for (const flag of passed) assert.ok(known.has(flag), `${flag} is passed by the manifests but unknown to sidecarset manager`);
});

test("durations print in a form they parse back from", () => {
  fc.assert(fc.property(fc.nat({ max: 100_000_000 }), (ms) => parseDuration(formatDurationOf(ms)) === ms));
  assert.equal(formatDurationOf(60_000), "60s");
  assert.equal(formatDurationOf(1_500), "1500ms");
});

// One source for each documented default: the manager's own option definitions.
const operations = readFileSync("docs/operations.md", "utf8");
const helmValues = readFileSync("deploy/helm/sidecarset/values.yaml", "utf8");
const managerHelp = (() => {
  let help = "";
  const cmd = managerCommand();
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  return help.replace(/\s+/g, " ");
})();

function docsRow(flag: string): string[] {
  const row = operations.split("\n").find((l) => l.startsWith(`| \`${flag}\``));
  assert.ok(row, `docs/operations.md has a row for ${flag}`);
  return row.split("|").slice(1, -1).map((c) => c.trim());
}

test("--expectation-timeout: --help, docs/operations.md and the Helm values show the default as the duration it is", () => {
  const shown = formatDurationOf(DEFAULT_MANAGER_OPTIONS.expectationTimeoutMs);
  assert.match(managerHelp, new RegExp(`--expectation-timeout <duration> .*\\(default: ${shown}\\)`));
  assert.equal(parseDuration(shown), DEFAULT_MANAGER_OPTIONS.expectationTimeoutMs);
  assert.equal(docsRow("--expectation-timeout")[1], shown);
  assert.match(helmValues, new RegExp(`^expectationTimeout: ${shown}$`, "m"));
});

test("--log-level: --help, docs/operations.md and the Helm values name the same levels and default", () => {
  assert.match(managerHelp, new RegExp(`\\(choices: ${LOG_LEVELS.map((l) => `"${l}"`).join(", ")}\\)`));
  assert.equal(docsRow("--log-level")[2], LOG_LEVELS.join(", "));
  assert.match(docsRow("--log-level")[1]!, /`info`/);
  const levels = `${LOG_LEVELS.slice(0, -1).join(", ")} or ${LOG_LEVELS.at(-1)}`;
  assert.match(helmValues, new RegExp(`^# ${levels}\\.\\nlogLevel: info$`, "m"));
  assert.equal(resolveLogLevel(undefined, {}), "info");
});

test("--scope-narrowing-grace: --help, docs/operations.md and the Helm values show the default as the duration it is", () => {
  const shown = formatDurationOf(DEFAULT_MANAGER_OPTIONS.scopeNarrowingGraceMs);
  assert.equal(shown, "30s");
  assert.match(managerHelp, new RegExp(`--scope-narrowing-grace <duration> .*\\(default: ${shown}\\)`));
  assert.equal(docsRow("--scope-narrowing-grace")[1], shown);
  assert.match(helmValues, new RegExp(`^scopeNarrowingGrace: ${shown}$`, "m"));
});

test("--shutdown-delay: --help, docs/operations.md and the Helm values show the default as the duration it is", () => {
  const shown = formatDurationOf(DEFAULT_MANAGER_OPTIONS.shutdownDelayMs);
  assert.equal(shown, "5s");
  assert.match(managerHelp, new RegExp(`--shutdown-delay <duration> .*\\(default: ${shown}\\)`, "s"));
  assert.equal(docsRow("--shutdown-delay")[1], shown);
  assert.match(helmValues, new RegExp(`^shutdownDelay: ${shown}$`, "m"));
});

const selfScopingCases: { args: string[]; selfScopingWebhook: boolean | undefined; graceMs: number }[] = [
  { args: [], selfScopingWebhook: undefined, graceMs: 30_000 },
  { args: ["--self-scoping-webhook"], selfScopingWebhook: true, graceMs: 30_000 },
  { args: ["--no-self-scoping-webhook", "--scope-narrowing-grace", "5s"], selfScopingWebhook: false, graceMs: 5_000 },
];
for (const c of selfScopingCases) {
  test(`manager ${c.args.join(" ") || "(no flags)"}: self-scoping ${c.selfScopingWebhook ?? "decided by the API server's version"}, grace ${c.graceMs} ms`, () => {
    const cmd = managerCommand();
    cmd.exitOverride();
    cmd.action(() => undefined);
    cmd.parse(c.args, { from: "user" });
    const options = managerOptionsFromFlags(cmd.opts() as Parameters<typeof managerOptionsFromFlags>[0], "id", {});
    assert.equal(options.selfScopingWebhook, c.selfScopingWebhook);
    assert.equal(options.scopeNarrowingGraceMs, c.graceMs);
  });
}
