// Writes the generated files under deploy/ from src/manifests/.
//   node --import tsx hack/gen-manifests.ts          write them
//   node --import tsx hack/gen-manifests.ts --check  exit 1 if any differs
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../src/manifests/files.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
let stale = 0;

for (const file of generatedFiles()) {
  const target = join(root, file.path);
  let current: string | undefined;
  try {
    current = readFileSync(target, "utf8");
  } catch {
    current = undefined;
  }
  if (current === file.content) continue;
  if (check) {
    process.stderr.write(`${file.path} is out of date\n`);
    stale++;
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  process.stdout.write(`wrote ${file.path}\n`);
}

if (stale > 0) {
  process.stderr.write(`run: node --import tsx hack/gen-manifests.ts\n`);
  process.exitCode = 1;
}
