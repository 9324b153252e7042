import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isAlive as alive } from "../../../src/local/cluster-dirs.js";

const CHILD = new URL("./fixtures/orphaned-child.ts", import.meta.url).pathname;

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`not within 15 s: ${what}`);
}

test("a test file's process whose runner dies tears its environment down and exits", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orphan-"));
  const marker = join(dir, "marker");
  // The runner: starts the child, reports its pid once it watches, then is killed with SIGKILL (no signal passed on).
  const runner = spawn(
    process.execPath,
    [
      "--eval",
      `const { spawn } = require("node:child_process");
       const c = spawn(process.execPath, ["--import", "tsx", ${JSON.stringify(CHILD)}, ${JSON.stringify(marker)}], { stdio: ["ignore", "pipe", "ignore"] });
       c.stdout.once("data", () => console.log(c.pid));
       setInterval(() => undefined, 60_000);`,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let childPid = 0;
  try {
    childPid = await new Promise<number>((resolve) => runner.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    assert.ok(alive(childPid));
    assert.equal(existsSync(marker), false, "no teardown while the runner lives");
    runner.kill("SIGKILL");
    await until("the teardown ran", () => existsSync(marker));
    assert.equal(readFileSync(marker, "utf8"), "torn down");
    await until("the orphan exited", () => !alive(childPid));
  } finally {
    runner.kill("SIGKILL");
    if (childPid && alive(childPid)) process.kill(childPid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
