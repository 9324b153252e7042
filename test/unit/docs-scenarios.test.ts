// docs/compatibility.md maps each scenario of OpenKruise's own end-to-end
// suites to the test here that runs it. This keeps that table true: every
// test it names exists, under that title, in that file.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SECTION = "## OpenKruise's own end-to-end scenarios";

/** The table rows of the section: [scenario, file, title prefix]. */
function scenarioRows(): [string, string, string][] {
  const text = readFileSync(`${root}docs/compatibility.md`, "utf8");
  const start = text.indexOf(SECTION);
  assert.ok(start >= 0, `docs/compatibility.md has the section "${SECTION}"`);
  const section = text.slice(start + SECTION.length).split(/\n## /)[0]!;
  return section
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| OpenKruise scenario"))
    .map((line) => {
      const cells = line.split("|").map((c) => c.trim());
      const where = /^`([\w-]+)`: (.+)$/.exec(cells[2] ?? "");
      assert.ok(where, `row "${line}" names a test as \`file\`: title`);
      return [cells[1]!, where[1]!, where[2]!];
    });
}

test("the table of OpenKruise's scenarios names only tests that exist", () => {
  const rows = scenarioRows();
  assert.ok(rows.length >= 25, `the table lists the suites' scenarios (${rows.length} rows)`);
  for (const [scenario, file, title] of rows) {
    const source = readFileSync(`${root}test/e2e/${file}.test.ts`, "utf8");
    assert.ok(source.includes(`test(${JSON.stringify(title).slice(0, -1)}`) || source.includes(`test('${title}`), `${scenario}: test/e2e/${file}.test.ts has a test titled "${title}…"`);
  }
});
