import assert from "node:assert/strict";
import { test } from "node:test";
import { parseImageReference, parseImageReferenceAsWritten, splitImageReference } from "../../../src/api/image-reference.js";

const DIGEST = "sha256:" + "a".repeat(64);

test("a split keeps what is written: the tag follows the last colon past the last slash, the digest the first @", () => {
  assert.deepEqual(splitImageReference("nginx"), { repository: "nginx", tag: "", digest: "" });
  assert.deepEqual(splitImageReference("reg:5000/a/b"), { repository: "reg:5000/a/b", tag: "", digest: "" });
  assert.deepEqual(splitImageReference("reg:5000/a/b:1.2-broken"), { repository: "reg:5000/a/b", tag: "1.2-broken", digest: "" });
  assert.deepEqual(splitImageReference("a:1@sha256:short"), { repository: "a", tag: "1", digest: "sha256:short" });
});

test("image references split repository, tag and digest as written (docs/behaviour.md §6.5)", () => {
  assert.deepEqual(parseImageReferenceAsWritten("nginx"), { repository: "nginx", tag: "", digest: "" });
  assert.deepEqual(parseImageReferenceAsWritten("reg:5000/a/b:1.2"), { repository: "reg:5000/a/b", tag: "1.2", digest: "" });
  assert.deepEqual(parseImageReferenceAsWritten(`a/b:1@${DIGEST}`), { repository: "a/b", tag: "1", digest: DIGEST });
  assert.equal(parseImageReferenceAsWritten("a@sha256:short"), null);
  assert.equal(parseImageReferenceAsWritten("a:"), null);
  assert.equal(parseImageReferenceAsWritten(":1"), null);
  assert.equal(parseImageReferenceAsWritten("a b:1"), null);
});

test("image references split into tag and digest as Kubernetes does", () => {
  assert.deepEqual(parseImageReference(`reg.io:5000/a/b:v2@${DIGEST}`), { tag: "v2", digest: DIGEST });
  assert.deepEqual(parseImageReference("busybox"), { tag: "latest", digest: "" });
  assert.equal(parseImageReference(`x${"a".repeat(300)}`), undefined);
});
