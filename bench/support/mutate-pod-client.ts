// The load side of the benchmarks that talk to the pod webhook alone
// (mutate-pod-server.ts): the server in a process of its own, pinned to the
// first CPU where taskset is available, the load on the second, and the
// requests they send.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request, type Agent } from "node:https";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { MUTATE_POD_PATH } from "../../src/webhook/handlers/index.js";
import { pod, podCreationReview } from "./admission-workload.js";

const here = dirname(fileURLToPath(import.meta.url));
const TASKSET = "/usr/bin/taskset";
export const pinned = existsSync(TASKSET) && spawnSync(TASKSET, ["-c", "0", "true"]).status === 0 && spawnSync(TASKSET, ["-c", "1", "true"]).status === 0;

/** Runs the benchmark at `benchUrl` again pinned to the second CPU (the server gets the first to itself), then exits. */
export function runLoadOnSecondCpu(benchUrl: string): void {
  if (!pinned || process.env.MUTATE_POD_LOAD_PINNED !== undefined) return;
  const self = spawnSync(TASKSET, ["-c", "1", process.execPath, ...process.execArgv, fileURLToPath(benchUrl)], {
    stdio: "inherit",
    env: { ...process.env, MUTATE_POD_LOAD_PINNED: "1" },
  });
  process.exit(self.status ?? 1);
}

export interface Server {
  child: ChildProcess;
  port: number;
  /** How long the webhook's warm-up took before the server reported its port (0 without one). */
  warmUpMs: number;
  /** The CPU time the server process has used so far, in µs. */
  cpuMicros(): Promise<number>;
}

/** What mutate-pod-server.ts is started with (its stdin). */
export interface ServerInput {
  cert: string;
  key: string;
  /** The bare control's answer bytes. */
  answer?: string;
  /** With `answer`: the webhook's own server answers those bytes (the server control) instead of a bare Node.js server. */
  answerThroughWebhookServer?: boolean;
  /** The allocation control's patch. */
  patch?: unknown;
  /** How many SidecarSets the webhook caches (default 100; 10 inject the pod whatever their number). */
  sidecarSets?: number;
  /** Made-up admissions the webhook runs before it reports its port, as the manager's `--admission-warm-up` (none when absent). */
  warmUp?: number;
  /** The warm-up calls the route in process instead of going through the server's own port (the alternative the manager does not take). */
  warmUpInProcess?: boolean;
}

export async function startServer(input: ServerInput): Promise<Server> {
  const node = [process.execPath, "--import", "tsx", join(here, "mutate-pod-server.ts")];
  const [cmd, ...args] = pinned ? [TASKSET, "-c", "0", ...node] : node;
  const child = spawn(cmd!, args, { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin!.end(JSON.stringify(input));
  // The server answers with lines: its port and warm-up time, then its CPU time whenever asked.
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (let end = out.indexOf("\n"); end >= 0; end = out.indexOf("\n")) {
      const line = out.slice(0, end).trim();
      out = out.slice(end + 1);
      const reader = waiting.shift();
      if (reader) reader(line);
      else lines.push(line);
    }
  });
  const nextLine = () => new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiting.push(resolve)));
  const [port, warmUpMs] = await Promise.race([
    nextLine().then((line) => line.split(" ").map(Number)),
    new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`the webhook server exited (${code}) before listening`)))),
  ]);
  const cpuMicros = async () => {
    const line = nextLine();
    child.kill("SIGUSR2");
    return Number(await line);
  };
  return { child, port: port!, warmUpMs: warmUpMs ?? 0, cpuMicros };
}

/** The review of the shared workload's pod (10 of 100 SidecarSets inject it), with `labels` added. */
export function review(uid: string, labels: Record<string, string> = {}): string {
  return JSON.stringify(podCreationReview(uid, "demo", withLabels(pod(), labels)));
}

function withLabels<T extends { metadata?: { labels?: Record<string, string> } }>(p: T, labels: Record<string, string>): T {
  return { ...p, metadata: { ...p.metadata, labels: { ...p.metadata?.labels, ...labels } } };
}

/** One request on `agent`; resolves with the milliseconds until the whole answer was read. */
export function timedPost(port: number, ca: string, agent: Agent, body: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: MUTATE_POD_PATH, method: "POST", ca, agent, headers: { "content-type": "application/json" } }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`answer ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}
