// The validating webhook and `sidecarset validate` answer every case of the
// invalid corpus (test/fixtures/invalid-sidecarsets) alike: the same fields,
// and the case's message fragment at its path. The end-to-end test checks the
// same through the real API server; this one runs with every unit test.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { checkShape } from "../../../../src/api/validation/index.js";
import { createSidecarSetValidateHandler } from "../../../../src/webhook/handlers/sidecarset-validate.js";
import { loadInvalidCases, submittedName, validateCase } from "../../../support/invalid-sidecarsets.js";
import { fakeCache, responseOf, run, sidecarSetReview } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-corpus-webhook-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** As the cluster stores a SidecarSet: defaulted on the way in. */
const stored = (object: Record<string, unknown>): SidecarSet => defaultSidecarSet(checkShape(object, "SidecarSet").value as SidecarSet);

for (const c of loadInvalidCases()) {
  test(`the validating webhook refuses ${c.id} at the fields validate names`, async () => {
    const name = submittedName(c);
    const held = new Map(c.existing.map((e) => [(e.object.metadata as { name: string }).name, stored(e.object)]));
    const old = name === "" ? undefined : held.get(name);
    const handler = createSidecarSetValidateHandler({ cache: fakeCache({ sidecarSets: [...held.values()] }) });
    const review = sidecarSetReview(old ? "UPDATE" : "CREATE", c.submitted.object, old ? { oldObject: old } : {});
    const r = responseOf(await run(handler, review));
    assert.equal(r.allowed, false);
    const causes = r.status?.details?.causes ?? [];
    assert.ok(
      causes.some((k) => k.field === c.path && k.message.includes(c.message)),
      `${c.id}: no cause at ${c.path} with ${JSON.stringify(c.message)}: ${JSON.stringify(causes, null, 1)}`,
    );
    const fields = [...new Set(causes.map((k) => k.field))].sort();
    assert.deepEqual(fields, validateCase(c, dir).fields);
  });
}
