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
import { DELIVERIES, type Delivery, type Notification, notificationSchema, receivesAll } from '../../model/notification';
import { systemClock, type Clock } from '../../model/time';
import { SecretUnusableError, secretUnusableEmf, type ReceiverName, type SecretCache } from './secrets';
import { cloudWatchAlarmSchema, type CloudWatchAlarmMessage } from './cloudwatch-alarm';
import { receivedPart } from './receives';
import { deliver, DeliveryError, WEBHOOK_REVOKED, type DeliveryPolicy, type WebhookClient } from './webhook';

/** What a receiver's secret gives: the URL to post to (Slack, Teams, a webhook), or that and a key (PagerDuty). */
export type ReceiverTarget = string | { readonly url: string };

export interface Receiver<T extends ReceiverTarget = string> extends ReceiverName {
  /** The request bodies for one SNS message, posted in order: one for a chat message, one per alert for PagerDuty. */
  render(sns: Pick<SNSMessage, 'Message' | 'Subject' | 'Timestamp'>, log: Logger, target: T): string | readonly string[];
  /**
   * The receiver deduplicates itself (PagerDuty by `dedup_key`): a post that got no answer is retried by Lambda
   * rather than left unconfirmed. @default false
   */
  readonly idempotent?: boolean;
}

export interface NotifierDeps<T extends ReceiverTarget = string> {
  readonly webhookUrl: SecretCache<T>;
  readonly webhook: WebhookClient;
  readonly logger: Logger;
  readonly policy?: DeliveryPolicy;
  /** @default systemClock */
  readonly clock?: Clock;
  /** What its subscription receives (`VIGIL_RECEIVES`): the changes of a message it does not receive are dropped. @default DELIVERIES */
  readonly receives?: readonly Delivery[];
}

/** How long a message id is remembered: SNS redeliveries and Lambda's async retries come within it. */
export const DEDUP_WINDOW_MS = 6 * 3_600_000;
const MAX_REMEMBERED = 10_000;

/** What an SNS message holds: a Vigil notification, one of Vigil's own CloudWatch alarms (health topic), or other text. */
export type MessageContent =
  | { readonly notification: Notification }
  | { readonly alarm: CloudWatchAlarmMessage }
  | { readonly text: string };

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
  log.warn('not a Vigil notification of this version; posted as text', {
    problems: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
  });
  return { text: message };
}

type Sns = Pick<SNSMessage, 'Message' | 'Subject' | 'Timestamp'>;

/**
 * The SNS message as a receiver of `receives` is to see it: a notification cut to the changes it receives
 * (undefined when none), one of Vigil's alarms only with `health`; text that is not Vigil's passes whole.
 */
export function receivedMessage<S extends Sns>(sns: S, receives: readonly Delivery[], log: Logger): S | undefined {
  if (receivesAll(receives)) return sns;
  const c = contentOf(sns.Message, log);
  if ('alarm' in c) return receives.includes('health') ? sns : undefined;
  if (!('notification' in c)) return sns;
  const part = receivedPart(c.notification, receives);
  if (part === undefined) return undefined;
  return part === c.notification ? sns : { ...sns, Message: JSON.stringify(part) };
}

/** A refusal by the receiver (a 4xx other than 429): retrying the same body changes nothing. */
const refused = (e: unknown) =>
  e instanceof DeliveryError && e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429;

export function createNotifier<T extends ReceiverTarget>(receiver: Receiver<T>, deps: NotifierDeps<T>) {
  const { name } = receiver;
  const clock = deps.clock ?? systemClock;
  const receives = deps.receives ?? DELIVERIES;
  const now = () => clock.now();
  /** Message id (`id#n` for the n-th of several posts) → when it was sent; oldest first. */
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
    let target: T;
    try {
      target = await deps.webhookUrl.get();
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
    const url = typeof target === 'string' ? target : target.url;
    let posted = 0;
    for (const record of event.Records) {
      const id = record.Sns.MessageId;
      const log = deps.logger.child({ messageId: id });
      const sns = receivedMessage(record.Sns, receives, log);
      if (sns === undefined) {
        log.info(`nothing in it that ${name} receives: not posted`, { receives });
        continue;
      }
      const rendered = receiver.render(sns, log, target);
      const bodies = typeof rendered === 'string' ? [rendered] : rendered;
      const refusals: DeliveryError[] = [];
      for (const [i, body] of bodies.entries()) {
        const key = bodies.length === 1 ? id : `${id}#${i}`;
        if (alreadySent(key)) {
          log.info(`already sent to ${name}: not posting it again`, { post: i });
          continue;
        }
        try {
          const r = await deliver(name, deps.webhook, url, body, log, deps.policy, remaining);
          if (r.outcome === 'unconfirmed' && receiver.idempotent) throw new DeliveryError(name, `${name} did not answer: ${r.detail}`);
          sent.set(key, now());
          if (r.outcome === 'posted') {
            log.info(`posted to ${name}`, {
              attempts: r.attempts,
              bytes: body.length,
              ...(bodies.length > 1 ? { post: i, posts: bodies.length } : {}),
            });
            posted++;
          } else {
            log.error(`${name} did not answer: not resending, as it may have posted the message (check the channel)`, {
              attempts: r.attempts,
              error: r.detail,
            });
          }
        } catch (e) {
          // A revoked or rotated webhook: read the secret again next time.
          if (e instanceof DeliveryError && e.status !== undefined && WEBHOOK_REVOKED.has(e.status)) deps.webhookUrl.invalidate();
          log.error(`${name} delivery failed`, { error: e as Error, ...(bodies.length > 1 ? { post: i, posts: bodies.length } : {}) });
          // One refused post does not hold back the others of the message; what can succeed later is retried by Lambda.
          if (!refused(e) || bodies.length === 1) throw e;
          refusals.push(e as DeliveryError);
        }
      }
      if (refusals.length) {
        throw new DeliveryError(
          name,
          `${name} refused ${refusals.length} of ${bodies.length} posts: ${refusals
            .map((e) => e.message)
            .join('; ')
            .slice(0, 1000)}`,
          refusals[0].status,
        );
      }
    }
    return { posted };
  };
}
