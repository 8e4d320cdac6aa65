/**
 * Backoff of AWS queries that keep failing. A call that fails (AccessDenied after an IAM edit, a region
 * throttling, a deadline) is asked again at growing intervals instead of every minute: 1, 2, 4, 8, 16, then
 * every 30 minutes, recorded per query in the collector's state document, and reset by one success. While
 * a query waits, calling it fails at once with a {@link BackoffError} that says since when and until when,
 * so the run records the same failure (its subject's alerts stay held) without asking AWS again.
 *
 * A query is one call of the account's APIs, identified by its operation and its subject (the cluster, the
 * node group, the Auto Scaling group, the metric names of a GetMetricData batch); times are not part of it.
 */
import type { AwsAccount } from '../aws/account';
import { describeError } from '../aws/calls';
import { MINUTE_MS, minuteOf, type EpochMs } from '../../model/time';

/** One query's failures, as stored in the collector's state. */
export interface QueryBackoff {
  /** Consecutive failed attempts. */
  readonly failures: number;
  readonly since: EpochMs;
  /** No attempt in a minute before this one. */
  readonly nextAt: EpochMs;
  readonly message: string;
}

export class BackoffError extends Error {
  override readonly name = 'BackoffError';
}

const BASE_MS = MINUTE_MS;
const MAX_MS = 30 * MINUTE_MS;
/** Entries untouched this long (a node group deleted while failing) are dropped. */
const FORGET_AFTER_MS = 24 * 60 * MINUTE_MS;

/** The wait after `failures` consecutive failures: doubling from a minute, at most 30. */
export function backoffDelay(failures: number): number {
  return Math.min(MAX_MS, BASE_MS * 2 ** Math.max(0, failures - 1));
}

/** A query's key: its operation and the parts of its arguments that name what it is about. */
export function queryKey(operation: string, args: readonly unknown[]): string {
  const parts = args.flatMap((a): string[] => {
    if (typeof a === 'string') return [a];
    if (typeof a === 'number' || a === undefined) return [];
    if (Array.isArray(a)) return [[...new Set(a.map((q) => (q as { metricName?: string }).metricName ?? '?'))].sort().join(',')];
    return [JSON.stringify(a)];
  });
  return [operation, ...parts].join(' ');
}

/** One run's view of the backoffs: gates the calls, records their outcomes. */
export class Backoffs {
  private readonly entries: Map<string, QueryBackoff>;
  /** Queries whose first failure is this run's: the ones to report. */
  readonly started: string[] = [];
  /** Queries that succeeded this run after failing, with their failure count. */
  readonly recovered: { readonly key: string; readonly failures: number; readonly since: EpochMs }[] = [];

  constructor(
    stored: Readonly<Record<string, QueryBackoff>> | undefined,
    private readonly now: EpochMs,
  ) {
    this.entries = new Map(Object.entries(stored ?? {}).filter(([, b]) => now - b.nextAt < FORGET_AFTER_MS));
  }

  /** The account with every call gated and recorded. */
  wrap(aws: AwsAccount): AwsAccount {
    return {
      eks: this.gated('eks', aws.eks),
      ec2: this.gated('ec2', aws.ec2),
      autoScaling: this.gated('autoscaling', aws.autoScaling),
      cloudWatch: this.gated('cloudwatch', aws.cloudWatch),
    };
  }

  /** What to store: the queries still failing. */
  snapshot(): Record<string, QueryBackoff> | undefined {
    return this.entries.size ? Object.fromEntries([...this.entries].sort(([a], [b]) => a.localeCompare(b))) : undefined;
  }

  private async call(key: string, run: () => Promise<unknown>): Promise<unknown> {
    const prev = this.entries.get(key);
    if (prev && minuteOf(this.now) < prev.nextAt) {
      throw new BackoffError(`${prev.message} (failing since ${iso(prev.since)}, ${prev.failures} attempts; next at ${iso(prev.nextAt)})`);
    }
    try {
      const out = await run();
      if (prev) {
        this.entries.delete(key);
        this.recovered.push({ key, failures: prev.failures, since: prev.since });
      }
      return out;
    } catch (e) {
      const failures = (prev?.failures ?? 0) + 1;
      if (!prev) this.started.push(key);
      this.entries.set(key, {
        failures,
        since: prev?.since ?? this.now,
        nextAt: minuteOf(this.now) + backoffDelay(failures),
        message: describeError(e),
      });
      throw e;
    }
  }

  private gated<T extends object>(service: string, api: T): T {
    return new Proxy(api, {
      get: (target, prop) => {
        const v: unknown = Reflect.get(target, prop);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) =>
          this.call(queryKey(`${service}:${String(prop)}`, args), () => v.apply(target, args) as Promise<unknown>);
      },
    });
  }
}

const iso = (t: EpochMs) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
