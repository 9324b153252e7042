// Free ports on 127.0.0.1; shared with the product's local cluster (src/local).
export * from "../../src/local/ports.js";
