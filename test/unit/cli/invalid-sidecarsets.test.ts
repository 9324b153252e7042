// Every SidecarSet of the invalid corpus (test/fixtures/invalid-sidecarsets)
// is refused by `sidecarset validate` with the field path and message the
// case records — the same ones the API server answers with
// (test/e2e/invalid-sidecarsets.test.ts). SidecarSets a case says the
// cluster already holds are given with --current.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadInvalidCases, validateCase } from "../../support/invalid-sidecarsets.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-corpus-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const cases = loadInvalidCases();

test("the corpus holds at least 60 invalid SidecarSets, each naming a field path and a message", () => {
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  for (const c of cases) {
    assert.match(c.path, /^(metadata|spec)(\.|\[|$)/, `${c.id}: path ${c.path}`);
    assert.ok(c.message.length >= 8, `${c.id}: message fragment ${JSON.stringify(c.message)} is too short to mean anything`);
  }
});

test("the SidecarSets a case says the cluster holds are themselves valid (they are created first)", () => {
  for (const c of cases.filter((k) => k.existing.length > 0)) {
    c.existing.forEach((e, i) => {
      const earlier = c.existing.slice(0, i);
      const answer = validateCase({ ...c, id: `${c.id}.existing-${i}`, existing: earlier, submitted: e }, dir);
      assert.deepEqual(answer.lines, [], `${c.id}: existing SidecarSet ${i}`);
      assert.equal(answer.exitCode, 0, `${c.id}: existing SidecarSet ${i}`);
    });
  }
});

for (const c of cases) {
  test(`validate refuses ${c.id}: ${c.title}`, () => {
    const answer = validateCase(c, dir);
    assert.equal(answer.exitCode, 1, answer.lines.join("\n"));
    const found = answer.findings.some((l) => l.startsWith(`${c.path}: `) && l.includes(c.message));
    assert.ok(found, `expected "${c.path}: …${c.message}…", got:\n${answer.lines.join("\n")}`);
  });
}
