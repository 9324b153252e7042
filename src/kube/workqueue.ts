// A de-duplicating, rate-limited work queue with client-go's guarantees:
// - a key waits in the queue at most once, however often it is added;
// - a key is never handed to two workers at once: added while processing, it
//   is queued again when its worker calls `done`;
// - failures back off per key (exponentially) until `forget`.

export type TimerHandle = unknown;

/** Time source; tests pass a fake one and advance it by hand. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry must not keep a finished process alive.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Delay before a key's next attempt; `failures` counts the attempts so far. */
export interface RateLimiter<K> {
  when(key: K): number;
  forget(key: K): void;
  retries(key: K): number;
}

/** baseMs · 2^failures, capped at maxMs (client-go: 5ms .. 1000s). */
export class ExponentialBackoffRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/** Hooks for workqueue_* metrics; all optional. */
export interface WorkQueueMetricsSink {
  depth?(n: number): void;
  added?(): void;
  retried?(): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queueLatency?(seconds: number): void;
  /** Seconds a worker held a key. */
  workDuration?(seconds: number): void;
}

export interface WorkQueueOptions<K> {
  name: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  metrics?: WorkQueueMetricsSink;
}

interface Waiting {
  readyAt: number;
  timer: TimerHandle;
}

export class WorkQueue<K = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private readonly metrics: WorkQueueMetricsSink;
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  private readonly waiting = new Map<K, Waiting>();
  private getters: ((key: K | undefined) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions<K>) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? new ExponentialBackoffRateLimiter<K>();
    this.metrics = opts.metrics ?? {};
  }

  /** Keys waiting for a worker (not those being processed or delayed). */
  len(): number {
    return this.queue.length;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Keys scheduled by addAfter/addRateLimited that are not due yet. */
  delayed(): number {
    return this.waiting.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.added?.();
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    // Queued again by done() once its current worker finishes.
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `ms`; of several pending delays the earliest wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    if (existing) this.clock.clearTimeout(existing.timer);
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { readyAt, timer });
  }

  /** Adds the key after its per-key backoff; each call doubles the next delay. */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.retried?.();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the key's backoff (call after a success). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.retries(key);
  }

  /**
   * The next key, waiting until one is available. Resolves undefined once
   * the queue shuts down; the caller must call `done(key)` when finished.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.queue.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: K): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics.workDuration?.((this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Stops handing out keys and drops the queued and delayed ones (a new
   * leader relists everything anyway); resolves when every key being
   * processed has been marked done.
   */
  shutDown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
      this.waiting.clear();
      this.queue.length = 0;
      this.metrics.depth?.(0);
      const getters = this.getters;
      this.getters = [];
      for (const g of getters) g(undefined);
    }
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private push(key: K): void {
    const getter = this.getters.shift();
    if (getter) {
      this.queue.push(key);
      getter(this.take());
      return;
    }
    this.queue.push(key);
    this.metrics.depth?.(this.queue.length);
  }

  private take(): K {
    const key = this.queue.shift() as K;
    this.metrics.depth?.(this.queue.length);
    this.processing.add(key);
    this.dirty.delete(key);
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics.queueLatency?.((now - added) / 1000);
    this.startedAt.set(key, now);
    return key;
  }
}

/** What a worker function asks for after handling a key. */
export type WorkResult = void | { requeueAfterMs: number };

export interface RunWorkersOptions<K> {
  workers: number;
  /** Called when `process` throws; the key is retried with backoff. */
  onError?(key: K, error: unknown): void;
}

/**
 * Runs `workers` loops that take keys and process them. A throw retries the
 * key with its backoff; success forgets the backoff (and requeues after a
 * delay when asked). Resolves when the queue has shut down and every worker
 * has returned.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  process: (key: K) => Promise<WorkResult>,
  opts: RunWorkersOptions<K>,
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await process(key);
        queue.forget(key);
        if (result && result.requeueAfterMs >= 0) queue.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        opts.onError?.(key, e);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
      // A macrotask turn between keys: reconciles run synchronous stretches,
      // and whatever else shares the event loop (timers, I/O callbacks, the
      // Lease renewal) gets its turn before the next key starts.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.workers) }, worker));
}
