// A bound on the request bodies the webhook server holds at once. Each body
// is read whole before it is parsed, up to 3 MiB, and the server answers many
// connections at a time: a client that sends hundreds of large bodies slowly
// (each within the request deadline) would make it hold them all, past any
// memory limit a replica is given. The API server's reviews are tens of
// kilobytes (a pod, or two on UPDATE; etcd stores no object over 1.5 MiB).
//
// Every body's bytes count against `totalBytes` as they arrive and until its
// request is answered. A body past `largeBytes` is large: large bodies share
// `largeTotalBytes` of it, so that they cannot take the room small ones need.
// A request whose next chunk finds no room is refused (the server answers 503
// and drops the rest of the body).

/** One request's share of the budget. */
export interface BodyShare {
  bytes: number;
  large: boolean;
}

export interface BodyBudgetLimits {
  totalBytes: number;
  largeTotalBytes: number;
  largeBytes: number;
}

/** 64 MiB for all bodies, 32 MiB of it for bodies over 512 KiB (about ten reviews of the largest size at a time). */
export const DEFAULT_BODY_BUDGET: Readonly<BodyBudgetLimits> = Object.freeze({ totalBytes: 64 << 20, largeTotalBytes: 32 << 20, largeBytes: 512 << 10 });

export class BodyBudget {
  private used = 0;
  private usedByLarge = 0;

  constructor(readonly limits: BodyBudgetLimits = DEFAULT_BODY_BUDGET) {
    const { totalBytes, largeTotalBytes, largeBytes } = limits;
    if (!(largeBytes > 0 && largeTotalBytes >= largeBytes && totalBytes >= largeTotalBytes)) {
      throw new RangeError(`body budget needs 0 < largeBytes <= largeTotalBytes <= totalBytes, got ${JSON.stringify(limits)}`);
    }
  }

  share(): BodyShare {
    return { bytes: 0, large: false };
  }

  /** Counts `n` more bytes of `share`'s body; false (and nothing counted) when there is no room for them. */
  take(share: BodyShare, n: number): boolean {
    if (this.used + n > this.limits.totalBytes) return false;
    const large = share.bytes + n > this.limits.largeBytes;
    // A body that becomes large brings the bytes it already had into the large pool.
    const intoLarge = !large ? 0 : share.large ? n : share.bytes + n;
    if (this.usedByLarge + intoLarge > this.limits.largeTotalBytes) return false;
    this.used += n;
    this.usedByLarge += intoLarge;
    share.bytes += n;
    share.large = large;
    return true;
  }

  /** Gives back all of `share`'s bytes (its request answered or refused). */
  release(share: BodyShare): void {
    this.used -= share.bytes;
    if (share.large) this.usedByLarge -= share.bytes;
    share.bytes = 0;
    share.large = false;
  }

  /** Bytes counted now, in all and for large bodies. */
  usage(): { bytes: number; largeBytes: number } {
    return { bytes: this.used, largeBytes: this.usedByLarge };
  }
}
