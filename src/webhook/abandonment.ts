// When the server gives up on a request: at its deadline, or when its client
// goes away. The route sees this as an AbortSignal. The server's own waits on
// the request (for its body, then for the route's answer) are told directly:
// as listeners of that signal they cost several µs per request, at every
// admission, for an event that nearly never happens.

export class Abandonment {
  private readonly controller = new AbortController();
  private onAbandon: (() => void) | undefined;

  /** Aborts when the request is abandoned. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  abandon(): void {
    if (this.abandoned) return;
    this.controller.abort();
    const notify = this.onAbandon;
    this.onAbandon = undefined;
    notify?.();
  }

  /**
   * Calls `onAbandon` if the request is abandoned before the returned
   * function is called, at once if it already is. One wait at a time: the
   * server waits for one thing after another.
   */
  whileWaiting(onAbandon: () => void): () => void {
    if (this.abandoned) onAbandon();
    else this.onAbandon = onAbandon;
    return () => {
      if (this.onAbandon === onAbandon) this.onAbandon = undefined;
    };
  }
}
