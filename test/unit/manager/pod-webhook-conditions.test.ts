import assert from "node:assert/strict";
import { test } from "node:test";
import { mutatingWebhookConfiguration, MUTATE_POD_WEBHOOK } from "../../../src/manifests/webhook.js";
import {
  installedScope,
  keepMatchConditions,
  SCOPE_CONDITION_NAME,
  withoutScopeCondition,
  withScope,
  type MatchCondition,
  type WebhookConfiguration,
} from "../../../src/manager/pod-webhook-conditions.js";

const OTHER = { name: "mutate-sidecarset.sidecarset.kruise.io", rules: [] };

function config(conditions?: MatchCondition[]): WebhookConfiguration {
  return { metadata: { name: "c", resourceVersion: "7" }, webhooks: [{ name: MUTATE_POD_WEBHOOK, ...(conditions ? { matchConditions: conditions } : {}) }, OTHER] };
}
const ours = (expression: string): MatchCondition => ({ name: SCOPE_CONDITION_NAME, expression });

const readCases: { name: string; config: WebhookConfiguration; scope: ReturnType<typeof installedScope> }[] = [
  { name: "no matchConditions: every pod", config: config(), scope: { kind: "every-pod" } },
  { name: "an empty list: every pod", config: config([]), scope: { kind: "every-pod" } },
  { name: "one condition: its expression", config: config([ours("x")]), scope: { kind: "expression", expression: "x" } },
  {
    name: "several conditions: all must hold",
    config: config([ours("x || y"), { name: "hand", expression: "z" }]),
    scope: { kind: "expression", expression: "(x || y) && (z)" },
  },
  { name: "no pod webhook in the configuration: nothing to keep", config: { webhooks: [OTHER] }, scope: undefined },
];
for (const c of readCases) test(`installed scope: ${c.name}`, () => assert.deepEqual(installedScope(c.config), c.scope));

test("withScope writes one named condition, or none for every pod, and touches no other webhook", () => {
  const scoped = withScope(config([{ name: "hand", expression: "z" }]), { kind: "selected", terms: ["(a)"], expression: "(a)" });
  assert.deepEqual(scoped.webhooks, [{ name: MUTATE_POD_WEBHOOK, matchConditions: [ours("(a)")] }, OTHER]);
  assert.equal(scoped.metadata?.resourceVersion, "7", "written with the resourceVersion it was read at");
  const every = withScope(scoped, { kind: "every-pod", cause: "too-long", reason: "" });
  assert.deepEqual(every.webhooks, [{ name: MUTATE_POD_WEBHOOK }, OTHER]);
});

test("keepMatchConditions carries the installed conditions into a configuration as shipped", () => {
  const shipped = config();
  assert.deepEqual(keepMatchConditions(config([ours("x")]), shipped).webhooks?.[0], { name: MUTATE_POD_WEBHOOK, matchConditions: [ours("x")] });
  assert.equal(keepMatchConditions(config(), shipped), shipped, "nothing installed: the shipped one as is");
});

test("withoutScopeCondition removes only the condition the manager writes; undefined when there is none", () => {
  assert.deepEqual(withoutScopeCondition(config([ours("x"), { name: "hand", expression: "z" }]))?.webhooks?.[0], {
    name: MUTATE_POD_WEBHOOK,
    matchConditions: [{ name: "hand", expression: "z" }],
  });
  assert.deepEqual(withoutScopeCondition(config([ours("x")]))?.webhooks?.[0], { name: MUTATE_POD_WEBHOOK });
  assert.equal(withoutScopeCondition(config([{ name: "hand", expression: "z" }])), undefined);
  assert.equal(withoutScopeCondition(config()), undefined);
});

test("the shipped configuration has no matchConditions: every pod, until the Lease holder scopes it", () => {
  for (const options of [{}, { webhookHost: "127.0.0.1", webhookPort: 9443 }]) {
    assert.deepEqual(installedScope(mutatingWebhookConfiguration(options) as WebhookConfiguration), { kind: "every-pod" });
  }
});
