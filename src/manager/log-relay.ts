// Log lines of the webhook thread go through the main thread's logger, so the
// manager keeps one destination (stdout, or the file a caller chose) and one
// line format, and the lines of both threads never interleave mid-line.
import type { DestinationStream } from "pino";
import type { Logger } from "../observability/logger.js";

/**
 * A pino destination that hands the lines to `send` (the thread's port) in
 * one message per event-loop turn. A message to the other thread costs far
 * more than a line: sent one by one, the line an admission logs would hold
 * that admission's answer back; batched, it goes out after the answer.
 */
export class RelayDestination implements DestinationStream {
  private pending: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly send: (lines: string[]) => void) {}

  write(line: string): void {
    this.pending.push(line);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends what is pending now, e.g. before the thread stops. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.send(lines);
  }
}

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);

/**
 * Writes one line of the other thread through `logger`. Its own time and
 * level fields are dropped: the receiving logger stamps them again (a JSON
 * object with two "time" keys would be ambiguous), the level as it was.
 */
export function replayLogLine(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ line: line.trimEnd() }, "unparseable log line from the webhook thread");
    return;
  }
  const { level, time: _time, msg, ...fields } = record;
  const method = typeof level === "string" && LEVELS.has(level) ? (level as "info") : "info";
  logger[method](fields, typeof msg === "string" ? msg : "");
}
