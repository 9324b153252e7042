import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "commander";
import { managerCommand, parseDuration } from "../../../src/cli/manager.js";

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
