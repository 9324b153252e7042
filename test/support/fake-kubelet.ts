// The kubelet stand-in; it lives in the product (src/local) because
// `sidecarset start` and `sidecarset demo` run it too.
export * from "../../src/local/fake-kubelet.js";
