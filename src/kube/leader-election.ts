// Lease-based leader election (coordination.k8s.io/v1), the protocol of
// client-go's leaderelection package so mixed fleets agree on who leads:
// - a Lease held by someone else is taken only after it has not changed for
//   leaseDuration, measured on the local clock from when we last saw it change
//   (clocks of different hosts are never compared);
// - every write carries the resourceVersion that was read, so two candidates
//   racing for an expired Lease cannot both win (the loser gets 409);
// - the leader renews every retryPeriod and gives up when it has not managed
//   to renew for renewDeadline, before anyone else may take over.
import type { Logger } from "pino";
import type { RawKubeClient } from "./raw-client.js";
import { describeError, isAlreadyExists, isConflict, isNotFound } from "./errors.js";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

/** The three calls the elector needs; injected so tests run against a fake store. */
export interface LeaseClient {
  /** undefined when the Lease does not exist. */
  get(): Promise<Lease | undefined>;
  /** Fails with AlreadyExists when someone created it first. */
  create(lease: Lease): Promise<Lease>;
  /** PUT with metadata.resourceVersion; fails with Conflict when it moved on. */
  update(lease: Lease): Promise<Lease>;
}

/** The manager namespace's Leases: the leader election's and each replica's webhook view. */
export function leaseCollectionPath(namespace: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
}

export function rawLeaseClient(client: RawKubeClient, namespace: string, name: string): LeaseClient & { delete(): Promise<void> } {
  const collection = leaseCollectionPath(namespace);
  const item = `${collection}/${encodeURIComponent(name)}`;
  return {
    async get() {
      try {
        return await client.get<Lease>(item);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: (lease) => client.create<Lease>(collection, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...lease }),
    update: (lease) => client.replace<Lease>(item, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...lease }),
    async delete() {
      try {
        await client.delete(item);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}

export interface ElectionClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realElectionClock: ElectionClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    }),
};

export interface LeaderElectorOptions {
  lease: LeaseClient;
  /** Lease name and namespace, for logs and newly created Leases. */
  name: string;
  namespace: string;
  /** Unique per process: pod name + random suffix. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Hand the Lease back on stop so the next leader need not wait out leaseDuration. */
  releaseOnCancel?: boolean;
  clock?: ElectionClock;
  logger?: Logger;
  /** Called when leadership is won; `signal` aborts when it is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
}

/** client-go's defaults. */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: ElectionClock;
  private observed: { spec: LeaseSpec; resourceVersion?: string; key: string } | undefined;
  private observedAt = 0;
  private leading = false;
  private lastLeader = "";

  constructor(private readonly opts: LeaderElectorOptions) {
    this.leaseDurationMs = opts.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = opts.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    if (this.leaseDurationMs <= this.renewDeadlineMs) {
      throw new Error(`leaseDuration (${this.leaseDurationMs}ms) must be greater than renewDeadline (${this.renewDeadlineMs}ms)`);
    }
    if (this.renewDeadlineMs <= this.retryPeriodMs) {
      throw new Error(`renewDeadline (${this.renewDeadlineMs}ms) must be greater than retryPeriod (${this.retryPeriodMs}ms)`);
    }
    this.clock = opts.clock ?? realElectionClock;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder seen in the Lease most recently ("" when none). */
  get observedLeader(): string {
    return this.observed?.spec.holderIdentity ?? "";
  }

  /**
   * Campaigns until leader, leads until the Lease cannot be renewed or
   * `signal` aborts, then returns (releasing the Lease if configured). Callers
   * usually exit the process when it returns while they still want to lead.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.leading) {
      if (!(await this.tryAcquireOrRenew())) await this.clock.sleep(jitter(this.retryPeriodMs), signal);
    }
    if (signal.aborted) return;
    this.opts.logger?.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, "became leader");
    const leadership = new AbortController();
    const onAbort = () => leadership.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      this.opts.onStartedLeading(leadership.signal);
    } catch (e) {
      this.opts.logger?.error({ err: describeError(e) }, "onStartedLeading threw");
    }
    await this.renewLoop(signal);
    signal.removeEventListener("abort", onAbort);
    leadership.abort();
    this.leading = false;
    if (signal.aborted && this.opts.releaseOnCancel !== false) await this.release();
    this.opts.onStoppedLeading?.();
  }

  // Renews every retryPeriod; returns when renewing has failed for renewDeadline or on abort.
  private async renewLoop(signal: AbortSignal): Promise<void> {
    let lastRenew = this.clock.now();
    while (!signal.aborted) {
      await this.clock.sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.clock.now();
        continue;
      }
      if (this.observedLeader !== this.opts.identity && this.observedLeader !== "") {
        this.opts.logger?.warn({ holder: this.observedLeader }, "lost the lease to another holder");
        return;
      }
      if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.opts.logger?.warn({ renewDeadlineMs: this.renewDeadlineMs }, "could not renew the lease in time");
        return;
      }
    }
  }

  /** One attempt to take or keep the Lease; true when we hold it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const desired: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let current: Lease | undefined;
    try {
      current = await this.opts.lease.get();
    } catch (e) {
      this.opts.logger?.warn({ err: describeError(e) }, "reading the lease failed");
      return false;
    }
    if (!current) {
      try {
        const created = await this.opts.lease.create({
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: desired,
        });
        this.observe(created, now);
        this.leading = true;
        return true;
      } catch (e) {
        if (!isAlreadyExists(e)) this.opts.logger?.warn({ err: describeError(e) }, "creating the lease failed");
        return false;
      }
    }
    this.observe(current, now);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const iHold = holder === this.opts.identity;
    // The holder's own leaseDuration decides when its Lease expires.
    const holderDurationMs = spec.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : this.leaseDurationMs;
    if (holder !== "" && !iHold && this.observedAt + holderDurationMs > now) {
      this.leading = false;
      return false;
    }
    if (iHold) {
      desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await this.opts.lease.update({ ...current, metadata: { ...current.metadata }, spec: desired });
      this.observe(updated, now);
      this.leading = true;
      return true;
    } catch (e) {
      if (!isConflict(e)) this.opts.logger?.warn({ err: describeError(e) }, "updating the lease failed");
      return false;
    }
  }

  /** Gives the Lease up if we hold it: empty holder, 1 s duration. Never throws. */
  async release(): Promise<void> {
    try {
      const current = await this.opts.lease.get();
      if (!current || current.spec?.holderIdentity !== this.opts.identity) return;
      const now = microTime(this.clock.now());
      await this.opts.lease.update({
        ...current,
        spec: {
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.spec.leaseTransitions ?? 0,
        },
      });
      this.opts.logger?.info("released the lease");
    } catch (e) {
      this.opts.logger?.warn({ err: describeError(e) }, "releasing the lease failed");
    }
  }

  // The expiry clock restarts only when the Lease content changes.
  private observe(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    const key = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions, spec.leaseDurationSeconds]);
    if (!this.observed || this.observed.key !== key) this.observedAt = now;
    this.observed = { spec, resourceVersion: lease.metadata.resourceVersion, key };
    const holder = spec.holderIdentity ?? "";
    if (holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder) this.opts.onNewLeader?.(holder);
    }
  }
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, as the API server parses it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function jitter(ms: number): number {
  return ms + Math.random() * ms * 1.2;
}
