// Keeps this replica's view Lease (webhook-view-lease.ts) up to date: written
// when the pod webhook's SidecarSets change, renewed every third of its
// duration, and deleted when the replica stops so that nobody waits for it.
import type { RawKubeClient } from "../kube/raw-client.js";
import { describeError, isAlreadyExists, isConflict, isNotFound } from "../kube/errors.js";
import { microTime, rawLeaseClient, type Lease } from "../kube/leader-election.js";
import type { Logger } from "../observability/logger.js";
import type { HeldSidecarSet } from "./held-sidecarsets.js";
import { encodeWebhookView, WEBHOOK_VIEW_ANNOTATION, WEBHOOK_VIEW_LABEL } from "./webhook-view-lease.js";

export interface WebhookViewPublisherOptions {
  client: RawKubeClient;
  namespace: string;
  /** webhookViewLeaseName(…) */
  name: string;
  /** Who renews it (the replica's identity), for people reading the Lease. */
  holderIdentity: string;
  durationMs: number;
  logger: Logger;
  now?: () => number;
}

export class WebhookViewPublisher {
  private readonly lease: ReturnType<typeof rawLeaseClient>;
  private readonly now: () => number;
  /** The view to write; undefined until the webhook first reports (or when it is too large to write). */
  private view: string | undefined;
  private written: { view: string | undefined; resourceVersion: string } | undefined;
  private writing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private warnedTooLarge = false;
  private lastError: string | undefined;

  constructor(private readonly opts: WebhookViewPublisherOptions) {
    this.lease = rawLeaseClient(opts.client, opts.namespace, opts.name);
    this.now = opts.now ?? Date.now;
  }

  /** What the pod webhook holds now; written at once when it changed. */
  publish(held: readonly HeldSidecarSet[]): void {
    const view = encodeWebhookView(held);
    if (view === undefined && !this.warnedTooLarge) {
      this.warnedTooLarge = true;
      this.opts.logger.warn({ sidecarSets: held.length }, "too many SidecarSets to publish this replica's webhook view; other replicas will not wait for it");
    }
    this.view = view;
    if (view !== this.written?.view) this.write();
    if (!this.timer && !this.stopped) {
      this.timer = setInterval(() => this.write(), Math.max(1_000, Math.floor(this.opts.durationMs / 3)));
      this.timer.unref();
    }
  }

  /** Stops renewing and deletes the Lease, so that the Lease holder stops waiting for this replica. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.writing;
    if (!this.written) return;
    await this.lease.delete().catch((e: unknown) =>
      this.opts.logger.warn({ err: describeError(e), lease: this.opts.name }, "could not delete this replica's webhook view Lease; it expires on its own"),
    );
  }

  private write(): void {
    if (this.stopped) return;
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = this.writeOnce()
      .then(() => (this.lastError = undefined))
      .catch((e: unknown) => {
        // Said once per cause (RBAC of an earlier release would refuse every renewal), and again when it changes.
        const err = describeError(e);
        if (err === this.lastError) return;
        this.lastError = err;
        this.opts.logger.warn({ err, lease: this.opts.name }, "could not write this replica's webhook view Lease; retrying at each renewal");
      })
      .finally(() => {
        this.writing = undefined;
        if (this.again) {
          this.again = false;
          this.write();
        }
      });
  }

  private async writeOnce(): Promise<void> {
    const view = this.view;
    const body = (resourceVersion: string | undefined): Lease => ({
      metadata: {
        name: this.opts.name,
        namespace: this.opts.namespace,
        ...(resourceVersion ? { resourceVersion } : {}),
        labels: { [WEBHOOK_VIEW_LABEL]: "true" },
        ...(view !== undefined ? { annotations: { [WEBHOOK_VIEW_ANNOTATION]: view } } : {}),
      },
      spec: {
        holderIdentity: this.opts.holderIdentity,
        leaseDurationSeconds: Math.max(1, Math.round(this.opts.durationMs / 1000)),
        renewTime: microTime(this.now()),
      },
    });
    let resourceVersion = this.written?.resourceVersion;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const saved = resourceVersion ? await this.lease.update(body(resourceVersion)) : await this.lease.create(body(undefined));
        this.written = { view, resourceVersion: saved.metadata.resourceVersion ?? "" };
        return;
      } catch (e) {
        // A Lease of this name left by an earlier start of this pod, or one that moved on: take it over.
        if (!isConflict(e) && !isNotFound(e) && !isAlreadyExists(e)) throw e;
        resourceVersion = await this.currentResourceVersion();
      }
    }
  }

  private async currentResourceVersion(): Promise<string | undefined> {
    return (await this.lease.get())?.metadata.resourceVersion;
  }
}
