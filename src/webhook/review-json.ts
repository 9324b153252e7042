// The AdmissionReview answer as JSON text, as JSON.stringify writes it, but
// cheaper for the pod webhook's answer. That answer is mostly its patch: a
// base64 string of 10 KB and more, which JSON.stringify scans character by
// character for escapes, at about the cost of building the whole injection's
// patch again. Base64 has nothing to escape, so a patch known to be base64 is
// put between quotes as it is. Known means: made by `patched` for this very
// response, which `rememberBase64Patch` records; a patch from anywhere else
// goes through JSON.stringify like every other field.
import type { AdmissionResponse, AdmissionReview } from "./admission.js";

const base64Patches = new WeakMap<AdmissionResponse, string>();

/** Records that `patch`, set on `response`, is base64 (its alphabet needs no JSON escape). */
export function rememberBase64Patch(response: AdmissionResponse, patch: string): void {
  base64Patches.set(response, patch);
}

/** The base64 patch recorded for `response`, if its `patch` is still that string. */
export function base64PatchOf(response: AdmissionResponse): string | undefined {
  const patch = base64Patches.get(response);
  return patch !== undefined && response.patch === patch ? patch : undefined;
}

/**
 * JSON text of `review`, equal to JSON.stringify(review), in pieces to write
 * one after another. `base64Patch` is the response's patch when it is known
 * to be base64 (see base64PatchOf); then the pieces are the text before it,
 * the patch string itself and the text after it, so that a 14 KB answer is
 * not copied into one string once more on its way to the socket.
 */
export function admissionReviewJsonPieces(review: AdmissionReview, base64Patch: string | undefined): string[] {
  if (base64Patch === undefined || review.response.patch !== base64Patch) return [JSON.stringify(review)];
  const [reviewBefore, reviewAfter] = splitAt(review, "response");
  const [responseBefore, responseAfter] = splitAt(review.response, "patch");
  return [`${reviewBefore}${responseBefore}"`, base64Patch, `"${responseAfter}${reviewAfter}`];
}

/**
 * JSON.stringify(object) in two parts, cut where the value of `hole` (one of its keys) goes: the text up to
 * `"hole":` and the text after the value.
 */
function splitAt(object: object, hole: string): [string, string] {
  let text = "{";
  let before = "";
  let first = true;
  for (const [key, value] of Object.entries(object)) {
    const encoded = key === hole ? "" : JSON.stringify(value);
    // JSON.stringify leaves out what has no JSON form (undefined, functions).
    if (encoded === undefined) continue;
    text += `${first ? "" : ","}${JSON.stringify(key)}:${encoded}`;
    first = false;
    if (key === hole) {
      before = text;
      text = "";
    }
  }
  return [before, `${text}}`];
}
