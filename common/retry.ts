/**
 * Retries with capped exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"). The AWS SDK already retries throttling inside one call; this is for the layers above it:
 * BatchWrite's `UnprocessedItems`, and calls whose SDK retries ran out.
 */
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

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
]);

/** Whether an AWS SDK (or network) error is worth retrying: throttling, 5xx, timeouts, resets. */
export function isRetryable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (err.$retryable) return true;
  if (err.name && RETRYABLE_NAMES.has(err.name)) return true;
  if (err.code && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(err.code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
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
