// Polling against a deadline: the local cluster waits for states it needs
// (a CRD established, a ServiceAccount created) instead of sleeping.

/**
 * Calls `probe` until it returns true or the deadline passes. A probe that
 * throws counts as "not yet"; its last error is part of the timeout message.
 */
export async function waitUntil(
  description: string,
  timeoutMs: number,
  probe: () => Promise<boolean> | boolean,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      if (await probe()) return;
      lastError = "";
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${description}${lastError ? ` (last error: ${lastError})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
