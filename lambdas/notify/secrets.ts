/**
 * A receiver's webhook URL (Slack's, a generic webhook's), kept in Secrets Manager (it is a credential:
 * whoever has it can post to the channel). Read through a one-method interface, cached for a few minutes so a warm function does not call
 * Secrets Manager per message but still picks up a rotation, and never logged.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { METRICS_NAMESPACE } from '../../model/metrics';
import type { Clock, EpochMs } from '../../model/time';

/** A receiver's function, as its logs and metrics name it. */
export interface ReceiverName {
  /** In words and metric names: `Slack`, `Webhook`, `PagerDuty`, `Teams`. */
  readonly name: string;
  /** The function's log `service` and metric dimension: `vigil-slack`. */
  readonly service: string;
}

export const SLACK: ReceiverName = { name: 'Slack', service: 'vigil-slack' };
export const WEBHOOK: ReceiverName = { name: 'Webhook', service: 'vigil-webhook' };
export const PAGERDUTY: ReceiverName = { name: 'PagerDuty', service: 'vigil-pagerduty' };
export const TEAMS: ReceiverName = { name: 'Teams', service: 'vigil-teams' };

/**
 * The metric a receiver's function emits (EMF) when its secret is unusable: Vigil's health alarm on it tells
 * the `health` recipients, once and in words, while the receiver itself is what cannot be reached.
 */
export function secretUnusableMetric(r: ReceiverName) {
  return { namespace: METRICS_NAMESPACE, name: `${r.name}SecretUnusable`, dimensions: { Service: r.service } } as const;
}

export const SLACK_SECRET_UNUSABLE_METRIC = secretUnusableMetric(SLACK);

/** The EMF fields of one unusable-secret event, to log on the error line. */
export function secretUnusableEmf(r: ReceiverName, at: EpochMs): Record<string, unknown> {
  const m = secretUnusableMetric(r);
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: m.namespace, Dimensions: [Object.keys(m.dimensions)], Metrics: [{ Name: m.name, Unit: 'Count' }] }],
    },
    ...m.dimensions,
    [m.name]: 1,
  };
}

export interface SecretSource {
  /** The secret's string value. */
  secretString(secretId: string): Promise<string>;
}

/**
 * The secret cannot serve as configured: missing, not readable by this function, or not a webhook URL. A
 * person must fix it; retrying changes nothing. The message says what is wrong, never the value.
 */
export class SecretUnusableError extends Error {
  override readonly name: string = 'SecretUnusableError';
}

export class SecretFormatError extends SecretUnusableError {
  override readonly name = 'SecretFormatError';
}

/** Secrets Manager's errors that only a person can fix (GetSecretValue, "Errors"), in words. */
const UNUSABLE: Readonly<Record<string, (id: string) => string>> = {
  ResourceNotFoundException: (id) => `there is no secret named "${id}" in this account and region`,
  AccessDeniedException: (id) => `this function may not read the secret "${id}" (or decrypt it with its KMS key)`,
  DecryptionFailure: (id) => `the secret "${id}" cannot be decrypted with its KMS key`,
  InvalidRequestException: (id) => `the secret "${id}" is scheduled for deletion or disabled`,
};

export class SecretsManagerSource implements SecretSource {
  constructor(private readonly client: SecretsManagerClient) {}

  async secretString(secretId: string): Promise<string> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (e) {
      const words = UNUSABLE[(e as Error).name];
      if (words) throw new SecretUnusableError(words(secretId));
      throw e;
    }
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new SecretFormatError(`secret ${secretId} has no value`);
  }
}

/** Hosts plain http may go to: local mode's loopback receivers. */
export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The fields of a secret stored as JSON; `instead` says what else it may hold. Errors never include the value. */
export function secretFields(text: string, instead: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new SecretFormatError(`the secret looks like JSON but does not parse; store ${instead}`);
  }
}

/**
 * The webhook URL in a secret: the URL itself, or JSON with a `url`, `webhookUrl` or `webhook_url` field
 * (the shapes people store). HTTPS only, except loopback for local mode. Errors never include the value.
 */
export function webhookUrlOf(secret: string): string {
  let text = secret.trim();
  if (text.startsWith('{')) {
    const o = secretFields(text, 'the webhook URL itself or {"url": "https://…"}');
    const v = o.url ?? o.webhookUrl ?? o.webhook_url;
    if (typeof v !== 'string')
      throw new SecretFormatError(
        `the secret's JSON has no "url" (or "webhookUrl") string field; it has: ${Object.keys(o).join(', ') || 'no fields'}`,
      );
    text = v.trim();
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SecretFormatError('the secret is not a URL; expected the webhook URL, https://…');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new SecretFormatError(`the webhook URL must use https (got ${url.protocol})`);
  }
  return url.toString();
}

/** A receiver's secret, read once, parsed by `parse` and then kept for `ttlMs`; `invalidate()` after the receiver refuses it. */
export class SecretCache<T> {
  private cached?: { readonly value: T; readonly at: EpochMs };

  constructor(
    private readonly source: SecretSource,
    private readonly secretId: string,
    private readonly clock: Clock,
    private readonly parse: (secret: string) => T,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async get(): Promise<T> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const value = this.parse(await this.source.secretString(this.secretId));
    this.cached = { value, at: now };
    return value;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}

/** The webhook URL (Slack's, a generic webhook's, Teams'). */
export class WebhookUrlCache extends SecretCache<string> {
  constructor(source: SecretSource, secretId: string, clock: Clock, ttlMs?: number) {
    super(source, secretId, clock, webhookUrlOf, ttlMs);
  }
}
