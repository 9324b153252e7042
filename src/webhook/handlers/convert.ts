// `/convert`: the SidecarSet CRD's conversion webhook. It needs nothing from
// the caches, so it can answer before they have synced — the manager's own
// first list of a SidecarSet stored in the other version goes through it.
import type { Logger } from "../../observability/logger.js";
import { answerConversionReview, conversionFailure, type ConversionReview } from "../conversion-review.js";
import type { WebhookHandler } from "../server.js";

export function createConvertRoute(logger?: Logger): WebhookHandler {
  return ({ body }) => {
    let answer: ConversionReview;
    try {
      answer = answerConversionReview(body);
    } catch (e) {
      // Conversion is total over JSON; this only guards against the unforeseen,
      // which must still reach the API server as a failed result, not a 500.
      answer = conversionFailure(body, `conversion failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const { uid, result } = answer.response;
    if (result.status === "Failure") logger?.warn({ uid, reason: result.message }, "conversion refused");
    return { status: 200, body: answer };
  };
}
