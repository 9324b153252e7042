// The commands the top-level help, README.md and examples/README.md show are
// run here exactly as written (from the repository root), and the output the
// README prints after a `$` command must be what the command prints.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildProgram, run, TOP_LEVEL_EXAMPLES } from "../../../src/cli/program.js";
import { captureOutput } from "./capture.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
// Commands that run until stopped (or need a cluster) are shown, not run.
const LONG_RUNNING = new Set(["manager", "start", "demo"]);

interface Documented {
  source: string;
  command: string;
  /** Lines shown after the command (README `$` blocks); `...` stands for lines left out. */
  output: string[];
}

/** The `sidecarset …` commands of a Markdown file's code blocks. */
function documentedIn(file: string): Documented[] {
  const text = readFileSync(join(root, file), "utf8");
  const found: Documented[] = [];
  for (const block of text.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)) {
    const lines = block[1]!.split("\n");
    lines.forEach((line, i) => {
      const m = line.match(/^(\$ npx )?sidecarset (.*)$/);
      if (!m) return;
      const output: string[] = [];
      if (m[1]) for (let j = i + 1; j < lines.length && lines[j] !== "" && !lines[j]!.startsWith("$ "); j++) output.push(lines[j]!);
      found.push({ source: file, command: `sidecarset ${m[2]}`, output });
    });
  }
  return found;
}

const documented: Documented[] = [
  ...TOP_LEVEL_EXAMPLES.map((command) => ({ source: "sidecarset --help", command, output: [] })),
  ...documentedIn("README.md"),
  ...documentedIn("examples/README.md"),
];

test("the top-level help shows the examples run below", async () => {
  let help = "";
  const program = await buildProgram();
  program.configureOutput({ writeOut: (s) => (help += s) });
  program.outputHelp();
  for (const e of TOP_LEVEL_EXAMPLES) assert.ok(help.split("\n").includes(`  ${e}`), e);
  assert.ok(documented.filter((d) => d.source !== "sidecarset --help").length >= 6, "the READMEs show commands");
});

for (const d of documented) {
  const args = d.command.split(" ").slice(1);
  if (LONG_RUNNING.has(args[0]!)) continue;
  test(`${d.source}: \`${d.command}\` runs as documented`, async () => {
    const cwd = process.cwd();
    process.chdir(root);
    let r;
    try {
      r = await captureOutput(() => run(args));
    } finally {
      process.chdir(cwd);
    }
    assert.equal(r.exitCode, 0, r.stderr);
    const printed = `${r.stdout}${r.stderr}`.split("\n");
    for (const line of d.output.filter((l) => l !== "...")) {
      assert.ok(printed.some((p) => p.trimEnd() === line.trimEnd()), `${JSON.stringify(line)} is not in the output:\n${printed.join("\n")}`);
    }
  });
}
