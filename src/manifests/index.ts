// Kubernetes manifests for installing the manager (CRD, RBAC, webhooks, Deployment), its alerting rules and dashboard.
export * from "./options.js";
export * from "./crd.js";
export * from "./rbac.js";
export * from "./webhook.js";
export * from "./manager.js";
export * from "./render.js";
export * from "./files.js";
export * from "./alerts.js";
export * from "./dashboard.js";
