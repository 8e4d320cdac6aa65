/**
 * Posting to a receiver's webhook (Slack, a generic Alertmanager-format webhook). Slack allows about one
 * message per second per channel and answers `429` with `Retry-After` (seconds) beyond it; that wait is
 * honoured, for any receiver. `5xx` and errors before the request reached the receiver (connection refused,
 * DNS) are retried with capped, jittered backoff; what still fails is thrown, so Lambda's retries and
 * on-failure destination see it. Other `4xx` are the receiver refusing the message or the webhook
 * (`invalid_blocks`, `no_service`…): thrown at once, with its answer.
 *
 * A post that went out but got no answer (a timeout, a reset) may have been accepted: a webhook has no
 * idempotency key, so resending it could post the message again. It is reported as `unconfirmed`, not
 * retried and not thrown (which would make Lambda retry it).
 */
import { backoffMs, sleep } from '../../common/retry';
import type { Logger } from '../../common/log';

export interface WebhookResponse {
  readonly status: number;
  readonly body: string;
  /** `Retry-After`, in seconds, when present. */
  readonly retryAfterSeconds?: number;
}

export interface WebhookClient {
  post(url: string, body: string): Promise<WebhookResponse>;
}

/** The real client: Node's fetch, with a timeout. */
export class FetchWebhookClient implements WebhookClient {
  constructor(private readonly timeoutMs = 10_000) {}

  async post(url: string, body: string): Promise<WebhookResponse> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const retryAfter = Number(res.headers.get('retry-after'));
    return {
      status: res.status,
      body: (await res.text()).slice(0, 1000),
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 && res.headers.has('retry-after') ? { retryAfterSeconds: retryAfter } : {}),
    };
  }
}

/** A delivery that failed; named after its receiver (`SlackDeliveryError`) so logs and the failure queue say which. */
export class DeliveryError extends Error {
  override readonly name: string;
  constructor(
    readonly receiver: string,
    message: string,
    /** The last HTTP status, if the receiver answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = `${receiver}DeliveryError`;
  }
}

export interface DeliveryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly capMs: number;
  /** A `Retry-After` longer than this is not waited for in this invocation: the error goes to Lambda's retry. */
  readonly maxRetryAfterMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  attempts: 5,
  baseMs: 500,
  capMs: 8000,
  maxRetryAfterMs: 60_000,
  sleep,
  random: Math.random,
};

/** Statuses that mean the webhook itself is gone or revoked (a rotated secret may fix it). */
export const WEBHOOK_REVOKED = new Set([403, 404, 410]);

/**
 * Posts `body`, retrying as described above. `remainingMs` (the invocation's time left) bounds every wait:
 * a wait that would not fit is not started.
 */
export async function deliver(
  receiver: string,
  client: WebhookClient,
  url: string,
  body: string,
  log: Logger,
  policy: DeliveryPolicy = defaultDeliveryPolicy,
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<{ readonly attempts: number; readonly outcome: 'posted' | 'unconfirmed'; readonly detail?: string }> {
  let last = '';
  let status: number | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let wait: number;
    try {
      const res = await client.post(url, body);
      status = res.status;
      if (res.status >= 200 && res.status < 300) return { attempts: attempt, outcome: 'posted' };
      last = `HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`;
      if (res.status === 429) {
        // PagerDuty answers 429 without Retry-After: backed off like 5xx.
        wait = res.retryAfterSeconds === undefined ? backoffMs(attempt, policy) : res.retryAfterSeconds * 1000;
        if (wait > policy.maxRetryAfterMs)
          throw new DeliveryError(
            receiver,
            `${receiver} rate limit: Retry-After ${res.retryAfterSeconds} s is longer than this invocation waits`,
            429,
          );
      } else if (res.status >= 500) {
        wait = backoffMs(attempt, policy);
      } else {
        throw new DeliveryError(receiver, `${receiver} refused the message: ${last}`, res.status);
      }
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      last = `${(e as Error).name}: ${(e as Error).message}`;
      if (!neverReached(e)) return { attempts: attempt, outcome: 'unconfirmed', detail: last };
      // The request never left: retried like 5xx.
      status = undefined;
      wait = backoffMs(attempt, policy);
    }
    if (attempt === policy.attempts) break;
    if (wait > remainingMs() - 2000)
      throw new DeliveryError(receiver, `${receiver} delivery: no time left to wait ${wait} ms after ${last}`, status);
    log.warn(`${receiver} post failed; retrying`, { attempt, waitMs: wait, status, error: last });
    await policy.sleep(wait);
  }
  throw new DeliveryError(receiver, `${receiver} delivery failed after ${policy.attempts} attempts: ${last}`, status);
}

/** Connection errors that happen before a request is sent (fetch wraps them as the `cause`). */
const BEFORE_SENDING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function neverReached(e: unknown): boolean {
  const code = (e as { code?: string; cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
  return code !== undefined && BEFORE_SENDING.has(code);
}
