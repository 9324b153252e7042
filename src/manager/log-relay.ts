// Log lines of the webhook thread go through the main thread's logger, so the
// manager keeps one destination (stdout, or the file a caller chose) and one
// line format, and the lines of both threads never interleave mid-line.
import type { DestinationStream } from "pino";
import type { Logger } from "../observability/logger.js";

/** A pino destination that hands every line to `send` (the thread's port). */
export function relayDestination(send: (line: string) => void): DestinationStream {
  return { write: (line: string) => send(line) };
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
