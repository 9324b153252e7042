// The names a serving certificate must carry. Apart from cert-issue.ts, whose
// library is loaded only when a certificate has to be issued.
import { isIP } from "node:net";
import { conversionServiceName } from "../manifests/options.js";

export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/**
 * The names the serving certificate must carry: the DNS names of the Service
 * and of the conversion Service beside it (manifests/options.ts) and,
 * with `--webhook-host`, that host (an IP SAN for an address, a DNS SAN for a name).
 */
export function servingNames(service: string, namespace: string, host?: string): ServingNames {
  const dnsNames = [service, conversionServiceName(service)].flatMap((s) => [`${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`, `${s}.${namespace}`]);
  const ipAddresses: string[] = [];
  const h = host?.replace(/^\[(.*)\]$/, "$1");
  if (h) {
    if (isIP(h)) ipAddresses.push(h);
    else if (!dnsNames.includes(h.toLowerCase())) dnsNames.push(h.toLowerCase());
  }
  return { dnsNames, ipAddresses };
}
