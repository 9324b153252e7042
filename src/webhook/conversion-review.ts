// ConversionReview v1 (apiextensions.k8s.io/v1): what the API server sends to
// a CRD's conversion webhook and what it expects back. Decoding never throws:
// every malformed review gets a ConversionReview whose result is a Failure
// saying what was wrong, under the request's uid when it has one (the API
// server discards an answer with another uid, and reports our message).
import { conversionProblem, convertSidecarSet, servedVersionOf, type ServedVersion } from "../api/conversion.js";
import { isRecord } from "../api/is-record.js";
import { API_VERSION } from "../api/types.js";
import { V1BETA1_API_VERSION } from "../api/v1beta1/types.js";

export const CONVERSION_REVIEW_API_VERSION = "apiextensions.k8s.io/v1";

export interface ConversionResult {
  status: "Success" | "Failure";
  message?: string;
}

export interface ConversionReview {
  apiVersion: typeof CONVERSION_REVIEW_API_VERSION;
  kind: "ConversionReview";
  response: { uid: string; convertedObjects: unknown[]; result: ConversionResult };
}

function review(uid: string, convertedObjects: unknown[], result: ConversionResult): ConversionReview {
  return { apiVersion: CONVERSION_REVIEW_API_VERSION, kind: "ConversionReview", response: { uid, convertedObjects, result } };
}

function failure(uid: string, message: string): ConversionReview {
  return review(uid, [], { status: "Failure", message });
}

/** `request.uid` of a review body, or "" when it has none. */
function reviewUid(body: unknown): string {
  const request = isRecord(body) && isRecord(body.request) ? body.request : undefined;
  return request && typeof request.uid === "string" ? request.uid : "";
}

/** A failed answer to `body`, under its uid when it has one. */
export function conversionFailure(body: unknown, message: string): ConversionReview {
  return failure(reviewUid(body), message);
}

/**
 * The answer to a ConversionReview body: every object converted to the
 * desired version, or a Failure naming the first problem (the API server
 * takes all or nothing).
 */
export function answerConversionReview(body: unknown): ConversionReview {
  const request = isRecord(body) && isRecord(body.request) ? body.request : undefined;
  const uid = reviewUid(body);
  if (!isRecord(body)) return failure(uid, "malformed ConversionReview: the body is not a JSON object");
  if (body.apiVersion !== CONVERSION_REVIEW_API_VERSION || body.kind !== "ConversionReview") {
    return failure(
      uid,
      `malformed ConversionReview: apiVersion ${JSON.stringify(body.apiVersion)} kind ${JSON.stringify(body.kind)}, only ${CONVERSION_REVIEW_API_VERSION} ConversionReview is supported`,
    );
  }
  if (!request) return failure(uid, "malformed ConversionReview: request is missing or not an object");
  if (uid === "") return failure(uid, "malformed ConversionReview: request.uid is missing or not a string");
  const desired = servedVersionOf(request.desiredAPIVersion);
  if (desired === undefined) {
    return failure(
      uid,
      `request.desiredAPIVersion ${JSON.stringify(request.desiredAPIVersion)} is not served; it must be ${API_VERSION} or ${V1BETA1_API_VERSION}`,
    );
  }
  if (!Array.isArray(request.objects)) return failure(uid, "malformed ConversionReview: request.objects is not a list");
  return convertAll(uid, request.objects, desired);
}

function convertAll(uid: string, objects: unknown[], desired: ServedVersion): ConversionReview {
  const converted: unknown[] = [];
  for (const [i, object] of objects.entries()) {
    const problem = conversionProblem(object);
    if (problem) return failure(uid, `request.objects[${i}]${describeObject(object)}: ${problem}`);
    converted.push(convertSidecarSet(object as Record<string, unknown>, desired));
  }
  return review(uid, converted, { status: "Success" });
}

/** ` (SidecarSet "name")` when the object says its name. */
function describeObject(object: unknown): string {
  const name = isRecord(object) && isRecord(object.metadata) ? object.metadata.name : undefined;
  return typeof name === "string" && name !== "" ? ` (SidecarSet ${JSON.stringify(name)})` : "";
}
