// The directories a local cluster lives in, and who owns them. Each holds
// owner.json (the launching process and the component pids), so a cluster
// whose launcher was killed outright can be recognised and cleaned up later.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DIR_PREFIX = "sidecarset-cluster-";
export const OWNER_FILE = "owner.json";
/** Marks a fixed state dir as ours, so starting again may empty it. */
export const STATE_MARKER = ".sidecarset-local";

export function defaultBaseDir(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface Owner {
  pid: number;
  children: number[];
}

export function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as Owner;
  } catch {
    return undefined; // being created right now, stopped cleanly, or not ours
  }
}

export function killLeftovers(owner: Owner): void {
  for (const pid of owner.children) {
    // Only a process that still runs our binary: the pid may have been reused.
    let cmdline = "";
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { continue; }
    if (cmdline.includes("k8s-testbin")) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  }
}

/** Removes clusters whose owning process died without cleaning up (e.g. SIGKILL). */
export function reapOrphanedClusters(baseDir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(baseDir).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(baseDir, entry);
    const owner = readOwner(dir);
    if (!owner || isAlive(owner.pid)) continue;
    killLeftovers(owner);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Makes a fixed state dir ready for a new cluster: refuses a dir with someone
 * else's files or a cluster that still runs, ends the processes of one whose
 * owner was killed, and empties it.
 */
export function prepareStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes(STATE_MARKER)) {
    throw new Error(`${dir} is not empty and was not made by sidecarset; give an empty or new directory`);
  }
  const owner = readOwner(dir);
  if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
    throw new Error(`a local cluster in ${dir} is running (process ${owner.pid}); stop it with Ctrl-C or kill ${owner.pid}, or use another directory`);
  }
  if (owner) killLeftovers(owner);
  for (const entry of entries) rmSync(join(dir, entry), { recursive: true, force: true });
  writeFileSync(join(dir, STATE_MARKER), "state of a local cluster started by sidecarset; emptied on every start\n");
}

/** True for a state dir a local cluster was started in (it may be stopped). */
export function isLocalStateDir(dir: string): boolean {
  return existsSync(join(dir, STATE_MARKER));
}
