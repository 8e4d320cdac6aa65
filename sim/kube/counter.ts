/**
 * A container's (or node's) cumulative CPU counter (`usageCoreNanoSeconds`) over any clock, and, for a
 * container with a CPU limit, the CFS counters cAdvisor reports for it. What the container wants
 * (`demand`) above its limit is throttled: it gets the limit, and its periods end throttled.
 */
export interface CfsCounts {
  /** `container_cpu_cfs_periods_total`: 100-ms enforcement periods in which it had work. */
  readonly periods: number;
  /** `container_cpu_cfs_throttled_periods_total`: of those, the ones its quota ran out in. */
  readonly throttledPeriods: number;
  /** `container_cpu_cfs_throttled_seconds_total`: time its threads waited for the next period. */
  readonly throttledSeconds: number;
}

/** The kernel's default CFS period. */
const PERIOD_MS = 100;

/**
 * Share of periods throttled at a steady demand: none well below the limit, all of them once the demand
 * exceeds it by 10 %. Between, the bursts inside a 100-ms period reach the quota in some periods.
 */
function throttledShare(demandMilli: number, limitMilli: number): number {
  return Math.max(0, Math.min(1, (demandMilli - 0.9 * limitMilli) / (0.2 * limitMilli)));
}

export class CpuCounter {
  private at: number;
  private cumulativeNs: number;
  private cfsAt: CfsCounts = { periods: 0, throttledPeriods: 0, throttledSeconds: 0 };

  /** Wanting `demandMilli` since `since` (a container's start), counted from zero then; `limitMilli` caps what it gets. */
  constructor(
    now: number,
    private demandMilli: number,
    since = now,
    private readonly limitMilli?: number,
  ) {
    this.at = now;
    // 1 millicore = 1e6 ns of CPU per second = 1e3 ns per ms.
    this.cumulativeNs = Math.max(0, this.rate * 1e3 * (now - since));
    if (limitMilli !== undefined) this.cfsAt = this.cfsAfter(Math.max(0, now - since));
  }

  /** What it gets: its demand, throttled to its limit. */
  get rate(): number {
    return this.limitMilli === undefined ? this.demandMilli : Math.min(this.demandMilli, this.limitMilli);
  }

  get demand(): number {
    return this.demandMilli;
  }

  /** Also a few seconds back (a container's stats trail its node's), at the current rate; never below zero. */
  valueAt(t: number): number {
    return Math.max(0, Math.round(this.cumulativeNs + this.rate * 1e3 * (t - this.at)));
  }

  /** The CFS counters at `t`; undefined without a CPU limit (cAdvisor reports them only for a quota). */
  cfs(t: number): CfsCounts | undefined {
    return this.limitMilli === undefined ? undefined : this.cfsAfter(t - this.at);
  }

  setRate(t: number, demandMilli: number): void {
    this.cumulativeNs = this.valueAt(t);
    if (this.limitMilli !== undefined) this.cfsAt = this.cfsAfter(Math.max(0, t - this.at));
    this.at = Math.max(this.at, t);
    this.demandMilli = demandMilli;
  }

  /** The counter of the container restarted at `now` (a new cgroup, from zero), wanting `demandMilli` (default: as before). */
  restarted(now: number, demandMilli = this.demandMilli): CpuCounter {
    return new CpuCounter(now, demandMilli, now, this.limitMilli);
  }

  /** The CFS counters `ms` after the last change, at the current demand. */
  private cfsAfter(ms: number): CfsCounts {
    const { periods, throttledPeriods, throttledSeconds } = this.cfsAt;
    const limit = this.limitMilli;
    if (limit === undefined || this.demandMilli <= 0 || ms <= 0) return this.cfsAt;
    const n = ms / PERIOD_MS;
    const share = throttledShare(this.demandMilli, limit);
    // Each thread waits out the rest of a throttled period: (1 - limit/demand) of it, per core wanted.
    const waitS = share * Math.max(0, 1 - limit / this.demandMilli) * Math.ceil(this.demandMilli / 1000) * (ms / 1000);
    return { periods: periods + n, throttledPeriods: throttledPeriods + n * share, throttledSeconds: throttledSeconds + waitS };
  }
}
