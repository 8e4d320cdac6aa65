/**
 * Local mode's receivers: for each kind asked for, a loopback server shaped like the real one (Slack's
 * incoming webhook, a Teams Workflows webhook, PagerDuty's Events API, an Alertmanager-format webhook) and
 * the real receiver function in front of it (the notifier, its secret read from a local secret store, its
 * retries and dedup). Each published message goes through every one of them as SNS would hand it over; what
 * each server accepted, or why the delivery failed, goes to the outbox beside the message.
 */
import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../../common/log';
import { WEBHOOK_RECEIVER } from '../../lambdas/notify/alertmanager';
import { createNotifier, type Receiver, type ReceiverTarget } from '../../lambdas/notify/notifier';
import { PAGERDUTY_RECEIVER, pagerDutyTargetOf } from '../../lambdas/notify/pagerduty';
import type { OutgoingMessage } from '../../lambdas/message/publisher';
import { SecretCache, webhookUrlOf } from '../../lambdas/notify/secrets';
import { SLACK_RECEIVER } from '../../lambdas/notify/slack-notifier';
import { TEAMS_RECEIVER } from '../../lambdas/notify/teams';
import { FetchWebhookClient } from '../../lambdas/notify/webhook';
import { systemClock, type Clock } from '../../model/time';
import { startFakePagerDuty } from './pagerduty-server';
import { StaticSecretSource } from './secrets';
import { startFakeSlack, type FakeSlack } from './slack-server';
import { startFakeTeams } from './teams-server';

export const RECEIVER_KINDS = ['slack', 'teams', 'pagerduty', 'webhook'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];

/** What one receiver's loopback server accepted for one message, or why the delivery failed. */
export interface Received {
  readonly posts: readonly unknown[];
  readonly error?: string;
}

export interface LoopbackReceivers {
  /** Hands the message to every receiver function, as SNS would; resolves to what each server accepted. */
  deliver(messageId: string, m: OutgoingMessage): Promise<Partial<Record<ReceiverKind, Received>>>;
  close(): Promise<void>;
}

/** A routing key of the right shape for the loopback PagerDuty (the real one is the integration's). */
const LOCAL_ROUTING_KEY = 'L0CALR0UT1NGKEY00000000000000000';

interface Kind {
  readonly start: () => Promise<FakeSlack>;
  readonly receiver: Receiver<ReceiverTarget>;
  readonly secret: (url: string) => string;
  readonly parse: (secret: string) => ReceiverTarget;
}

const KINDS: Readonly<Record<ReceiverKind, Kind>> = {
  slack: { start: () => startFakeSlack(), receiver: SLACK_RECEIVER, secret: (url) => url, parse: webhookUrlOf },
  teams: { start: startFakeTeams, receiver: TEAMS_RECEIVER, secret: (url) => url, parse: webhookUrlOf },
  // Every message reaches every local receiver (there are no subscription filters here): PagerDuty receives everything too.
  pagerduty: {
    start: startFakePagerDuty,
    receiver: PAGERDUTY_RECEIVER as Receiver<ReceiverTarget>,
    secret: (url) => JSON.stringify({ routingKey: LOCAL_ROUTING_KEY, url }),
    parse: pagerDutyTargetOf,
  },
  // Any JSON: its tests check the Alertmanager shape; a local run only shows it.
  webhook: { start: () => startFakeSlack(() => []), receiver: WEBHOOK_RECEIVER, secret: (url) => url, parse: webhookUrlOf },
};

/** An unknown kind named, with the known ones: for `vigil local --receivers`. */
export function receiverKindsOf(list: string): ReceiverKind[] {
  const kinds = list
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const unknown = kinds.filter((k) => !(RECEIVER_KINDS as readonly string[]).includes(k));
  if (unknown.length)
    throw new Error(`unknown receiver ${unknown.map((k) => `"${k}"`).join(', ')}: expected some of ${RECEIVER_KINDS.join(', ')}`);
  return [...new Set(kinds)] as ReceiverKind[];
}

export async function startLoopbackReceivers(
  kinds: readonly ReceiverKind[],
  logger: Logger,
  clock: Clock = systemClock,
): Promise<LoopbackReceivers> {
  const started = await Promise.all(
    kinds.map(async (kind) => {
      const k = KINDS[kind];
      const server = await k.start();
      const handler = createNotifier(k.receiver, {
        webhookUrl: new SecretCache(new StaticSecretSource({ [kind]: k.secret(server.url) }), kind, clock, k.parse),
        webhook: new FetchWebhookClient(5000),
        logger,
        clock,
        // Loopback answers at once: no real waits.
        policy: { attempts: 2, baseMs: 1, capMs: 1, maxRetryAfterMs: 1000, sleep: async () => undefined, random: Math.random },
      });
      return { kind, server, handler };
    }),
  );
  return {
    async deliver(messageId, m) {
      const event: SNSEvent = {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: 'arn:aws:sns:local:000000000000:vigil-alerts:local',
            Sns: {
              Type: 'Notification',
              MessageId: messageId,
              TopicArn: 'arn:aws:sns:local:000000000000:vigil-alerts',
              Subject: m.subject,
              Message: JSON.stringify(m.notification),
              Timestamp: new Date(clock.now()).toISOString(),
              SignatureVersion: '1',
              Signature: 'local',
              SigningCertUrl: '',
              UnsubscribeUrl: '',
              MessageAttributes: {},
            },
          },
        ],
      };
      const out: Partial<Record<ReceiverKind, Received>> = {};
      for (const { kind, server, handler } of started) {
        const before = server.posts.length;
        let error: string | undefined;
        try {
          await handler(event);
        } catch (e) {
          error = `${(e as Error).name}: ${(e as Error).message}`;
        }
        out[kind] = { posts: server.posts.slice(before), ...(error ? { error } : {}) };
      }
      return out;
    },
    close: async () => {
      await Promise.all(started.map((s) => s.server.close()));
    },
  };
}
