// Every SidecarSet of the invalid corpus (test/fixtures/invalid-sidecarsets)
// is refused by `sidecarset validate` with the field path and message the
// case records — the same ones the API server answers with
// (test/e2e/invalid-sidecarsets.test.ts). SidecarSets a case says the
// cluster already holds are given with --current.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runValidate } from "../../../src/cli/validate.js";
import { loadInvalidCases, submittedName, type InvalidCase } from "../../support/invalid-sidecarsets.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-corpus-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const cases = loadInvalidCases();

/** Writes the case's SidecarSets to files: the submitted one, and each one the cluster holds. */
function files(c: InvalidCase): { submitted: string; current: string[] } {
  const submitted = join(dir, `${c.id}.yaml`);
  writeFileSync(submitted, c.submitted.yaml);
  const current = c.existing.map((e, i) => {
    const path = join(dir, `${c.id}.current-${i}.yaml`);
    writeFileSync(path, e.yaml);
    return path;
  });
  return { submitted, current };
}

test("the corpus holds at least 60 invalid SidecarSets, each naming a field path and a message", () => {
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  for (const c of cases) {
    assert.match(c.path, /^(metadata|spec)(\.|\[|$)/, `${c.id}: path ${c.path}`);
    assert.ok(c.message.length >= 8, `${c.id}: message fragment ${JSON.stringify(c.message)} is too short to mean anything`);
  }
});

test("the SidecarSets a case says the cluster holds are themselves valid (they are created first)", () => {
  for (const c of cases.filter((k) => k.existing.length > 0)) {
    const { current } = files(c);
    current.forEach((f, i) => {
      const report = runValidate({ filename: [f], current: current.slice(0, i) });
      assert.deepEqual(report.lines, [], `${c.id}: ${f}`);
      assert.equal(report.exitCode, 0, `${c.id}: ${f}`);
    });
  }
});

for (const c of cases) {
  test(`validate refuses ${c.id}: ${c.title}`, () => {
    const { submitted, current } = files(c);
    const report = runValidate({ filename: [submitted], current });
    assert.equal(report.exitCode, 1, report.lines.join("\n"));
    const prefix = `${submitted}: ${submittedName(c)}: ${c.path}: `;
    const line = report.lines.find((l) => l.startsWith(prefix) && l.includes(c.message));
    assert.ok(line, `expected a line "${prefix}…${c.message}…", got:\n${report.lines.join("\n")}`);
  });
}
