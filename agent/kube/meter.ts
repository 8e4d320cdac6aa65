/**
 * The agent's own API calls, as a view of the control plane's health: how many, how many failed or were
 * throttled, and how long they took. Reported per interval in `controlPlane` and as running totals.
 */
import type { ControlPlaneHealth } from '../../model/domain';

export type CallOutcome = 'ok' | 'error' | 'throttled';

/** Latencies kept per interval; beyond this the calls are counted but their latency is not sampled. */
const MAX_SAMPLES = 10_000;

export class ApiMeter {
  private latencies: number[] = [];
  private calls = 0;
  private errors = 0;
  private throttled = 0;
  readonly totals = { calls: 0, errors: 0, throttled: 0 };

  record(latencyMs: number, outcome: CallOutcome): void {
    this.calls++;
    this.totals.calls++;
    if (outcome !== 'ok') {
      this.errors++;
      this.totals.errors++;
    }
    if (outcome === 'throttled') {
      this.throttled++;
      this.totals.throttled++;
    }
    if (this.latencies.length < MAX_SAMPLES) this.latencies.push(latencyMs);
  }

  /** The interval's figures; starts a new interval. */
  take(): Omit<ControlPlaneHealth, 'readyz'> {
    const sorted = this.latencies.sort((a, b) => a - b);
    const out = {
      apiCalls: this.calls,
      apiErrors: this.errors,
      apiThrottled: this.throttled,
      ...(sorted.length ? { apiLatencyMsP50: percentile(sorted, 0.5), apiLatencyMsP99: percentile(sorted, 0.99) } : {}),
    };
    this.latencies = [];
    this.calls = this.errors = this.throttled = 0;
    return out;
  }
}

/** Nearest-rank percentile of sorted values, rounded to 0.1 ms. */
function percentile(sorted: readonly number[], p: number): number {
  const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  return Math.round(v * 10) / 10;
}
