// Container securityContext (docs/behaviour.md §4.3): user and group ids in range,
// seccomp/AppArmor profiles consistent with their type, and the combinations
// Kubernetes forbids.
import type { Container } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { childPath } from "./paths.js";
import { checkDns1123Subdomain } from "./syntax.js";

const MAX_ID = 2147483647;

type Profile = { type?: string; localhostProfile?: string };

export function validateSecurityContext(c: Container, path: string, f: Findings): void {
  const sc = c.securityContext;
  if (!sc) return;
  const p = childPath(path, "securityContext");
  for (const field of ["runAsUser", "runAsGroup"] as const) {
    const id = sc[field];
    if (typeof id === "number" && (id < 0 || id > MAX_ID)) {
      f.error(childPath(p, field), `${id} is out of range; use 0 to ${MAX_ID}`);
    }
  }
  // The synthetic pod shares the host's user namespace (hostUsers unset), where Unmasked is refused.
  if (sc.procMount === "Unmasked") {
    f.error(childPath(p, "procMount"), "Unmasked needs a pod with hostUsers: false, which a sidecar cannot rely on; use Default");
  }
  validateProfile(sc.seccompProfile, childPath(p, "seccompProfile"), f);
  validateProfile(sc.appArmorProfile, childPath(p, "appArmorProfile"), f);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      f.error(p, "sets privileged: true with allowPrivilegeEscalation: false; a privileged container always can escalate");
    }
    if ((sc.capabilities?.add ?? []).includes("CAP_SYS_ADMIN")) {
      f.error(p, "adds CAP_SYS_ADMIN with allowPrivilegeEscalation: false; CAP_SYS_ADMIN allows escalation");
    }
  }
  const gmsa = sc.windowsOptions?.gmsaCredentialSpecName;
  if (gmsa) {
    const bad = checkDns1123Subdomain(gmsa);
    if (bad) f.error(childPath(childPath(p, "windowsOptions"), "gmsaCredentialSpecName"), bad);
  }
}

function validateProfile(profile: Profile | undefined, p: string, f: Findings): void {
  if (!profile) return;
  if (!profile.type) {
    f.error(childPath(p, "type"), "must be set; use RuntimeDefault, Unconfined or Localhost");
    return;
  }
  if (profile.type === "Localhost") {
    if (!profile.localhostProfile) f.error(childPath(p, "localhostProfile"), "must be set when type is Localhost");
  } else if (profile.localhostProfile !== undefined) {
    f.error(childPath(p, "localhostProfile"), `must not be set when type is ${profile.type}; it only applies to Localhost`);
  }
}
