/**
 * A notifier: subscribed to the alerts (and health) topic, it renders each SNS message for its receiver
 * (Slack's Block Kit, an Alertmanager webhook body) and posts it to the webhook URL read by name from Secrets
 * Manager. A message that is not a Vigil notification (someone published text to the topic, or a newer
 * evaluator's format) is still sent, as the receiver renders plain text, rather than dropped.
 *
 * Idempotent per SNS message within a window: a message this instance posted (or sent without an answer,
 * see `webhook.ts`) is not posted again when SNS delivers it twice or Lambda retries the invocation.
 */
import type { SNSEvent, SNSMessage } from 'aws-lambda';
import type { Logger } from '../../common/log';
import { systemClock, type Clock } from '../../model/time';
import { notificationSchema, type Notification } from './notification';
import { SecretUnusableError, secretUnusableEmf, type ReceiverName, type WebhookUrlCache } from './secrets';
import { cloudWatchAlarmSchema, type CloudWatchAlarmMessage } from './slack';
import { deliver, DeliveryError, WEBHOOK_REVOKED, type DeliveryPolicy, type WebhookClient } from './webhook';

export interface Receiver extends ReceiverName {
  /** The request body for one SNS message. */
  render(sns: Pick<SNSMessage, 'Message' | 'Subject' | 'Timestamp'>, log: Logger): string;
}

export interface NotifierDeps {
  readonly webhookUrl: WebhookUrlCache;
  readonly webhook: WebhookClient;
  readonly logger: Logger;
  readonly policy?: DeliveryPolicy;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** How long a message id is remembered: SNS redeliveries and Lambda's async retries come within it. */
export const DEDUP_WINDOW_MS = 6 * 3_600_000;
const MAX_REMEMBERED = 10_000;

/** What an SNS message holds: a Vigil notification, one of Vigil's own CloudWatch alarms (health topic), or other text. */
export type MessageContent = { readonly notification: Notification } | { readonly alarm: CloudWatchAlarmMessage } | { readonly text: string };

export function contentOf(message: string, log: Logger): MessageContent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return { text: message };
  }
  const r = notificationSchema.safeParse(parsed);
  if (r.success) return { notification: r.data };
  const alarm = cloudWatchAlarmSchema.safeParse(parsed);
  if (alarm.success) return { alarm: alarm.data };
  log.warn('not a Vigil notification of this version; posted as text', { problems: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) });
  return { text: message };
}

export function createNotifier(receiver: Receiver, deps: NotifierDeps) {
  const { name } = receiver;
  const clock = deps.clock ?? systemClock;
  const now = () => clock.now();
  /** Message id → when it was sent; oldest first. */
  const sent = new Map<string, number>();
  const alreadySent = (id: string) => {
    for (const [old, at] of sent) {
      if (at > now() - DEDUP_WINDOW_MS && sent.size <= MAX_REMEMBERED) break;
      sent.delete(old);
    }
    return sent.has(id);
  };
  return async (event: SNSEvent, context?: { getRemainingTimeInMillis(): number }): Promise<{ readonly posted: number }> => {
    const remaining = () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    let url: string;
    try {
      url = await deps.webhookUrl.get();
    } catch (e) {
      if (!(e instanceof SecretUnusableError)) throw e;
      // Only a person can fix the secret: retries would fill the failure queue and raise alarms that come back
      // here. The metric on this line raises Vigil's health alarm instead, which emails what is wrong.
      deps.logger.error(`${name} webhook secret unusable: not posted to ${name} (email still has it)`, {
        reason: e.message,
        messages: event.Records.length,
        ...secretUnusableEmf(receiver, now()),
      });
      return { posted: 0 };
    }
    let posted = 0;
    for (const record of event.Records) {
      const id = record.Sns.MessageId;
      const log = deps.logger.child({ messageId: id });
      if (alreadySent(id)) {
        log.info(`already sent to ${name}: not posting it again`);
        continue;
      }
      const body = receiver.render(record.Sns, log);
      try {
        const r = await deliver(name, deps.webhook, url, body, log, deps.policy, remaining);
        sent.set(id, now());
        if (r.outcome === 'posted') {
          log.info(`posted to ${name}`, { attempts: r.attempts, bytes: body.length });
          posted++;
        } else {
          log.error(`${name} did not answer: not resending, as it may have posted the message (check the channel)`, { attempts: r.attempts, error: r.detail });
        }
      } catch (e) {
        // A revoked or rotated webhook: read the secret again next time.
        if (e instanceof DeliveryError && e.status !== undefined && WEBHOOK_REVOKED.has(e.status)) deps.webhookUrl.invalidate();
        log.error(`${name} delivery failed`, { error: e as Error });
        throw e;
      }
    }
    return { posted };
  };
}
