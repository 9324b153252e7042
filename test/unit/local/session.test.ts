import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { prepareStateDir } from "../../../src/local/cluster-dirs.js";
import { chooseCluster, defaultStateDir } from "../../../src/local/session.js";

const root = mkdtempSync(join(tmpdir(), "sidecarset-session-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A state dir as a local cluster leaves it; `ownerPid` marks it as running under that process. */
function localDir(name: string, ownerPid?: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  prepareStateDir(dir);
  writeFileSync(join(dir, "admin.kubeconfig"), "apiVersion: v1\nkind: Config\n");
  if (ownerPid !== undefined) writeFileSync(join(dir, "owner.json"), JSON.stringify({ pid: ownerPid, children: [] }));
  return dir;
}

test("the default state dir is under $XDG_CACHE_HOME, else ~/.cache", () => {
  assert.equal(defaultStateDir({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" }), "/x/cache/sidecarset/local");
  assert.equal(defaultStateDir({ HOME: "/home/u" }), "/home/u/.cache/sidecarset/local");
});

const stopped = localDir("stopped");
const cases: { name: string; flags: Parameters<typeof chooseCluster>[0]; env: NodeJS.ProcessEnv; want: ReturnType<typeof chooseCluster> }[] = [
  { name: "nothing configured starts the local cluster in the default dir", flags: {}, env: { HOME: "/h" }, want: { mode: "local", dir: "/h/.cache/sidecarset/local", reason: "default" } },
  { name: "--kubeconfig wins over $KUBECONFIG", flags: { kubeconfig: "/k/a" }, env: { KUBECONFIG: "/k/b", HOME: "/h" }, want: { mode: "kubeconfig", kubeconfig: "/k/a", source: "--kubeconfig" } },
  { name: "$KUBECONFIG names the cluster when no flag does", flags: {}, env: { KUBECONFIG: "/k/b", HOME: "/h" }, want: { mode: "kubeconfig", kubeconfig: "/k/b", source: "KUBECONFIG" } },
  { name: "--dir starts the local cluster even with $KUBECONFIG set", flags: { dir: "/s" }, env: { KUBECONFIG: "/k/b" }, want: { mode: "local", dir: "/s", reason: "--dir" } },
  { name: "--local starts the local cluster in the default dir even with $KUBECONFIG set", flags: { local: true }, env: { KUBECONFIG: "/k/b", HOME: "/h" }, want: { mode: "local", dir: "/h/.cache/sidecarset/local", reason: "--local" } },
  {
    name: "$KUBECONFIG of a stopped local cluster starts that cluster again instead of dialling it",
    flags: {}, env: { KUBECONFIG: join(stopped, "admin.kubeconfig") },
    want: { mode: "local", dir: stopped, reason: "KUBECONFIG of a local cluster", running: false },
  },
];
for (const c of cases) {
  test(`chooseCluster: ${c.name}`, () => assert.deepEqual(chooseCluster(c.flags, c.env), c.want));
}

test("chooseCluster: $KUBECONFIG of a local cluster that another process serves is reported as running", async () => {
  const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  try {
    const dir = localDir("running", other.pid);
    assert.deepEqual(chooseCluster({}, { KUBECONFIG: join(dir, "admin.kubeconfig") }), { mode: "local", dir, reason: "KUBECONFIG of a local cluster", running: true });
  } finally {
    other.kill("SIGKILL");
  }
});

test("chooseCluster: --kubeconfig together with --dir or --local is refused", () => {
  assert.throws(() => chooseCluster({ kubeconfig: "/k", dir: "/d" }, {}), /give one of them/);
  assert.throws(() => chooseCluster({ kubeconfig: "/k", local: true }, {}), /give one of them/);
});

test("a state dir holding someone else's files is never emptied", () => {
  const dir = join(root, "foreign");
  mkdirSync(dir);
  writeFileSync(join(dir, "thesis.tex"), "precious");
  assert.throws(() => prepareStateDir(dir), /is not empty and was not made by sidecarset/);
  assert.deepEqual(readdirSync(dir), ["thesis.tex"]);
});

test("a state dir of a stopped cluster is emptied for the next start, keeping only the marker", () => {
  const dir = localDir("reused");
  writeFileSync(join(dir, "etcd.log"), "old");
  prepareStateDir(dir);
  assert.deepEqual(readdirSync(dir), [".sidecarset-local"]);
});

test("a state dir whose cluster another live process owns is refused with that process id", async () => {
  const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  try {
    const dir = localDir("busy", other.pid);
    assert.throws(() => prepareStateDir(dir), new RegExp(`is running \\(process ${other.pid}\\)`));
  } finally {
    other.kill("SIGKILL");
  }
});

test("a state dir whose owner died is taken over", () => {
  const dir = localDir("orphan", 2 ** 22 + 12345); // above the kernel's pid_max: never a live process
  prepareStateDir(dir);
  assert.deepEqual(readdirSync(dir), [".sidecarset-local"]);
});
