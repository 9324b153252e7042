// The corpus of invalid SidecarSets (test/fixtures/invalid-sidecarsets)
// through the real API server: every case is refused, and the refusal — from
// the API server's own checks or from our webhooks — names the same fields as
// `sidecarset validate` does for it, with the case's message fragment.
// SidecarSets a case says the cluster holds are created first and removed
// afterwards; each case uses its own names and labels, so none sees another.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { useEnvironment, waitFor } from "../support/environment.js";
import { loadInvalidCases, submittedName, validateCase } from "../support/invalid-sidecarsets.js";
import { apiErrorCode, KubeRequestError, rawRequest } from "../support/kube.js";
import { SIDECARSETS, waitForObserved, type SidecarSetObject } from "../support/sidecarsets.js";

const env = useEnvironment();
const dir = mkdtempSync(join(tmpdir(), "sidecarset-corpus-e2e-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Status {
  code: number;
  reason?: string;
  message: string;
  details?: { causes?: { field: string; message: string }[] };
}

const nameOf = (object: Record<string, unknown>): string => (object.metadata as { name: string }).name;

/** Submits `object`: created, or replacing the stored SidecarSet of its name (read again when the controller wrote in between). */
async function submit(object: Record<string, unknown>, replaces: boolean): Promise<unknown> {
  if (!replaces) return rawRequest(env().clients.kc, "POST", SIDECARSETS, object);
  const path = `${SIDECARSETS}/${nameOf(object)}`;
  return waitFor(`${nameOf(object)} to be replaced or refused`, async () => {
    const stored = await rawRequest<SidecarSetObject>(env().clients.kc, "GET", path);
    const metadata = { ...(object.metadata as Record<string, unknown>), resourceVersion: stored.metadata.resourceVersion };
    try {
      return { answer: await rawRequest(env().clients.kc, "PUT", path, { ...object, metadata }) };
    } catch (e) {
      if (e instanceof KubeRequestError && e.status === 409) return undefined;
      return { error: e };
    }
  }).then((r) => ("error" in r ? Promise.reject(r.error) : r.answer));
}

async function remove(name: string): Promise<void> {
  try {
    await rawRequest(env().clients.kc, "DELETE", `${SIDECARSETS}/${name}`);
  } catch (e) {
    if (apiErrorCode(e) !== 404) throw e;
  }
}

for (const c of loadInvalidCases()) {
  test(`the API server refuses ${c.id} (${c.title}) at ${c.path}, as validate does`, async () => {
    const created: string[] = [];
    try {
      for (const e of c.existing) {
        const name = nameOf(e.object);
        await submit(e.object, created.includes(name));
        if (!created.includes(name)) created.push(name);
        // Conflicts and canary bases are judged from the manager's cache.
        await waitForObserved(env(), name);
      }
      const name = submittedName(c);
      const err = await submit(c.submitted.object, created.includes(name)).then(
        () => assert.fail(`${c.id}: the API server accepted the SidecarSet`),
        (e: unknown) => e,
      );
      // (A refused generateName leaves nothing to remove.)
      if (name !== "" && !created.includes(name)) created.push(name);
      assert.ok(err instanceof KubeRequestError, String(err));
      const status = JSON.parse(err.body) as Status;
      assert.equal(status.code, 422, status.message);
      assert.equal(status.reason, "Invalid", status.message);
      const causes = status.details?.causes ?? [];
      const cause = causes.find((k) => k.field === c.path && k.message.includes(c.message));
      assert.ok(cause, `${c.id}: expected a cause at ${c.path} containing ${JSON.stringify(c.message)}, got ${JSON.stringify(causes, null, 1)}`);

      const { findings, fields, lines } = validateCase(c, dir);
      assert.ok(
        findings.some((l) => l.startsWith(`${cause.field}: `) && l.includes(c.message)),
        `${c.id}: validate does not report ${cause.field} with ${JSON.stringify(c.message)}:\n${lines.join("\n")}`,
      );
      const clusterFields = [...new Set(causes.map((k) => k.field))].sort();
      assert.deepEqual(fields, clusterFields, `${c.id}: validate and the API server name different fields:\n${lines.join("\n")}\n${status.message}`);
    } finally {
      for (const name of created.reverse()) await remove(name);
    }
  });
}
