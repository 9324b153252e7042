import assert from "node:assert/strict";
import { test } from "node:test";
import { textBytes } from "../../../src/webhook/text-bytes.js";

test("pieces count their UTF-8 bytes together, and are ASCII only when every character is", () => {
  assert.deepEqual(textBytes(['{"a":', '"b"', "}"]), { bytes: 9, ascii: true });
  assert.deepEqual(textBytes(["ü", "x"]), { bytes: 3, ascii: false });
  assert.deepEqual(textBytes(["\u00ff"]), { bytes: 2, ascii: false }, "Latin-1 but not ASCII: its UTF-8 differs");
  assert.deepEqual(textBytes([]), { bytes: 0, ascii: true });
});
