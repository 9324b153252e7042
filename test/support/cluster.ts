// The real control plane the end-to-end tests start; it lives in the product
// (src/local) because `sidecarset start` and `sidecarset demo` run it too.
export * from "../../src/local/cluster.js";
