import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import {
  apiErrorFromResponse,
  apiErrorFromStatus,
  describeError,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  KubeApiError,
  toKubeApiError,
} from "../../../src/kube/errors.js";

const statusBody = (code: number, reason: string, message = "m") =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message });

const predicates = { isNotFound, isConflict, isAlreadyExists, isGone, isInvalid };
type Name = keyof typeof predicates;

const cases: { name: string; error: unknown; true: Name[] }[] = [
  { name: "typed client 404", error: new ApiException(404, "x", statusBody(404, "NotFound"), {}), true: ["isNotFound"] },
  { name: "typed client 409 Conflict", error: new ApiException(409, "x", statusBody(409, "Conflict"), {}), true: ["isConflict"] },
  {
    name: "typed client 409 AlreadyExists is not a conflict",
    error: new ApiException(409, "x", statusBody(409, "AlreadyExists"), {}),
    true: ["isAlreadyExists"],
  },
  { name: "typed client 410", error: new ApiException(410, "x", statusBody(410, "Gone"), {}), true: ["isGone"] },
  { name: "typed client 422", error: new ApiException(422, "x", statusBody(422, "Invalid"), {}), true: ["isInvalid"] },
  { name: "typed client 401 without body", error: new ApiException(401, "Unauthorized", undefined, {}), true: [] },
  { name: "raw response 404", error: apiErrorFromResponse(404, { kind: "Status", reason: "NotFound", code: 404 }), true: ["isNotFound"] },
  { name: "raw 409 with plain text body is a conflict", error: apiErrorFromResponse(409, "conflict!"), true: ["isConflict"] },
  { name: "watch ERROR event 410 Expired", error: apiErrorFromStatus({ kind: "Status", code: 410, reason: "Expired", message: "too old" }), true: ["isGone"] },
  { name: "client Watch error with statusCode", error: Object.assign(new Error("Gone"), { statusCode: 410 }), true: ["isGone"] },
  { name: "connection refused is no API error", error: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), true: [] },
  { name: "a string", error: "boom", true: [] },
  { name: "undefined", error: undefined, true: [] },
];

for (const c of cases) {
  test(`error classification: ${c.name}`, () => {
    for (const [name, fn] of Object.entries(predicates)) {
      assert.equal(fn(c.error), c.true.includes(name as Name), `${name}`);
    }
  });
}

test("the Status message and reason are kept; the code decides the reason when the server sent none", () => {
  const e = apiErrorFromResponse(422, statusBody(422, "Invalid", 'SidecarSet "x" is invalid: spec.selector: Required value'), "PATCH /x");
  assert.equal(e.reason, "Invalid");
  assert.equal(e.message, 'PATCH /x: SidecarSet "x" is invalid: spec.selector: Required value');
  assert.equal(e.status?.code, 422);
  const bare = apiErrorFromResponse(503, "");
  assert.equal(bare.reason, "ServiceUnavailable");
  assert.equal(bare.message, "HTTP 503");
});

test("toKubeApiError passes a KubeApiError through and reads retryAfterSeconds", () => {
  const e = apiErrorFromResponse(429, { kind: "Status", code: 429, reason: "TooManyRequests", details: { retryAfterSeconds: 3 } });
  assert.equal(toKubeApiError(e), e);
  assert.equal(e.retryAfterSeconds, 3);
  assert.ok(e instanceof KubeApiError);
});

test("describeError gives code, reason and message for API errors and the message otherwise", () => {
  assert.equal(describeError(apiErrorFromResponse(404, statusBody(404, "NotFound", 'pods "p" not found'))), '404 NotFound: pods "p" not found');
  assert.equal(describeError(new Error("socket hang up")), "socket hang up");
});
