// An e2e test file runs in a process the test runner starts. When the runner
// dies without passing a signal on (killed by a timeout, a closed terminal),
// the file's process lives on with its control plane and managers, holding
// ports and CPU until someone finds them. The watchdog notices that the
// parent is gone, runs the environment's teardown and exits.

/** Calls `teardown` then exits (status 1) once this process's parent has changed, checking every `intervalMs`. */
export function exitWhenOrphaned(teardown: () => Promise<void>, intervalMs = 1_000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    void teardown()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
