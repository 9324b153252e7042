// The alerting rules read only what the manager (or, for one rule, the API
// server) exports: every metric an expression names is registered by the
// manager or defined by the API server, with the labels the expression selects
// and groups by, and every label an annotation shows survives the expression's
// aggregation. Each alert has an entry in docs/operations.md.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ALERT_RULES, alertGroup, prometheusRule, runbookAnchor } from "../../../src/manifests/alerts.js";
import { selectManifests } from "../../../src/manifests/render.js";
import { exportedMetrics, exportedSeries } from "../../support/exported-metrics.js";
import { parseExpression } from "../../support/promql.js";

const REPO = join(import.meta.dirname, "../../..");

test("the expression reader finds metrics, their matchers and the grouping labels (the checks below rely on it)", () => {
  const parts = parseExpression(
    `histogram_quantile(0.99, sum by (le, webhook) (rate(a_seconds_bucket{webhook=~"/x|/y",code!="2.."}[5m]))) > on (webhook) max(b_total) unless c_value`,
  );
  assert.deepEqual([...parts.selectors], [["a_seconds_bucket", ["webhook", "code"]], ["b_total", []], ["c_value", []]]);
  assert.deepEqual(parts.grouping, ["le", "webhook", "webhook"]);
  assert.deepEqual(parts.resultLabels, ["le", "webhook"]);
});

test("every metric an alert reads is one the manager (or the API server) exports, with the labels the alert selects and groups by", () => {
  // With prom-client's process and Node.js metrics: the manager registers them (manager.ts).
  const exported = exportedMetrics(true);
  for (const rule of ALERT_RULES) {
    const { selectors, grouping } = parseExpression(rule.expr);
    assert.ok(selectors.size > 0, `${rule.alert}: reads no metric`);
    const available = new Set<string>();
    for (const [series, matched] of selectors) {
      const found = exportedSeries(exported, series);
      assert.ok(found, `${rule.alert}: the manager exports no ${series}`);
      const labels = new Set([...found.metric.labels, ...found.extraLabels]);
      for (const label of matched) assert.ok(labels.has(label), `${rule.alert}: ${found.name} has no label ${label}`);
      for (const label of labels) available.add(label);
    }
    for (const label of grouping) assert.ok(available.has(label), `${rule.alert}: groups by ${label}, which none of its metrics has`);
  }
});

test("the labels an alert's summary and description show survive its expression's aggregation", () => {
  // With prom-client's process and Node.js metrics: the manager registers them (manager.ts).
  const exported = exportedMetrics(true);
  for (const rule of ALERT_RULES) {
    const { selectors, resultLabels } = parseExpression(rule.expr);
    const kept = resultLabels ?? [...selectors.keys()].flatMap((s) => [...(exportedSeries(exported, s)?.metric.labels ?? [])]);
    for (const text of [rule.summary, rule.description]) {
      for (const m of text.matchAll(/\{\{ \$labels\.([a-z_]+) \}\}/g)) {
        assert.ok(kept.includes(m[1]!), `${rule.alert}: shows $labels.${m[1]}, which its expression drops`);
      }
      assert.equal(text.match(/\{\{/g)?.length ?? 0, text.match(/\}\}/g)?.length ?? 0, `${rule.alert}: unbalanced template in "${text}"`);
    }
  }
});

test("every alert has a unique name, a duration, a severity, a summary, a description and an entry in operations.md", () => {
  const operations = readFileSync(join(REPO, "docs/operations.md"), "utf8");
  const names = ALERT_RULES.map((r) => r.alert);
  assert.equal(new Set(names).size, names.length);
  for (const rule of ALERT_RULES) {
    assert.match(rule.alert, /^SidecarSet[A-Z][A-Za-z]+$/);
    assert.match(rule.for, /^\d+[smh]$/);
    assert.ok(rule.summary.length > 0 && rule.description.length > 0, rule.alert);
    let depth = 0;
    for (const c of rule.expr) {
      depth += c === "(" ? 1 : c === ")" ? -1 : 0;
      assert.ok(depth >= 0, `${rule.alert}: a ) before its (`);
    }
    assert.equal(depth, 0, `${rule.alert}: unbalanced parentheses`);
    assert.ok(operations.includes(`\n### ${rule.alert}\n`), `docs/operations.md has no "### ${rule.alert}" entry`);
    assert.equal(runbookAnchor(rule.alert), rule.alert.toLowerCase());
  }
});

test("the PrometheusRule holds one group with every alert, its severity label and its runbook entry", () => {
  const rule = prometheusRule({ namespace: "platform" }) as unknown as { kind: string; metadata: { name: string; namespace: string }; spec: { groups: unknown[] } };
  assert.equal(rule.kind, "PrometheusRule");
  assert.deepEqual(rule.metadata.namespace, "platform");
  assert.deepEqual(rule.spec.groups, [alertGroup()]);
  const rules = (alertGroup() as { rules: { alert: string; labels: { severity: string }; annotations: { runbook: string } }[] }).rules;
  assert.deepEqual(rules.map((r) => r.alert), ALERT_RULES.map((r) => r.alert));
  for (const r of rules) {
    assert.ok(["critical", "warning"].includes(r.labels.severity), r.alert);
    assert.equal(r.annotations.runbook, `docs/operations.md#${r.alert.toLowerCase()}`);
  }
  assert.deepEqual(selectManifests(["alerts"]).map((m) => m.kind), ["PrometheusRule"]);
});
