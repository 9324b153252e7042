// JSON logs, one event a line. Child loggers carry the `sidecarset`,
// `namespace` and `pod` fields so a log search by any of them finds every
// line about that object.
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Resolves the level: the flag, else $LOG_LEVEL, else "info". Unknown values are an error naming the allowed ones. */
export function resolveLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const given = flag ?? env.LOG_LEVEL;
  if (given === undefined || given === "") return "info";
  const level = given.toLowerCase();
  if (!isLogLevel(level)) {
    const from = flag !== undefined ? "--log-level" : "LOG_LEVEL";
    throw new Error(`${from}: "${given}" is not a log level; use one of ${LOG_LEVELS.join(", ")}`);
  }
  return level;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Static fields on every line, e.g. { component: "manager" }. */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" reads better in plain JSON than pino's numeric 30.
      formatters: { level: (label) => ({ level: label }) },
      messageKey: "msg",
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** A reconcile's lines carry the SidecarSet, so one rollout can be picked out of a busy log. */
export function sidecarSetLogger(base: Logger, sidecarset: string): Logger {
  return base.child({ sidecarset });
}

/** Likewise a pod write's lines carry the pod. */
export function podLogger(base: Logger, namespace: string | undefined, pod: string | undefined): Logger {
  return base.child({ namespace, pod });
}

/** Error fields for a log line without stack traces of expected API errors. */
export function errorFields(e: unknown): { err: string } {
  return { err: e instanceof Error ? e.message : String(e) };
}
