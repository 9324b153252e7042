// `sidecarset start` (what `npm start` runs) as a user meets it: a child
// process that prints a kubeconfig and a kubectl, the log-agent example
// applied with that kubectl, and Ctrl-C that stops everything.
import assert from "node:assert/strict";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { processEnvWithout, REPO_ROOT, sourceCliNodeArgs } from "../support/environment.js";
import { waitFor } from "../support/kube.js";
import { isAlive } from "../../src/local/cluster-dirs.js";

const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Started {
  const child = spawn(process.execPath, sourceCliNodeArgs(["start", ...args]), {
    cwd: REPO_ROOT,
    env: processEnvWithout("KUBECONFIG"),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("close", (code, signal) => r({ code, signal })));
  return { child, output: () => out, exited };
}

let dir: string;
let start: Started;
let kubeconfig: string;
let kubectl: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sidecarset-start-"));
  start = startCli(["--dir", dir]);
  kubeconfig = await waitFor("the printed kubeconfig", () => {
    if (start.child.exitCode !== null) throw new Error(`sidecarset start exited early:\n${start.output()}`);
    return /^ {2}export KUBECONFIG=(\S+)$/m.exec(start.output())?.[1];
  }, { timeoutMs: 120_000, intervalMs: 200 });
  kubectl = /^ {2}kubectl: {4}(\S+)$/m.exec(start.output())?.[1] ?? "";
}, { timeout: 150_000 });

after(async () => {
  if (start?.child.exitCode === null) {
    start.child.kill("SIGKILL");
    await start.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("start prints a kubeconfig in its state dir and the kubectl symlink built with the control plane", () => {
  assert.equal(kubeconfig, join(dir, "admin.kubeconfig"));
  assert.ok(existsSync(kubeconfig));
  assert.match(kubectl, /\/kubectl$/);
  assert.match(start.output(), /kubectl apply -f \S*examples\/log-agent\/sidecarset\.yaml -f \S*examples\/log-agent\/deployment\.yaml/);
  assert.match(start.output(), /^ {2}kubectl get sidecarsets$/m);
  assert.match(start.output(), /^ {2}kubectl get pods -n demo$/m);
});

test("the log-agent example applied with the printed kubectl gets logtail injected into all 20 pods", { timeout: 120_000 }, async () => {
  const k = (...args: string[]) => run(kubectl, ["--kubeconfig", kubeconfig, ...args], { cwd: REPO_ROOT });
  const applied = await k("apply", "-f", "examples/log-agent/sidecarset.yaml", "-f", "examples/log-agent/deployment.yaml");
  assert.match(applied.stdout, /sidecarset\.apps\.kruise\.io\/log-agent created/);
  assert.match(applied.stdout, /deployment\.apps\/web created/);

  await waitFor("20 ready pods with logtail", async () => {
    const { stdout } = await k("get", "pods", "-n", "demo", "-l", "app=web", "-o", "json");
    const pods = (JSON.parse(stdout) as { items: { spec: { containers: { name: string }[] }; status?: { conditions?: { type: string; status: string }[] } }[] }).items;
    return pods.length === 20 && pods.every((p) =>
      p.spec.containers.map((c) => c.name).join(",") === "web-server,logtail" &&
      (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"));
  }, { timeoutMs: 90_000, intervalMs: 500 });
  const table = await waitFor("the SidecarSet status to count 20 pods", async () => {
    const { stdout } = await k("get", "sidecarsets");
    return /^log-agent\s+20\s+20\s+20\s+20\s/m.test(stdout) ? stdout : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  assert.match(table, /^NAME\s+MATCHED\s+UPDATED\s+READY/m);
});

test("a second start in the same state dir is refused while the first runs", { timeout: 60_000 }, async () => {
  const second = startCli(["--dir", dir]);
  const { code } = await second.exited;
  assert.equal(code, 1);
  assert.match(second.output(), new RegExp(`a local cluster in ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is running \\(process ${start.child.pid}\\)`));
});

test("Ctrl-C stops the manager and every control-plane process, exits 0 and keeps the logs", { timeout: 60_000 }, async () => {
  const owner = JSON.parse(readFileSync(join(dir, "owner.json"), "utf8")) as { pid: number; children: number[] };
  assert.equal(owner.pid, start.child.pid);
  assert.equal(owner.children.length, 3, "etcd, kube-apiserver and kube-controller-manager");
  assert.ok(owner.children.every(isAlive));

  start.child.kill("SIGINT");
  const { code, signal } = await start.exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, start.output());
  assert.match(start.output(), /\nstopped\n$/);
  assert.deepEqual(owner.children.filter(isAlive), [], "no component process is left");
  for (const log of ["etcd.log", "kube-apiserver.log", "kube-controller-manager.log", "manager.log"]) {
    assert.ok(existsSync(join(dir, log)), `${log} is kept`);
  }
  assert.equal(existsSync(join(dir, "owner.json")), false, "the dir is no longer marked as running");
});
