import assert from "node:assert/strict";
import { test } from "node:test";
import { escapePointerSegment } from "../../../src/api/json-patch.js";

test("RFC 6901: ~ and / in a path segment are escaped, ~ first", () => {
  assert.equal(escapePointerSegment("kruise.io/sidecarset-hash"), "kruise.io~1sidecarset-hash");
  assert.equal(escapePointerSegment("a~b/c"), "a~0b~1c");
  assert.equal(escapePointerSegment("~1"), "~01");
});
