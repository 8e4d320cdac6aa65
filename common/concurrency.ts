/** Bounded concurrency for fan-out work: the agent's kubelet reads, the collector's AWS reads, the store's batches. */

/** Runs `fn` over `xs` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  return out;
}
