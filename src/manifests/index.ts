// Kubernetes manifests for installing the manager (CRD, RBAC, webhooks, Deployment), and its alerting rules.
export * from "./options.js";
export * from "./crd.js";
export * from "./rbac.js";
export * from "./webhook.js";
export * from "./manager.js";
export * from "./render.js";
export * from "./files.js";
export * from "./alerts.js";
