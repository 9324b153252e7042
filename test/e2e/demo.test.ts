// `sidecarset demo` as a user runs it: a child process on its own local
// control plane, judged by what it prints and how it exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { processEnvWithout, REPO_ROOT, sourceCliNodeArgs } from "../support/environment.js";

/** Processes whose command line mentions `text` (our cluster's dir is on every component's command line). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test("sidecarset demo upgrades 6 pods in place: the partition holds 2 back, then all run the new sidecar; UIDs kept, the app never restarted", { timeout: 150_000 }, async () => {
  const args = sourceCliNodeArgs(["demo", "--replicas", "6", "--partition", "2", "--max-unavailable", "2"]);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: processEnvWithout("KUBECONFIG", "NO_COLOR"), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill("SIGINT"), 120_000);
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  clearTimeout(killer);
  const context = `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;

  assert.equal(code, 0, context);
  assert.doesNotMatch(stdout, /\u001b\[/, "output to a pipe has no terminal escapes");
  for (const step of ["== 1. SidecarSet log-agent", "== 2. Deployment web with 6 pods", "== 3. Upgrade logtail to busybox:1.37 with partition 2 and maxUnavailable 2", "== 4. Remove the partition: the other 2 pods upgrade"]) {
    assert.ok(stdout.includes(step), `step "${step}" is shown\n${context}`);
  }
  assert.match(stdout, /-> 6\/6 pods run web-server \+ logtail \(busybox:1\.36\); injected at creation/);
  assert.match(stdout, /\] matched 6 {2}updated 4 {2}ready 6 {2}updatedReady 4 \| pods 6: busybox:1\.36 x2, busybox:1\.37 x4\n/, "a progress line shows the partition's stop");
  assert.match(stdout, /-> the partition holds: 4 upgraded, 2 still on busybox:1\.36/);

  const lines = stdout.trimEnd().split("\n");
  const summary = lines.findIndex((l) => l.startsWith("== Summary"));
  assert.ok(summary >= 0, context);
  const [uids, app, sidecar, unavailable, blank, verdict, stopping] = lines.slice(summary + 1);
  assert.equal(uids, "  [ok]   pod UIDs unchanged: 6/6 pods are the same objects as before the upgrade");
  assert.equal(app, "  [ok]   app container web-server: restartCount 0 on every pod (never restarted)");
  assert.equal(sidecar, "  [ok]   sidecar logtail: 6/6 pods run busybox:1.37, restarted in place exactly once");
  assert.match(unavailable ?? "", /^ {2}\[ok\] {3}at most [0-2] pods were unavailable at once \(maxUnavailable 2\)$/);
  assert.equal(blank, "");
  assert.match(verdict ?? "", /^Demo passed in \d+\.\ds: every sidecar was upgraded in place\.$/);
  assert.equal(stopping, "stopping the local cluster");
  assert.equal(lines.length, summary + 8, "nothing follows the stop");

  const dir = /\(dir (\/\S+)\)/.exec(stdout)?.[1];
  assert.ok(dir, "the cluster dir is shown");
  assert.equal(existsSync(dir), false, "the demo's cluster dir is removed");
  assert.deepEqual(processesMentioning(dir), [], "no control-plane process is left running");
});
