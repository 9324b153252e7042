// Keeps the pod webhook's matchConditions equal to the scope the cached
// SidecarSets call for (docs/behaviour.md §7a.2), on the Lease holder only.
// Level-based: every SidecarSet event, every change to the configuration
// (ours, a hand edit, a reinstall) and the end of a grace period lead to one
// comparison of the desired scope with the installed one; the decision is
// core/pod-scope/transition.ts, this file reads, writes and reports.
import type { SidecarSet } from "../api/types.js";
import { isFallback, podScope, type PodScope } from "../core/pod-scope/expression.js";
import { installedTerms, nextTransition } from "../core/pod-scope/transition.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import { describeError, isConflict, isInvalid, isNotFound } from "../kube/errors.js";
import { referenceTo, type EventRecorder } from "../kube/events.js";
import { Informer, rawListWatch } from "../kube/informer.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../manifests/options.js";
import type { Logger } from "../observability/logger.js";
import type { ManagerMetrics } from "../observability/metrics.js";
import { installedScope, withoutScopeCondition, withScope, type WebhookConfiguration } from "./pod-webhook-conditions.js";

const COLLECTION = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
const CONFIGURATION_PATH = `${COLLECTION}/${MUTATING_WEBHOOK_CONFIGURATION_NAME}`;
const MAX_REMEMBERED_REFUSALS = 16;
const CONFIGURATION_KIND = { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration" };
/** After a failed write: the next attempt (a configuration event may come sooner). */
const RETRY_MS = 5_000;

export const FALLBACK_EVENT_REASON = "PodWebhookCalledForEveryPod";

export interface PodWebhookScopeOptions {
  client: RawKubeClient;
  sidecarSets: Informer<SidecarSet>;
  recorder: EventRecorder;
  metrics: ManagerMetrics;
  logger: Logger;
  /** `--self-scoping-webhook`: off ⇒ the pod webhook is kept without matchConditions. */
  enabled: boolean;
  /** `--scope-narrowing-grace`. */
  graceMs: number;
  resyncMs?: number;
  now?: () => number;
}

export class PodWebhookScope {
  private readonly configurations: Informer<WebhookConfiguration>;
  private readonly now: () => number;
  private readonly lastNeeded = new Map<string, number>();
  /** The fall-back last reported, so a lasting one is reported once. */
  private reportedFallback: string | undefined;
  /** Expressions the API server refused, with its message: not tried again. */
  private readonly rejected = new Map<string, string>();
  private running: Promise<void> | undefined;
  private again = false;
  /** The last sync failed: the scope may lag behind the SidecarSets until a retry succeeds. */
  private writeFailed = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private removeHandler: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly opts: PodWebhookScopeOptions) {
    this.now = opts.now ?? Date.now;
    this.configurations = new Informer<WebhookConfiguration>({
      name: "mutatingwebhookconfigurations",
      source: rawListWatch(opts.client, COLLECTION),
      fieldSelector: `metadata.name=${MUTATING_WEBHOOK_CONFIGURATION_NAME}`,
      ...(opts.resyncMs ? { resyncMs: opts.resyncMs } : {}),
      logger: opts.logger,
    });
  }

  start(): void {
    const kick = () => this.kick();
    const handlers = { add: kick, update: kick, delete: kick };
    this.configurations.addEventHandler(handlers);
    this.removeHandler = this.opts.sidecarSets.addEventHandler(handlers);
    this.configurations.start();
    // Events that arrive before both caches synced are not acted on: look once they have.
    Promise.all([this.opts.sidecarSets.waitForSync(this.abort.signal), this.configurations.waitForSync(this.abort.signal)]).then(
      () => this.kick(),
      () => undefined,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.removeHandler?.();
    await this.configurations.stop();
    await this.running;
    // The next holder reports the scope; this replica no longer knows it.
    this.opts.metrics.podWebhookScoped.remove({});
  }

  /**
   * Whether the API server, as far as its configuration shows, already sends
   * the pods `set` could select to the pod webhook. True when this cannot be
   * known or helped (the flag is off, the configuration is not readable, or
   * the last write failed), so that nothing waits on it forever.
   */
  covers(set: SidecarSet): boolean {
    if (!this.opts.enabled || this.writeFailed || !this.configurations.hasSynced()) return true;
    const config = this.configurations.list()[0];
    const installed = config && installedScope(config);
    if (!installed || installed.kind === "every-pod") return true;
    const own = podScope([set]);
    if (own.kind === "every-pod") return false;
    const terms = new Set(installedTerms(installed));
    return own.terms.every((t) => terms.has(t));
  }

  /** One sync at a time; events during a sync make one more. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.sync().then(() => (this.writeFailed = false), (e: unknown) => {
          this.writeFailed = true;
          this.opts.logger.warn({ err: describeError(e) }, "updating the pod webhook's scope failed; will retry");
          this.retryIn(RETRY_MS);
        });
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  private retryIn(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, ms));
    this.timer.unref?.();
  }

  /** The scope the cached SidecarSets call for. */
  private desired(): PodScope {
    return podScope(this.opts.sidecarSets.list());
  }

  private async sync(): Promise<void> {
    if (!this.opts.sidecarSets.hasSynced() || !this.configurations.hasSynced()) return;
    const cached = this.configurations.list()[0];
    if (!cached) return;
    if (!this.opts.enabled) return this.removeScope(cached);
    const desired = this.desired();
    // Reported even when the webhook already is called for every pod (as after a start).
    if (desired.kind === "every-pod") this.reportFallback(cached, desired);
    if (!this.decide(desired, cached)) return;
    // Write from a fresh read, so a concurrent edit is seen (and a conflict is rare).
    const fresh = await this.read();
    const write = fresh && this.decide(desired, fresh);
    if (write) await this.write(fresh, write);
  }

  private async read(): Promise<WebhookConfiguration | undefined> {
    try {
      return await this.opts.client.get<WebhookConfiguration>(CONFIGURATION_PATH);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** With the flag off: the condition this manager wrote goes, so the webhook is called for every pod again. */
  private async removeScope(cached: WebhookConfiguration): Promise<void> {
    if (!withoutScopeCondition(cached)) return void this.opts.metrics.podWebhookScoped.set(0);
    const fresh = await this.read();
    const without = fresh && withoutScopeCondition(fresh);
    if (!without) return;
    await this.replace(without);
    this.opts.metrics.podWebhookScoped.set(0);
    this.opts.logger.info("--self-scoping-webhook is off: removed the pod webhook's matchConditions");
  }

  /** What to write to this configuration, if anything; schedules the end of the next grace period. */
  private decide(desired: PodScope, config: WebhookConfiguration): PodScope | undefined {
    const installed = installedScope(config);
    if (!installed) return undefined;
    const step = nextTransition({
      desired,
      installed,
      lastNeeded: this.lastNeeded,
      now: this.now(),
      graceMs: this.opts.graceMs,
    });
    this.lastNeeded.clear();
    for (const [term, at] of step.lastNeeded) this.lastNeeded.set(term, at);
    if (step.recheckAt !== undefined) this.retryIn(step.recheckAt - this.now());
    this.opts.metrics.podWebhookScoped.set(installed.kind === "expression" ? 1 : 0);
    const refusal = step.write?.kind === "selected" ? this.rejected.get(step.write.expression) : undefined;
    if (refusal === undefined) return step.write;
    // Tried and refused before: every pod, until the SidecarSets call for another expression.
    return installed.kind === "every-pod" ? undefined : { kind: "every-pod", cause: "rejected", reason: refusal };
  }

  /** false when the configuration changed under us (the next sync reads it again). */
  private async replace(config: WebhookConfiguration): Promise<boolean> {
    try {
      await this.opts.client.replace(CONFIGURATION_PATH, config);
      return true;
    } catch (e) {
      if (!isConflict(e)) throw e;
      this.again = true;
      return false;
    }
  }

  private async write(config: WebhookConfiguration, scope: PodScope): Promise<void> {
    const { logger, metrics } = this.opts;
    try {
      if (!(await this.replace(withScope(config, scope)))) return;
    } catch (e) {
      if (!isInvalid(e) || scope.kind !== "selected") throw e;
      // The expression itself was refused (it does not compile, or costs too much).
      if (this.rejected.size >= MAX_REMEMBERED_REFUSALS) this.rejected.clear();
      this.rejected.set(scope.expression, `the API server refused the pod webhook's matchConditions: ${describeError(e)}`);
      this.again = true;
      return;
    }
    metrics.podWebhookScoped.set(scope.kind === "selected" ? 1 : 0);
    if (scope.kind === "selected") {
      this.reportedFallback = undefined;
      logger.info({ terms: scope.terms.length, length: scope.expression.length }, "limited the pod webhook to pods a SidecarSet could select");
    } else if (!isFallback(scope.cause)) {
      logger.info({ reason: scope.reason }, "the pod webhook is called for every pod");
    } else {
      this.reportFallback(config, scope);
    }
  }

  /** A Warning event, a metric and a log line, once per distinct fall-back. */
  private reportFallback(config: WebhookConfiguration, scope: Extract<PodScope, { kind: "every-pod" }>): void {
    if (!isFallback(scope.cause) || this.reportedFallback === scope.reason) return;
    this.reportedFallback = scope.reason;
    this.opts.metrics.podWebhookScopeFallbacks.inc({ reason: scope.cause });
    this.opts.logger.warn({ reason: scope.cause, err: scope.reason }, "the pod webhook is called for every pod");
    this.opts.recorder.event(
      referenceTo(config, CONFIGURATION_KIND),
      "Warning",
      FALLBACK_EVENT_REASON,
      `The pod webhook is called for every pod (${scope.cause}): ${scope.reason}`,
    );
  }
}
