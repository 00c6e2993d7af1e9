// Maps over items with at most `limit` calls in flight; results keep the items' order.

/** The first rejection rejects the whole map (calls already started still finish). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isFinite(limit) || limit < 1) throw new RangeError(`mapLimit: limit must be >= 1 (got ${limit})`);
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.floor(limit), items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
