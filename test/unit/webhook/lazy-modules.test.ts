// The webhook thread loads what only SidecarSet requests need (the validation
// rules) at the first such request, and the RE2 engine only for a SidecarSet
// that names a regular expression: the pod webhook's path, the admission
// warm-up included, must not load them, and neither must a SidecarSet's image
// references (src/api/re2.ts, src/api/image-reference.ts,
// src/webhook/handlers/index.ts). Run in a process of its own, whose module
// cache nothing else has filled.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../../src");
const src = (file: string) => JSON.stringify(pathToFileURL(resolve(SRC, file)).href);

const SCRIPT = `
import { createRequire } from "node:module";
const require = createRequire(process.cwd() + "/");
const re2Loaded = () => Object.keys(require.cache).some((k) => k.includes("/node_modules/re2js/"));
const { warmUpPodAdmission } = await import(${src("webhook/admission-warm-up.ts")});
const { admissionRoutes, MUTATE_POD_PATH, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH } = await import(${src("webhook/handlers/index.ts")});
const { silentLogger } = await import(${src("observability/logger.js")});
const seen = {};
const warmUp = await warmUpPodAdmission({ admissions: 40, budgetMs: 60_000 });
seen.warmUpInjected = warmUp.injected > 0;
seen.afterWarmUp = re2Loaded();
const cache = { sidecarSets: () => [], namespaceLabels: () => ({}), revisions: () => [], whitelist: () => undefined };
const routes = admissionRoutes({ cache, now: () => new Date(0), random: () => 0.5, logger: silentLogger() });
const call = (path, request) => routes[path]({ path, abandoned: false, signal: new AbortController().signal, body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request } });
const pod = await call(MUTATE_POD_PATH, {
  uid: "p", kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" },
  namespace: "web", operation: "CREATE", userInfo: {}, object: { metadata: { namespace: "web" }, spec: { containers: [{ name: "app", image: "app:1" }] } },
});
seen.podAllowed = pod.body.response.allowed;
seen.afterPod = re2Loaded();
const set = { apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", metadata: { name: "log-agent" },
  spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name: "logtail", image: "logtail:1.0" }] } };
const validated = await call(VALIDATE_SIDECARSET_PATH, {
  uid: "s", kind: { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" },
  resource: { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" },
  name: "log-agent", operation: "CREATE", userInfo: {}, object: set,
});
seen.setAllowed = validated.body.response.allowed;
seen.afterSidecarSet = re2Loaded();
const defaulted = await call(MUTATE_SIDECARSET_PATH, {
  uid: "d", kind: { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" },
  resource: { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" },
  name: "log-agent", operation: "CREATE", userInfo: {}, object: set,
});
seen.setDefaulted = typeof defaulted.body.response.patch === "string";
seen.afterDefaulting = re2Loaded();
const sized = { ...set, spec: { ...set.spec, containers: [{ ...set.spec.containers[0],
  resourcesPolicy: { targetContainersMode: "sum", targetContainersNameRegex: "^app$", resourcesExpr: { requests: { cpu: "cpu*50%" } } } }] } };
const withRegex = await call(VALIDATE_SIDECARSET_PATH, { uid: "r",
  kind: { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" },
  resource: { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" },
  name: "log-agent", operation: "CREATE", userInfo: {}, object: sized,
});
seen.regexSetAllowed = withRegex.body.response.allowed;
seen.afterRegex = re2Loaded();
console.log(JSON.stringify(seen));
`;

test("the pod webhook's path, its warm-up and a SidecarSet's image references do not load the RE2 engine; a SidecarSet's regular expression does", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out.trim().split("\n").at(-1)!), {
    warmUpInjected: true,
    afterWarmUp: false,
    podAllowed: true,
    afterPod: false,
    setAllowed: true,
    afterSidecarSet: false,
    setDefaulted: true,
    afterDefaulting: false,
    regexSetAllowed: true,
    afterRegex: true,
  });
});
