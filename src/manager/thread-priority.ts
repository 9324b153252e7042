// Admission is on the path of every pod creation in the cluster; a reconcile
// is not. Both share one process, and when its CPU is short (a CPU limit, a
// busy node) the webhook thread should go first. On Linux the nice value
// belongs to each thread, and a thread may always lower its own priority, so
// the main thread (controller, informers, metrics) does so once the webhook
// thread exists; threads started later from the main thread inherit it.
import { getPriority, setPriority } from "node:os";
import { errorFields, type Logger } from "../observability/logger.js";

/** Highest nice value Linux accepts (lowest priority). */
export const MAX_NICE = 19;

/**
 * Raises the calling thread's nice value by `step` (capped at 19). Returns
 * the new value, or undefined when nothing changed: `step` 0, not Linux
 * (elsewhere the call would lower the whole process, webhook thread
 * included), or refused.
 */
export function lowerCallingThreadPriority(step: number, logger: Logger): number | undefined {
  if (step <= 0) return undefined;
  if (process.platform !== "linux") {
    logger.debug({ platform: process.platform }, "thread priorities are per process here; the controller keeps the webhook thread's");
    return undefined;
  }
  try {
    const nice = Math.min(MAX_NICE, getPriority(0) + step);
    setPriority(0, nice);
    return nice;
  } catch (e) {
    logger.warn(errorFields(e), "could not lower the controller thread's CPU priority; it competes with admissions as equals");
    return undefined;
  }
}
