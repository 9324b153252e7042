// The webhook server's request deadlines. Every request gets the same time, so
// deadlines fall in the order the requests arrived: one timer, set for the
// oldest request still unanswered, serves them all. A timer per request
// (armed, then cleared at the answer) cost a few µs at every admission.

export interface Deadline {
  /** The request was answered: its deadline no longer fires. */
  clear(): void;
}

/**
 * One object per request, no closure: an answered entry can wait behind an unanswered one for a whole timeout,
 * so it keeps nothing of its request (the callback, which holds the response and its socket, is let go).
 */
class Entry implements Deadline {
  done = false;

  constructor(
    private readonly queue: RequestDeadlines,
    readonly at: number,
    public onExpire: (() => void) | undefined,
  ) {}

  clear(): void {
    this.done = true;
    this.onExpire = undefined;
    this.queue.dropAnswered();
  }
}

export class RequestDeadlines {
  /** Unanswered requests, oldest first; answered ones leave once they reach the front. */
  private readonly pending: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `onExpire` once `ms` have passed, unless the returned deadline is cleared first. */
  start(onExpire: () => void): Deadline {
    const entry = new Entry(this, this.now() + this.ms, onExpire);
    this.pending.push(entry);
    if (this.timer === undefined) this.arm(entry.at);
    return entry;
  }

  /** The requests the queue holds: the unanswered ones, and the answered ones behind the oldest of them. */
  size(): number {
    return this.pending.length;
  }

  /** Stops the timer; the deadlines still pending never fire. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.pending) {
      e.done = true;
      e.onExpire = undefined;
    }
    this.pending.length = 0;
  }

  /** Called by an entry as it is answered. */
  dropAnswered(): void {
    while (this.pending.length > 0 && this.pending[0]!.done) this.pending.shift();
  }

  private arm(at: number): void {
    // Not keeping the process alive: a server that listens does that, and a stopped one has nothing to time.
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(at - this.now())));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.now();
    while (this.pending.length > 0) {
      const first = this.pending[0]!;
      if (!first.done && first.at > now) break;
      this.pending.shift();
      if (first.done) continue;
      const onExpire = first.onExpire;
      first.done = true;
      first.onExpire = undefined;
      onExpire?.();
    }
    // The timer set for a request answered since fires early, finds nothing due, and is set again.
    if (this.pending.length > 0) this.arm(this.pending[0]!.at);
  }
}
