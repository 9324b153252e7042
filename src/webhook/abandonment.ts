// When the server gives up on a request: at its deadline, or when its client
// goes away. The route sees this as a RequestAbandonment: a flag, and an
// AbortSignal made only when someone asks for it (an AbortController costs
// several µs at every admission, for an event that nearly never happens). The
// server's own waits on the request (for its body, then for the route's
// answer) are told directly, not as listeners of that signal.
import type { RequestAbandonment } from "./admission.js";

export class Abandonment implements RequestAbandonment {
  private controller: AbortController | undefined;
  private onAbandon: (() => void) | undefined;
  private done = false;

  /** Aborts when the request is abandoned (at once if it already is). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort();
    }
    return this.controller.signal;
  }

  get abandoned(): boolean {
    return this.done;
  }

  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.controller?.abort();
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
    if (this.done) onAbandon();
    else this.onAbandon = onAbandon;
    return () => {
      if (this.onAbandon === onAbandon) this.onAbandon = undefined;
    };
  }
}
