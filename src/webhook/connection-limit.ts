// A bound on the connections the webhook server holds open. The API server
// keeps its connections open between calls (at most 25 idle ones per webhook
// host and API server) and the server keeps an idle one for two minutes, about
// 45 KB each; nothing else bounds how many a client inside the cluster may open
// and leave idle. Past the limit, each new connection makes the server close the
// connection that has been idle the longest: neither a connection answering a
// request nor the new one is closed, a caller whose idle connection was closed pays a new
// handshake on its next call, and memory stays bounded.
//
// Idle means: no request between its headers and its answer. A connection that
// has not sent a request yet counts as idle since it was accepted (Node.js
// closes one that sends no complete headers within the headers timeout).

/** The part of a socket the limit uses. */
export interface LimitedSocket {
  destroy(): void;
  once(event: "close", listener: () => void): unknown;
}

export class ConnectionLimit<S extends LimitedSocket = LimitedSocket> {
  private readonly open = new Set<S>();
  // Insertion order is idle order: a connection leaves on a request and comes
  // back at the end with its answer, so the first one is idle the longest.
  private readonly idle = new Set<S>();

  /**
   * @param max connections kept open before idle ones are closed
   * @param onClosed told of every connection closed for the limit
   */
  constructor(
    readonly max: number,
    private readonly onClosed?: (socket: S) => void,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`connection limit must be a positive integer, got ${max}`);
  }

  /**
   * A connection accepted; closes the longest idle others while more than `max`
   * are open. The new one is kept: its first request is on its way.
   */
  accepted(socket: S): void {
    while (this.open.size >= this.max) {
      const longest = this.idle.values().next();
      if (longest.done) break; // every other one is answering a request: those end by the request deadline
      this.open.delete(longest.value);
      this.idle.delete(longest.value);
      longest.value.destroy();
      this.onClosed?.(longest.value);
    }
    this.open.add(socket);
    this.idle.add(socket);
    socket.once("close", () => {
      this.open.delete(socket);
      this.idle.delete(socket);
    });
  }

  /** A request began on `socket`. */
  busy(socket: S): void {
    this.idle.delete(socket);
  }

  /** `socket` answered its request. */
  answered(socket: S): void {
    if (this.open.has(socket)) this.idle.add(socket);
  }

  openCount(): number {
    return this.open.size;
  }

  idleCount(): number {
    return this.idle.size;
  }
}
