// Container resources and resizePolicy (docs/behaviour.md §4.3): known resource names,
// valid non-negative quantities, requests ≤ limits (equal for extended
// resources and hugepages, which cannot be overcommitted). Indivisible
// hugepage sizes are allowed, as in OpenKruise.
import type { Container } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath, keyPath } from "./paths.js";
import { compareQuantities, parseQuantity, type Quantity } from "../quantity.js";
import { checkQualifiedName } from "./syntax.js";

const STANDARD = new Set(["cpu", "memory", "ephemeral-storage"]);
const HUGEPAGES_PREFIX = "hugepages-";

function isHugePages(name: string): boolean {
  return name.startsWith(HUGEPAGES_PREFIX);
}

function isNative(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

/** Extended resources (e.g. `example.com/gpu`) and hugepages must request exactly their limit. */
function overcommitAllowed(name: string): boolean {
  return isNative(name) && !isHugePages(name);
}

export function validateResources(c: Container, path: string, f: Findings): void {
  const res = c.resources;
  if (!res) return;
  const p = childPath(path, "resources");
  const limits = readList(res.limits, childPath(p, "limits"), f);
  const requests = readList(res.requests, childPath(p, "requests"), f);
  for (const [name, q] of requests) {
    const limit = limits.get(name);
    const at = keyPath(childPath(p, "requests"), name);
    if (limit) {
      const cmp = compareQuantities(q.value, limit.value);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        f.error(at, `${q.shown} differs from the limit ${limit.shown}; ${name} cannot be overcommitted, so request exactly the limit`);
      } else if (cmp > 0) {
        f.error(at, `${q.shown} is more than the limit ${limit.shown}; a request must not exceed its limit`);
      }
    } else if (!overcommitAllowed(name)) {
      f.error(keyPath(childPath(p, "limits"), name), `must be set because ${name} is requested; ${name} cannot be overcommitted, so set a limit equal to the request`);
    }
  }
  const names = [...limits.keys(), ...requests.keys()];
  if (names.some(isHugePages) && !names.some((n) => n === "cpu" || n === "memory")) {
    f.error(p, "requests hugepages without cpu or memory; hugepages need a cpu or memory request or limit as well");
  }
  (res.claims ?? []).forEach((claim, i) => {
    if (!claim) return;
    f.error(
      childPath(indexPath(childPath(p, "claims"), i), "name"),
      `${JSON.stringify(claim.name ?? "")} is not one of the pod's resource claims; a SidecarSet cannot define pod resource claims, so sidecars cannot use them`,
    );
  });
}

interface Read {
  value: Quantity;
  shown: string;
}

function readList(list: Record<string, string | number> | undefined, path: string, f: Findings): Map<string, Read> {
  const out = new Map<string, Read>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const at = keyPath(path, name);
    const badName = checkResourceName(name);
    if (badName) {
      f.error(at, badName);
      continue;
    }
    const q = parseQuantity(raw);
    if (!q.ok) {
      f.error(at, q.error);
      continue;
    }
    if (q.value.unscaled < 0n) {
      f.error(at, `${String(raw)} is negative; use 0 or more`);
      continue;
    }
    if (!isNative(name) && !isWhole(q.value)) {
      f.error(at, `${String(raw)} is not a whole number; extended resources are counted in whole units`);
      continue;
    }
    out.set(name, { value: q.value, shown: String(raw) });
  }
  return out;
}

function isWhole(q: Quantity): boolean {
  return q.exponent >= 0 || q.unscaled % 10n ** BigInt(-q.exponent) === 0n;
}

function checkResourceName(name: string): string | undefined {
  const bad = checkQualifiedName(name, "resource name");
  if (bad) return bad;
  if (!name.includes("/")) {
    if (STANDARD.has(name) || isHugePages(name)) return undefined;
    return `${JSON.stringify(name)} is not a container resource; use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource like example.com/gpu`;
  }
  if (!isNative(name) && name.startsWith("requests.")) {
    return `${JSON.stringify(name)} is not a valid extended resource name; it must not start with "requests."`;
  }
  return undefined;
}

/** resizePolicy: cpu and memory once each; init containers take none. */
export function validateResizePolicy(c: Container, path: string, isInit: boolean, f: Findings): void {
  const policies = c.resizePolicy ?? [];
  const p = childPath(path, "resizePolicy");
  if (isInit && policies.length > 0) {
    f.error(p, "must not be set on an initContainer; resize policies apply to regular containers");
    return;
  }
  const seen = new Set<string>();
  policies.forEach((rp, i) => {
    if (!rp) return;
    const at = indexPath(p, i);
    const name = rp.resourceName ?? "";
    if (name !== "cpu" && name !== "memory") {
      f.error(childPath(at, "resourceName"), `${JSON.stringify(name)} is not supported; use cpu or memory`);
    } else if (seen.has(name)) {
      f.error(childPath(at, "resourceName"), `${name} is listed twice; give each resource one policy`);
    }
    seen.add(name);
    if (!rp.restartPolicy) f.error(childPath(at, "restartPolicy"), "must be set; use NotRequired or RestartContainer");
  });
}
