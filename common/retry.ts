/**
 * Retries with capped exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"). The AWS SDK already retries throttling inside one call; this is for the layers above it:
 * BatchWrite's `UnprocessedItems`, and calls whose SDK retries ran out.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly capMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const defaultRetryPolicy: RetryPolicy = { attempts: 8, baseMs: 50, capMs: 2000, sleep, random: Math.random };

/** The delay before retry number `attempt` (1 = first retry). */
export function backoffMs(attempt: number, p: Pick<RetryPolicy, 'baseMs' | 'capMs' | 'random'>): number {
  return Math.floor(p.random() * Math.min(p.capMs, p.baseMs * 2 ** attempt));
}

/**
 * Whether an AWS SDK (or network) error is worth retrying, classified as the SDK's own retry strategy does
 * (`@smithy/core/retry`; this SDK release has no separate `@smithy/service-error-classification`): throttling
 * (429 and the services' throttling codes), transient (timeouts, connection resets and DNS failures,
 * 500/502/503/504, `$retryable`, also as the `cause`), and any other 5xx.
 */
export function isRetryable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as Parameters<typeof isTransientError>[0];
  return isThrottlingError(err) || isTransientError(err) || isServerError(err);
}

/** Calls `fn` until it succeeds, a non-retryable error is thrown, or the attempts run out. */
export async function retrying<T>(fn: () => Promise<T>, p: RetryPolicy = defaultRetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= p.attempts || !isRetryable(e)) throw e;
      await p.sleep(backoffMs(attempt, p));
    }
  }
}
