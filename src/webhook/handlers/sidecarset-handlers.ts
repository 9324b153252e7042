// The SidecarSet webhooks' two handlers, built together (the defaulting one
// answers for a malformed object with the validating one's findings). This
// module is loaded at the first SidecarSet request (index.ts), not with the
// pod webhook.
import type { AdmissionHandler } from "../admission.js";
import { createSidecarSetMutateHandler } from "./sidecarset-mutate.js";
import { createSidecarSetValidateHandler, type SidecarSetValidateDeps } from "./sidecarset-validate.js";
import type { Logger } from "../../observability/logger.js";

export interface SidecarSetHandlers {
  mutate: AdmissionHandler;
  validate: AdmissionHandler;
}

export function createSidecarSetHandlers(deps: SidecarSetValidateDeps & { logger?: Logger }): SidecarSetHandlers {
  const validate = createSidecarSetValidateHandler(deps);
  return { validate, mutate: createSidecarSetMutateHandler({ ...(deps.logger ? { logger: deps.logger } : {}), validate }) };
}
