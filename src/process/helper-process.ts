// Short-lived helper processes: one JSON request on stdin, one JSON line on
// stdout, then exit. The manager hands work that needs a heavy library to
// such a process (the client library's kubeconfig loading, certificate
// issuance) instead of loading the library itself: when the process exits,
// all the memory it took goes back to the system, whereas a module once
// imported stays for the life of the manager, and a finished worker thread
// leaves ~30 MB behind in the allocator.
import { spawn } from "node:child_process";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

export interface HelperOptions {
  /** What the helper does, for error messages: "the credentials helper process". */
  what: string;
  /** A hung helper must not hang the manager: it is killed after this long. */
  timeoutMs: number;
}

/** Runs `script` (see {@link helperScript}) with `request` on stdin and returns the JSON line it prints. */
export async function runHelperProcess<Answer>(script: URL, request: unknown, opts: HelperOptions): Promise<Answer> {
  const child = spawn(process.execPath, helperArgs(script), { stdio: ["pipe", "pipe", "pipe"], env: process.env });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => stdout.push(d));
  child.stderr.on("data", (d: Buffer) => stderr.push(d));
  child.stdin.end(JSON.stringify(request));
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c, s) => resolve([c, s]));
    });
    const line = Buffer.concat(stdout).toString("utf8").trim();
    if (code === 0 && line) return JSON.parse(line) as Answer;
    const why = signal === "SIGKILL" ? `no answer within ${opts.timeoutMs / 1000} s` : `exit code ${code ?? signal}`;
    const detail = Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-3).join(" ");
    throw new Error(`${opts.what} failed (${why})${detail ? `: ${detail}` : ""}`);
  } finally {
    clearTimeout(timer);
  }
}

/** From the compiled build a helper is a plain script; from the TypeScript sources it runs under tsx. */
function helperArgs(script: URL): string[] {
  const path = fileURLToPath(script);
  if (extname(path) !== ".ts") return [path];
  return ["--import", import.meta.resolve("tsx"), path];
}

/**
 * A helper script's own URL as the caller should pass it: the `.js` name
 * next to the caller in the build, the `.ts` one when the caller runs from
 * the sources.
 */
export function helperScript(callerUrl: string, baseName: string): URL {
  const fromSources = extname(fileURLToPath(callerUrl)) === ".ts";
  return new URL(`./${baseName}${fromSources ? ".ts" : ".js"}`, callerUrl);
}

/** How a helper reports that it could not do what was asked. */
export interface HelperFailure {
  ok: false;
  message: string;
}

/** The helper's side: reads the one request and prints `answer(request)`, or its error as a {@link HelperFailure}, as one line. */
export async function answerOneRequest<Request, Answer>(answer: (request: Request) => Promise<Answer>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Request;
  const result = await answer(request).catch((e: unknown): HelperFailure => ({ ok: false, message: e instanceof Error ? e.message : String(e) }));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
