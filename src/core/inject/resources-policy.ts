// resourcesPolicy (docs/behaviour.md §5.9): a sidecar's resources computed at pod creation
// from the resources of the pod's own containers, e.g. "10% of the app's CPU,
// at least 50m".
import type { Container, Pod, ResourceRequirements } from "../../api/kube-types.js";
import { formatScaledValue, parseQuantity, quantityScaledValue } from "../../api/quantity.js";
import { isNativeSidecar } from "../../api/sidecar-containers.js";
import type { ResourcesPolicy } from "../../api/types.js";
import { compileRe2 } from "../../api/validation/regex.js";
import { evaluateResourceExpr, exprVariable, type ExprValue, type QuantityFormat } from "./resource-expr.js";

type Quantity = { nano: bigint; format: QuantityFormat };
const NANO_SCALE = -9;

export type ResourcesOutcome =
  | { ok: true; resources: ResourceRequirements }
  /** `path` is relative to the sidecar container unless `podPath` is set (a pod field is at fault). */
  | { ok: false; path: string; message: string; podPath?: boolean };

type Resource = "cpu" | "memory";
const RESOURCES: Resource[] = ["cpu", "memory"];

/**
 * Computes the sidecar's `resources`. Targets are the pod's native-sidecar
 * initContainers and containers whose names match the (unanchored, RE2) regex,
 * minus every container name of the SidecarSets being injected.
 */
export function computeSidecarResources(
  policy: ResourcesPolicy,
  pod: Pod,
  excludedNames: ReadonlySet<string>,
): ResourcesOutcome {
  const source = policy.targetContainersNameRegex ?? ".*";
  const regex = compileRe2(source);
  if (!regex.ok) return { ok: false, path: "resourcesPolicy.targetContainersNameRegex", message: regex.error };
  const targets: { container: Container; path: string }[] = [];
  const pick = (list: Container[] | undefined, field: string, nativeOnly: boolean) =>
    (list ?? []).forEach((c, i) => {
      if (excludedNames.has(c.name) || (nativeOnly && !isNativeSidecar(c))) return;
      if (regex.re.test(c.name)) targets.push({ container: c, path: `spec.${field}[${i}]` });
    });
  pick(pod.spec?.initContainers, "initContainers", true);
  pick(pod.spec?.containers, "containers", false);
  if (targets.length === 0) {
    return {
      ok: false,
      path: "resourcesPolicy.targetContainersNameRegex",
      message: `no container of the pod matches ${JSON.stringify(source)} (sidecars are never targets); match at least one app container`,
    };
  }

  const mode = policy.targetContainersMode;
  const result: ResourceRequirements = {};
  for (const kind of ["limits", "requests"] as const) {
    const exprs = policy.resourcesExpr?.[kind];
    if (!exprs) continue;
    const out: Record<string, string> = {};
    for (const resource of RESOURCES) {
      const expr = exprs[resource] === undefined || exprs[resource] === null ? "" : String(exprs[resource]);
      if (expr === "") continue;
      const aggregate = aggregateResource(targets, kind, resource, mode);
      if (!aggregate.ok) return aggregate;
      // A target without a limit makes the aggregate limit unlimited: no limit is set.
      if (aggregate.value === undefined) continue;
      const variable = exprVariable(expr);
      const evaluated = evaluateResourceExpr(expr, { [variable]: { kind: "quantity", ...aggregate.value } });
      if (!evaluated.ok) {
        return {
          ok: false,
          path: `resourcesPolicy.resourcesExpr.${kind}.${resource}`,
          message: `${JSON.stringify(expr)} cannot be evaluated (${variable} = ${formatNanoQuantity(aggregate.value)}): ${evaluated.error}`,
        };
      }
      out[resource] = formatNanoQuantity(toQuantity(evaluated.value, variable));
    }
    if (Object.keys(out).length > 0) result[kind] = out;
  }
  return { ok: true, resources: result };
}

type Aggregate = { ok: true; value: Quantity | undefined } | { ok: false; path: string; message: string; podPath: true };

function aggregateResource(
  targets: readonly { container: Container; path: string }[],
  kind: "limits" | "requests",
  resource: Resource,
  mode: string,
): Aggregate {
  let acc: Quantity | undefined;
  for (const { container, path } of targets) {
    const raw = (container.resources?.[kind] as Record<string, unknown> | undefined)?.[resource];
    if (raw === undefined || raw === null) {
      if (kind === "limits") return { ok: true, value: undefined };
      continue; // a missing request counts as 0
    }
    const q = parseNanoQuantity(raw);
    if (!q) {
      return {
        ok: false,
        podPath: true,
        path: `${path}.resources.${kind}.${resource}`,
        message: `${JSON.stringify(raw)} is not a valid quantity like "500m" or "1Gi"`,
      };
    }
    if (acc === undefined) acc = q;
    else if (mode === "max") {
      if (q.nano > acc.nano) acc = q;
    } else {
      // A sum takes the format of its first non-zero term, as Kubernetes' Quantity.Add does.
      acc = { nano: acc.nano + q.nano, format: acc.nano === 0n ? q.format : acc.format };
    }
  }
  return { ok: true, value: acc ?? { nano: 0n, format: "DecimalSI" } };
}

/** A unitless result is read in base units: cores truncated to millis, or whole bytes. */
function toQuantity(v: ExprValue, variable: "cpu" | "memory"): Quantity {
  if (v.kind === "quantity") return v;
  if (variable === "cpu") return { nano: BigInt(Math.trunc(v.value * 1000)) * 1_000_000n, format: "DecimalSI" };
  return { nano: BigInt(Math.trunc(v.value)) * 1_000_000_000n, format: "DecimalSI" };
}


/** A Kubernetes quantity in exact nano units, keeping the format it prints in. */
export function parseNanoQuantity(raw: unknown): Quantity | undefined {
  if (typeof raw !== "string" && !(typeof raw === "number" && Number.isFinite(raw))) return undefined;
  const parsed = parseQuantity(raw);
  if (!parsed.ok) return undefined;
  return { nano: quantityScaledValue(parsed.value, NANO_SCALE), format: parsed.value.format };
}

/** Kubernetes' canonical text of a computed value: `300m`, `1`, `256Mi`, `107374182400m`. */
export function formatNanoQuantity(q: Quantity): string {
  return formatScaledValue(q.nano, NANO_SCALE, q.format);
}
