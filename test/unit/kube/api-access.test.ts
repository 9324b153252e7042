import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import type https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openApiAccess, type ApiAccessDeps } from "../../../src/kube/api-access.js";
import { probeCredentials } from "../../../src/kube/credentials-probe-client.js";
import type { ProbeAnswer, ProbeRequest } from "../../../src/kube/credentials-probe-protocol.js";
import type { KubeCredentials } from "../../../src/kube/raw-client.js";
import type { ResolvedCredentials } from "../../../src/kube/relayed-credentials.js";

const creds = (token: string): ResolvedCredentials => ({ server: "https://api:6443", tls: { ca: "CA" }, headers: { Authorization: `Bearer ${token}` } });

function relayable(token: string, digest: string): ProbeAnswer {
  return { ok: true, source: "in-cluster", server: "https://api:6443", kind: "relayable", files: [{ path: "/sa/token", digest }], credentials: creds(token) };
}

/** Deps whose probe answers from a script and whose file digests are set by the test. */
function scripted(answers: ProbeAnswer[]): ApiAccessDeps & { probes: number; digests: Map<string, string> } {
  const deps = {
    probes: 0,
    digests: new Map<string, string>([["/sa/token", "d1"]]),
    probe: async (_: ProbeRequest) => {
      const next = answers[Math.min(deps.probes++, answers.length - 1)]!;
      return next;
    },
    loadInProcess: async () => {
      throw new Error("the library must not be loaded in the process");
    },
    digest: async (path: string) => deps.digests.get(path) ?? "unreadable",
  };
  return deps;
}

async function headersOf(c: KubeCredentials): Promise<unknown> {
  const options: https.RequestOptions = {};
  await c.applyToHTTPSOptions(options);
  return options.headers;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("relayable credentials are used from the helper's answer; it runs again only when a watched file changes", async () => {
  const deps = scripted([relayable("one", "d1"), relayable("two", "d2")]);
  const access = await openApiAccess({}, deps);
  assert.equal(access.mode, "helper-process");
  assert.equal(access.source, "in-cluster");
  assert.deepEqual(await headersOf(access.credentials), { Authorization: "Bearer one" });
  const seen: ResolvedCredentials[] = [];
  access.watch((c) => seen.push(c), (e) => assert.fail(String(e)), 5);
  await tick(40);
  assert.equal(deps.probes, 1, "an unchanged file does not start the helper");
  deps.digests.set("/sa/token", "d2");
  await tick(40);
  access.stop();
  assert.equal(deps.probes, 2, "a rotated token file starts it once");
  assert.deepEqual(seen, [creds("two")]);
  assert.deepEqual(await headersOf(access.credentials), { Authorization: "Bearer two" }, "this thread's requests use the new token");
  assert.deepEqual(access.relayable(), creds("two"));
});

test("a failed refresh is reported, the old credentials kept, and it is tried again", async () => {
  const deps = scripted([relayable("one", "d1"), { ok: false, message: "token file unreadable" }, relayable("two", "d2")]);
  const access = await openApiAccess({}, deps);
  const errors: string[] = [];
  const seen: ResolvedCredentials[] = [];
  deps.digests.set("/sa/token", "d2");
  access.watch((c) => seen.push(c), (e) => errors.push((e as Error).message), 5);
  await tick(60);
  access.stop();
  assert.deepEqual(errors, ["token file unreadable"]);
  assert.deepEqual(seen, [creds("two")]);
});

test("credentials that need the library load it in the process and say why", async () => {
  const inProcess: KubeCredentials = {
    getCurrentCluster: () => ({ server: "https://api:6443" }),
    applyToHTTPSOptions: async (o) => void (o.headers = { Authorization: "Bearer from-exec" }),
  };
  const deps: ApiAccessDeps = {
    probe: async () => ({ ok: true, source: "home", server: "https://api:6443", kind: "in-process", reason: "an exec credential plugin renews the credentials" }),
    loadInProcess: async () => ({ kubeConfig: inProcess, source: "home", server: "https://api:6443" }),
    digest: async () => assert.fail("nothing to watch"),
  };
  const access = await openApiAccess({}, deps);
  assert.equal(access.mode, "in-process");
  assert.equal(access.credentials, inProcess);
  assert.match(access.reason ?? "", /exec/);
  assert.equal(access.relayable()?.headers.Authorization, "Bearer from-exec");
});

test("a kubeconfig that cannot be loaded fails the start with the helper's message", async () => {
  const deps = scripted([{ ok: false, message: "--kubeconfig /nope: no such file" }]);
  await assert.rejects(openApiAccess({ kubeconfigPath: "/nope" }, deps), /--kubeconfig \/nope: no such file/);
});

test("the helper process resolves a kubeconfig file and reports the files with their digests", async () => {
  const dir = mkdtempSync(join(tmpdir(), "probe-"));
  const ca = join(dir, "ca.crt");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n");
  const kubeconfig = join(dir, "config");
  writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443', certificate-authority: ca.crt}}]",
      "users: [{name: u, user: {token: s3cret}}]",
      "contexts: [{name: x, context: {cluster: c, user: u}}]",
      "current-context: x",
    ].join("\n"),
  );
  const answer = await probeCredentials({ kubeconfigPath: kubeconfig });
  assert.equal(answer.ok, true);
  assert.ok(answer.ok && answer.kind === "relayable");
  assert.equal(answer.source, "flag");
  assert.equal(answer.server, "https://10.0.0.1:6443");
  assert.equal(answer.credentials.headers.Authorization, "Bearer s3cret");
  assert.match(answer.credentials.tls.ca ?? "", /BEGIN CERTIFICATE/);
  assert.deepEqual(
    answer.files.map((f) => f.path),
    [kubeconfig, ca],
    "the kubeconfig itself is watched too: a token written into it is a rotation",
  );
  for (const f of answer.files) assert.match(f.digest, /^[0-9a-f]{64}$/);

  const missing = await probeCredentials({ kubeconfigPath: join(dir, "absent") });
  assert.deepEqual(missing, { ok: false, message: `--kubeconfig ${join(dir, "absent")}: no such file` });
});
