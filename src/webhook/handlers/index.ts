// The three admission webhooks and the routes that serve them.
import { MUTATE_POD_PATH, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH } from "../../manifests/webhook.js";
import { CONVERT_PATH } from "../../manifests/crd.js";
import type { Logger } from "../../observability/logger.js";
import { handleAdmission, type AdmissionHandler } from "../admission.js";
import type { WebhookHandler } from "../server.js";
import type { AdmissionCache } from "./cache-view.js";
import { createConvertRoute } from "./convert.js";
import { createPodHandler, type InjectionMetrics } from "./pod.js";
import type { SidecarSetHandlers } from "./sidecarset-handlers.js";
import { servingBothVersions } from "./served-versions.js";

export type { AdmissionCache } from "./cache-view.js";
export { createPodHandler, podShapeProblems, type InjectionMetrics, type PodHandlerDeps } from "./pod.js";
export { createConvertRoute } from "./convert.js";
export { CONVERT_PATH, MUTATE_POD_PATH, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH };

export interface HandlerDeps {
  cache: AdmissionCache;
  now: () => Date;
  random: () => number;
  sortInjectedContainersByName?: boolean;
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  nativeSidecarInPlaceUpgrade?: boolean;
  metrics?: InjectionMetrics;
  logger: Logger;
}

/** One route: AdmissionReview in, AdmissionReview (or HTTP 400) out; handler exceptions logged and denied. */
export function admissionRoute(handler: AdmissionHandler, logger: Logger): WebhookHandler {
  return (request) =>
    handleAdmission(request.body, handler, {
      abandonment: request,
      onError: (e, req) =>
        logger.error({ path: request.path, uid: req.uid, err: e instanceof Error ? e.message : String(e) }, "admission handler failed"),
    });
}

/** The three webhook paths (as the webhook configurations name them) mapped to their handlers. */
export function admissionRoutes(deps: HandlerDeps): Record<string, WebhookHandler> {
  const pod = createPodHandler(deps);
  const { mutate, validate } = sidecarSetHandlersWhenUsed(deps);
  return {
    [MUTATE_POD_PATH]: admissionRoute(pod, deps.logger),
    [MUTATE_SIDECARSET_PATH]: admissionRoute(servingBothVersions(mutate), deps.logger),
    [VALIDATE_SIDECARSET_PATH]: admissionRoute(servingBothVersions(validate), deps.logger),
  };
}

/**
 * The CRD conversion webhook. It reads no cache, so it is served from the
 * start: the caches' own first list may need it.
 */
export function conversionRoutes(logger?: Logger): Record<string, WebhookHandler> {
  return { [CONVERT_PATH]: createConvertRoute(logger) };
}

/**
 * Adds the three webhook routes to `routes` (the `routes` option of
 * WebhookServer) and returns it.
 */
export function registerHandlers(routes: Record<string, WebhookHandler>, deps: HandlerDeps): Record<string, WebhookHandler> {
  return Object.assign(routes, admissionRoutes(deps));
}

/**
 * The SidecarSet webhooks' handlers, loaded at the first request that needs
 * them. The validation rules and the RE2 engine they bring are about 1 MB of
 * heap, and SidecarSets change rarely: a webhook thread that serves only pods
 * (a standby, or any replica between SidecarSet changes) does not keep them.
 */
function sidecarSetHandlersWhenUsed(deps: HandlerDeps): SidecarSetHandlers {
  let loading: Promise<SidecarSetHandlers> | undefined;
  const load = (): Promise<SidecarSetHandlers> =>
    (loading ??= import("./sidecarset-handlers.js").then(
      (m) => m.createSidecarSetHandlers(deps),
      (e: unknown) => {
        // A failed load is tried again by the next request, not remembered.
        loading = undefined;
        throw e;
      },
    ));
  return {
    mutate: async (req, abandonment) => (await load()).mutate(req, abandonment),
    validate: async (req, abandonment) => (await load()).validate(req, abandonment),
  };
}
