// Runs a command that writes to process.stdout/stderr in-process, capturing both.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../../../src/cli/program.js";

// The CLI loads a command's modules when it runs. Loaded once here, before any
// output is captured, they come from the module cache afterwards: the test
// runner's own output can then never fall between a command's writes.
await buildProgram();

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs `cmd` with stdout/stderr captured; process.exitCode is restored afterwards. */
export function runCommand(cmd: Command, args: string[]): Promise<RunResult> {
  return captureOutput(async () => {
    await cmd.exitOverride().parseAsync(["node", "sidecarset", ...args]);
  });
}

/** Writes `content` to a new file named `name` in a fresh temp directory. */
export function tempFile(name: string, content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "sidecarset-cli-")), name);
  writeFileSync(file, content);
  return file;
}

/** Runs `work` with process.stdout/stderr captured; process.exitCode is restored afterwards. */
export async function captureOutput(work: () => Promise<number | void>): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const savedExitCode = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  let returned: number | void;
  try {
    returned = await work();
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
  const exitCode = typeof returned === "number" ? returned : typeof process.exitCode === "number" ? process.exitCode : 0;
  process.exitCode = savedExitCode;
  return { stdout: out.join(""), stderr: err.join(""), exitCode };
}
