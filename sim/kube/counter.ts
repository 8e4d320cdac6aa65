/** A cumulative CPU counter (`usageCoreNanoSeconds`) that grows at a rate, over any clock. */
export class CpuCounter {
  private at: number;
  private cumulativeNs: number;

  /** `rateMilli` since `since` (a container's start), counted from zero then. */
  constructor(
    now: number,
    private rateMilli: number,
    since = now,
  ) {
    this.at = now;
    // 1 millicore = 1e6 ns of CPU per second = 1e3 ns per ms.
    this.cumulativeNs = Math.max(0, rateMilli * 1e3 * (now - since));
  }

  get rate(): number {
    return this.rateMilli;
  }

  /** Also a few seconds back (a container's stats trail its node's), at the current rate; never below zero. */
  valueAt(t: number): number {
    return Math.max(0, Math.round(this.cumulativeNs + this.rateMilli * 1e3 * (t - this.at)));
  }

  setRate(t: number, rateMilli: number): void {
    this.cumulativeNs = this.valueAt(t);
    this.at = Math.max(this.at, t);
    this.rateMilli = rateMilli;
  }
}
