import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isAlive as alive } from "../../../src/local/cluster-dirs.js";
import { waitUntil } from "../../../src/local/wait.js";

const CHILD = new URL("./fixtures/orphaned-child.ts", import.meta.url).pathname;

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
    await waitUntil("the teardown ran", 15_000, () => existsSync(marker), 50);
    assert.equal(readFileSync(marker, "utf8"), "torn down");
    await waitUntil("the orphan exited", 15_000, () => !alive(childPid), 50);
  } finally {
    runner.kill("SIGKILL");
    if (childPid && alive(childPid)) process.kill(childPid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
