// Certificates for servers the tests run themselves (webhooks the apiserver
// calls over TLS): the manager's own issuance, for 127.0.0.1 and localhost.
import { createCertBundle } from "../../src/webhook/certs.js";

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** The CA that signed certPem: what a client (e.g. a webhook's caBundle) trusts. */
  caPem: string;
}

/** A new CA and a serving certificate for 127.0.0.1 and localhost, signed by it. */
export function createLocalServingCertificate(): ServingCertificate {
  const bundle = createCertBundle({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, new Date());
  return { certPem: bundle.cert, keyPem: bundle.key, caPem: bundle.caCert };
}
