import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { JsonPatchOp } from "../../../src/api/json-patch.js";
import {
  allowed,
  denied,
  handleAdmission,
  invalid,
  patched,
  toReview,
  type AdmissionResponse,
  type AdmissionReview,
} from "../../../src/webhook/admission.js";
import { admissionReviewJsonPieces, base64PatchOf } from "../../../src/webhook/review-json.js";

/** The answer's text whole, as the server writes it piece after piece. */
const admissionReviewJson = (review: AdmissionReview, base64Patch: string | undefined): string => admissionReviewJsonPieces(review, base64Patch).join("");
import { podReview } from "./handlers/fixtures.js";


const sidecarOps = (name: string): JsonPatchOp[] => [
  { op: "add", path: "/spec/containers/-", value: { name, image: `registry.local/${name}:1.0`, env: [{ name: "TZ", value: "Europe/Berlin" }] } },
  { op: "add", path: "/metadata/annotations/kruise.io~1sidecarset-hash", value: `{"${name}":{"hash":"abc","note":"<a & b>"}}` },
];

/** Responses of every shape the handlers answer with, beside patched ones. */
function responses(): AdmissionResponse[] {
  return [
    allowed("uid-1"),
    allowed("uid-1", ["a warning", "ünïcode ⚠"]),
    patched("uid-1", sidecarOps("log-agent")),
    patched("uid-1", sidecarOps("log-agent"), ["w"]),
    patched("uid-ü", sidecarOps("agent-ünïcode \u2028 \"quoted\"")),
    { ...patched("uid-1", sidecarOps("x")), auditAnnotations: { patch: "", "a/b": "c" } },
    denied("uid-1", 500, 'sidecarset "a": bad "value" <here>'),
    invalid("uid-1", [{ path: "spec.selector", message: "required" }], { kind: "SidecarSet", group: "apps.kruise.io", name: "a" }),
    { uid: "uid-1", allowed: true, patch: "not base64 \" but given by a handler", patchType: "JSONPatch" },
  ];
}

test("the answer's JSON text is exactly JSON.stringify of the review, for every kind of response", () => {
  for (const response of responses()) {
    const review = toReview({ ...response, uid: "uid-2" });
    assert.equal(admissionReviewJson(review, base64PatchOf(response)), JSON.stringify(review));
  }
});

test("with a known base64 patch the text comes in three pieces, the patch string itself in the middle", () => {
  for (const response of [patched("uid-1", sidecarOps("log-agent")), patched("uid-1", sidecarOps("x"), ["a warning"])]) {
    const review = toReview(response);
    const pieces = admissionReviewJsonPieces(review, base64PatchOf(response));
    assert.equal(pieces.length, 3);
    assert.equal(pieces[1], response.patch);
    assert.equal(pieces.join(""), JSON.stringify(review));
  }
  const plain = toReview(allowed("uid-1"));
  assert.deepEqual(admissionReviewJsonPieces(plain, undefined), [JSON.stringify(plain)]);
});

test("a patch made by patched is written as it is; any other patch is escaped like the other fields", () => {
  const made = patched("u", sidecarOps("a"));
  assert.equal(base64PatchOf(made), made.patch);
  const replaced = { ...made, patch: 'x"y' };
  assert.equal(base64PatchOf(replaced), undefined, "a copy is not known");
  made.patch = 'x"y';
  assert.equal(base64PatchOf(made), undefined, "a patch changed after patched is not trusted");
  const review = toReview(made);
  assert.equal(admissionReviewJson(review, 'x"y'.replace("x", "z")), JSON.stringify(review), "a patch other than the one named is escaped");
  assert.deepEqual(JSON.parse(admissionReviewJson(review, base64PatchOf(made))).response.patch, 'x"y');
});

test("handleAdmission's JSON text equals JSON.stringify of its body for patched, allowed and denied answers", async () => {
  const handlers = [
    () => patched("ignored", sidecarOps("log-agent")),
    () => patched("ignored", sidecarOps("ünïcode")),
    () => allowed("ignored", ["w"]),
    () => denied("ignored", 400, "no"),
    () => {
      throw new Error('boom "quoted"');
    },
  ];
  for (const handler of handlers) {
    for (const uid of ["00000000-0000-4000-8000-000000000001", "uid with \"quotes\" and ü"]) {
      const reply = await handleAdmission(podReview({ metadata: { name: "web" }, spec: { containers: [] } }, { uid }), handler);
      assert.equal([reply.json ?? []].flat().join(""), JSON.stringify(reply.body));
    }
  }
});

test("for any patch, uid and warnings the JSON text equals JSON.stringify and decodes to the same operations", () => {
  const op = fc.record({
    op: fc.constantFrom("add" as const, "replace" as const),
    path: fc.string(),
    value: fc.jsonValue(),
  });
  fc.assert(
    fc.property(fc.string(), fc.array(op, { minLength: 1, maxLength: 5 }), fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined }), (uid, ops, warnings) => {
      const response = patched(uid, ops, warnings);
      const review = toReview(response);
      const text = admissionReviewJson(review, base64PatchOf(response));
      assert.equal(text, JSON.stringify(review));
      const decoded = JSON.parse(Buffer.from(JSON.parse(text).response.patch, "base64").toString("utf8"));
      assert.deepEqual(decoded, JSON.parse(JSON.stringify(ops)));
    }),
    { numRuns: 300 },
  );
});
