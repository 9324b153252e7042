// The pod webhook's matchConditions inside the MutatingWebhookConfiguration:
// read as the scope the API server applies, and rewritten to a new scope.
// The manager owns them at run time, like the caBundle: the shipped
// configuration has none (docs/behaviour.md §7a.2).
import type { PodScope } from "../core/pod-scope/expression.js";
import type { InstalledScope } from "../core/pod-scope/transition.js";
import { MUTATE_POD_WEBHOOK } from "../manifests/webhook.js";

/** The name of the one match condition the manager writes. */
export const SCOPE_CONDITION_NAME = "sidecarset-selectable-pods";

export interface MatchCondition {
  name: string;
  expression: string;
}

export interface WebhookConfiguration {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string; resourceVersion?: string };
  webhooks?: ({ name?: string; matchConditions?: MatchCondition[] } & Record<string, unknown>)[];
}

type Webhook = NonNullable<WebhookConfiguration["webhooks"]>[number];

function podWebhook(config: WebhookConfiguration): Webhook | undefined {
  return config.webhooks?.find((w) => w.name === MUTATE_POD_WEBHOOK);
}

/** The scope the API server applies to the pod webhook; undefined when the configuration has no pod webhook. */
export function installedScope(config: WebhookConfiguration): InstalledScope | undefined {
  const webhook = podWebhook(config);
  if (!webhook) return undefined;
  const conditions = webhook.matchConditions ?? [];
  if (conditions.length === 0) return { kind: "every-pod" };
  // The API server calls the webhook only when every condition holds.
  const expression = conditions.length === 1 ? conditions[0]!.expression : conditions.map((c) => `(${c.expression})`).join(" && ");
  return { kind: "expression", expression };
}

/** The configuration with the pod webhook limited to `scope` (no matchConditions for every pod). */
export function withScope<T extends WebhookConfiguration>(config: T, scope: PodScope): T {
  return {
    ...config,
    webhooks: config.webhooks?.map((w) => {
      if (w.name !== MUTATE_POD_WEBHOOK) return w;
      const { matchConditions: _dropped, ...rest } = w;
      return scope.kind === "every-pod" ? rest : { ...rest, matchConditions: [{ name: SCOPE_CONDITION_NAME, expression: scope.expression }] };
    }),
  };
}

/**
 * `desired` (a configuration as shipped) with the pod webhook's
 * matchConditions of `existing` kept, so that rewriting the configuration
 * (out-of-cluster mode, at start and on certificate renewal) does not undo
 * the scope the Lease holder keeps.
 */
export function keepMatchConditions<T extends WebhookConfiguration>(existing: WebhookConfiguration, desired: T): T {
  const kept = podWebhook(existing)?.matchConditions;
  if (!kept?.length) return desired;
  return {
    ...desired,
    webhooks: desired.webhooks?.map((w) => (w.name === MUTATE_POD_WEBHOOK ? { ...w, matchConditions: kept } : w)),
  };
}

/** The configuration without the match condition the manager writes (others are left alone). */
export function withoutScopeCondition<T extends WebhookConfiguration>(config: T): T | undefined {
  const webhook = podWebhook(config);
  if (!webhook?.matchConditions?.some((c) => c.name === SCOPE_CONDITION_NAME)) return undefined;
  return {
    ...config,
    webhooks: config.webhooks?.map((w) => {
      if (w !== webhook) return w;
      const { matchConditions = [], ...rest } = w;
      const others = matchConditions.filter((c) => c.name !== SCOPE_CONDITION_NAME);
      return others.length > 0 ? { ...rest, matchConditions: others } : rest;
    }),
  };
}
