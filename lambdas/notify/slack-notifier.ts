/**
 * The Slack notifier: subscribed to the alerts topic, it renders each notification as Block Kit and posts it
 * to the webhook. A message that is not a Vigil notification (someone published text to the topic, or a
 * newer evaluator's format) is still posted, as plain text, rather than dropped.
 *
 * Idempotent per SNS message within a window: a message this instance posted (or sent without an answer,
 * see `webhook.ts`) is not posted again when SNS delivers it twice or Lambda retries the invocation.
 */
import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../../common/log';
import { systemClock, type Clock } from '../../model/time';
import { notificationSchema } from './notification';
import { SecretUnusableError, slackSecretUnusableEmf, type WebhookUrlCache } from './secrets';
import { cloudWatchAlarmSchema, escapeSlack, formatAlarmSlack, formatSlack, SLACK_LIMITS, type SlackMessage } from './slack';
import { deliver, SlackDeliveryError, WEBHOOK_REVOKED, type DeliveryPolicy, type WebhookClient } from './webhook';

export interface SlackNotifierDeps {
  readonly webhookUrl: WebhookUrlCache;
  readonly webhook: WebhookClient;
  readonly logger: Logger;
  readonly policy?: DeliveryPolicy;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** How long a message id is remembered: SNS redeliveries and Lambda's async retries come within it. */
export const SLACK_DEDUP_WINDOW_MS = 6 * 3_600_000;
const MAX_REMEMBERED = 10_000;

/** The Slack message for one SNS message. */
export function slackMessageOf(message: string, subject: string | undefined, log: Logger): SlackMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined) {
    const r = notificationSchema.safeParse(parsed);
    if (r.success) return formatSlack(r.data);
    // Vigil's own CloudWatch alarms, from the health topic.
    const alarm = cloudWatchAlarmSchema.safeParse(parsed);
    if (alarm.success) return formatAlarmSlack(alarm.data);
    log.warn('not a Vigil notification of this version; posted as text', { problems: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) });
  }
  const text = escapeSlack([subject, message].filter(Boolean).join('\n'));
  const cut = text.length > SLACK_LIMITS.sectionText ? `${text.slice(0, SLACK_LIMITS.sectionText - 1)}…` : text;
  return { text: cut, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut } }] };
}

export function createSlackHandler(deps: SlackNotifierDeps) {
  const clock = deps.clock ?? systemClock;
  const now = () => clock.now();
  /** Message id → when it was sent; oldest first. */
  const sent = new Map<string, number>();
  const alreadySent = (id: string) => {
    for (const [old, at] of sent) {
      if (at > now() - SLACK_DEDUP_WINDOW_MS && sent.size <= MAX_REMEMBERED) break;
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
      deps.logger.error('Slack webhook secret unusable: not posted to Slack (email still has it)', {
        reason: e.message,
        messages: event.Records.length,
        ...slackSecretUnusableEmf(now()),
      });
      return { posted: 0 };
    }
    let posted = 0;
    for (const record of event.Records) {
      const id = record.Sns.MessageId;
      const log = deps.logger.child({ messageId: id });
      if (alreadySent(id)) {
        log.info('already sent to Slack: not posting it again');
        continue;
      }
      const body = JSON.stringify(slackMessageOf(record.Sns.Message, record.Sns.Subject, log));
      try {
        const r = await deliver(deps.webhook, url, body, log, deps.policy, remaining);
        sent.set(id, now());
        if (r.outcome === 'posted') {
          log.info('posted to Slack', { attempts: r.attempts, bytes: body.length });
          posted++;
        } else {
          log.error('Slack did not answer: not resending, as it may have posted the message (check the channel)', { attempts: r.attempts, error: r.detail });
        }
      } catch (e) {
        // A revoked or rotated webhook: read the secret again next time.
        if (e instanceof SlackDeliveryError && e.status !== undefined && WEBHOOK_REVOKED.has(e.status)) deps.webhookUrl.invalidate();
        log.error('Slack delivery failed', { error: e as Error });
        throw e;
      }
    }
    return { posted };
  };
}
