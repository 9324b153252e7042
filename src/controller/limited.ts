// Runs independent writes of one round side by side, a few at a time: a
// round's pod writes waited for each other before, so a wave of 100 pods took
// 100 round trips to the API server.

/**
 * Calls `fn` for every item, at most `limit` at a time. After the first
 * failure no new item is started; once the started ones settled, the first
 * error is thrown.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}
