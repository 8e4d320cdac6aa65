/**
 * Counts the AWS API calls an adapter makes, by operation (`ec2:DescribeInstances`, one per page), and the
 * metrics requested from CloudWatch `GetMetricData`, which is what it bills. The SDK adapters and the
 * simulated ones count the same way, so `npm run bench` and the collector's logs report real call counts.
 */
export type CallCounts = Readonly<Record<string, number>>;

export class CallCounter {
  private readonly calls = new Map<string, number>();
  private metrics = 0;

  /** One call (one page) of `operation`. */
  count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  /** `n` metrics requested by a `GetMetricData` call. */
  countMetrics(n: number): void {
    this.metrics += n;
  }

  get metricsRequested(): number {
    return this.metrics;
  }

  /** Calls by operation, sorted by name. */
  snapshot(): CallCounts {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/**
 * The configuration of an SDK paginator (`paginateDescribeInstances`, …) that counts each page's request as
 * it is sent, so a page that fails is counted too; `metricsPerPage` for `GetMetricData`, which bills every
 * page for every metric it names.
 */
export function countedPages<C>(
  client: C,
  calls: CallCounter,
  operation: string,
  metricsPerPage = 0,
): { readonly client: C; readonly withCommand: <T>(command: T) => T } {
  return {
    client,
    withCommand: (command) => {
      calls.count(operation);
      calls.countMetrics(metricsPerPage);
      return command;
    },
  };
}

/** `Name: message` of an SDK (or any) error, short enough for a rollup and a log line. */
export function describeError(e: unknown): string {
  const err = e as { name?: string; message?: string };
  const text = err && typeof err === 'object' ? `${err.name ?? 'Error'}: ${err.message ?? String(e)}` : String(e);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
