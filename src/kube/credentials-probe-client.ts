// Runs credentials-probe.ts as a child process and reads its answer. A process
// rather than a thread: when it exits, all the memory the client library took
// goes back to the system (a finished worker thread leaves ~30 MB behind in
// the allocator).
import { spawn } from "node:child_process";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProbeAnswer, ProbeRequest } from "./credentials-probe-protocol.js";

/** Loading the library takes about a second; a hung helper must not hang the manager. */
const PROBE_TIMEOUT_MS = 60_000;

export async function probeCredentials(request: ProbeRequest, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeAnswer> {
  const child = spawn(process.execPath, probeArgs(), { stdio: ["pipe", "pipe", "pipe"], env: process.env });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => stdout.push(d));
  child.stderr.on("data", (d: Buffer) => stderr.push(d));
  child.stdin.end(JSON.stringify(request));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c, s) => resolve([c, s]));
    });
    const line = Buffer.concat(stdout).toString("utf8").trim();
    if (code === 0 && line) return JSON.parse(line) as ProbeAnswer;
    const why = signal === "SIGKILL" ? `no answer within ${timeoutMs / 1000} s` : `exit code ${code ?? signal}`;
    const detail = Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-3).join(" ");
    throw new Error(`the credentials helper process failed (${why})${detail ? `: ${detail}` : ""}`);
  } finally {
    clearTimeout(timer);
  }
}

/** From the compiled build the helper is a plain script; from the TypeScript sources it runs under tsx. */
function probeArgs(): string[] {
  const self = fileURLToPath(import.meta.url);
  if (extname(self) !== ".ts") return [fileURLToPath(new URL("./credentials-probe.js", import.meta.url))];
  return ["--import", import.meta.resolve("tsx"), fileURLToPath(new URL("./credentials-probe.ts", import.meta.url))];
}
