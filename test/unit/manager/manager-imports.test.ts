// The manager keeps the Kubernetes client library out of its process unless a
// kubeconfig needs it (src/kube/api-access.ts), and the certificate-issuing
// library out altogether (it issues in a helper process,
// src/webhook/cert-issuer.ts): no static import chain from `sidecarset manager`
// may reach either. The controller's code is loaded when the replica first leads, and
// the SidecarSet webhooks' code when the webhook thread first serves one of them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../../src");

/** Specifiers of the imports that run at load: `import type` and dynamic `import()` excluded. */
export function staticImports(source: string): string[] {
  const out: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?\bfrom\s+)?["']([^"']+)["'];?/gm;
  for (const m of source.matchAll(statement)) {
    if (m[2]) continue;
    if (m[1] === "export" && !m[3]) continue;
    // `import { type A, type B } from` is erased as well when every name is a type.
    const names = m[3]?.match(/\{([\s\S]*)\}/)?.[1];
    if (names && !/^\s*\*|^[^{]*\w+\s*,\s*\{/.test(m[3]!) && names.split(",").every((n) => n.trim() === "" || n.trim().startsWith("type "))) continue;
    out.push(m[4]!);
  }
  return out;
}

function reach(...entries: string[]): Map<string, string[]> {
  const paths = new Map<string, string[]>(entries.map((e) => [e, [e]]));
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of staticImports(readFileSync(file, "utf8"))) {
      const target = spec.startsWith(".") ? resolve(dirname(file), spec.replace(/\.js$/, ".ts")) : spec;
      if (paths.has(target)) continue;
      paths.set(target, [...paths.get(file)!, target]);
      if (spec.startsWith(".")) queue.push(target);
    }
  }
  return paths;
}

// The command loads the manager module when it runs (a dynamic import) and the manager starts the webhook
// thread from its own entry file: all are roots.
const managerImports = (): Map<string, string[]> =>
  reach(...["cli/main.ts", "cli/manager.ts", "manager/manager.ts", "manager/webhook-worker.ts"].map((f) => resolve(SRC, f)));

test("the static imports of the manager command do not load @kubernetes/client-node", () => {
  const reached = managerImports();
  assert.ok(reached.has(resolve(SRC, "manager/manager.ts")), "the walk follows the manager's imports");
  assert.ok(reached.has("pino"), "the walk sees package imports");
  const chain = reached.get("@kubernetes/client-node");
  assert.equal(chain, undefined, `loaded through ${chain?.map((p) => p.replace(SRC, "src")).join(" → ")}`);
});

test("the certificate-issuing library is not among the manager's imports; its helper process loads it", () => {
  const chain = managerImports().get("@peculiar/x509");
  assert.equal(chain, undefined, `loaded through ${chain?.map((p) => p.replace(SRC, "src")).join(" → ")}`);
  assert.ok(reach(resolve(SRC, "webhook/cert-issue-process.ts")).has("@peculiar/x509"));
});

test("the controller is not among the manager's imports (a standby never loads it); the controller term loads it", () => {
  const controller = resolve(SRC, "controller/controller.ts");
  // The webhook thread's modules are roots of their own isolate: only the main thread's graph counts here.
  const mainThread = reach(...["cli/main.ts", "cli/manager.ts", "manager/manager.ts"].map((f) => resolve(SRC, f)));
  const chain = mainThread.get(controller);
  assert.equal(chain, undefined, `loaded through ${chain?.map((p) => p.replace(SRC, "src")).join(" → ")}`);
  assert.ok(reach(resolve(SRC, "manager/controller-term.ts")).has(controller));
});

test("the webhook thread loads the SidecarSet webhooks' rules and the RE2 engine only when it first needs them", () => {
  const webhookThread = reach(resolve(SRC, "manager/webhook-worker.ts"));
  assert.ok(webhookThread.has(resolve(SRC, "webhook/handlers/pod.ts")), "the walk follows the webhook thread's imports");
  for (const lazy of [resolve(SRC, "api/validation/index.ts"), resolve(SRC, "webhook/handlers/sidecarset-validate.ts"), "re2js"]) {
    const chain = webhookThread.get(lazy);
    assert.equal(chain, undefined, `loaded through ${chain?.map((p) => p.replace(SRC, "src")).join(" → ")}`);
  }
  assert.ok(reach(resolve(SRC, "webhook/handlers/sidecarset-handlers.ts")).has(resolve(SRC, "api/validation/index.ts")));
});

test("the same walk finds the library where it is loaded", () => {
  assert.ok(reach(resolve(SRC, "kube/credentials-probe.ts")).has("@kubernetes/client-node"));
});

test("type-only imports are not counted", () => {
  assert.deepEqual(
    staticImports(`import type { A } from "a";\nimport { type B, type C } from "b";\nimport { D, type E } from "d";\nexport { F } from "f";\nexport type { G } from "g";\nimport "h";\nconst x = await import("i");\nimport {\n  J,\n} from "j";`),
    ["d", "f", "h", "j"],
  );
});
