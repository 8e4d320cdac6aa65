import type { SNSEvent } from 'aws-lambda';
import { createLogger, silentLogger } from '../../../common/log';
import { composeMessage } from '../../../lambdas/notify/publisher';
import { WebhookUrlCache } from '../../../lambdas/notify/secrets';
import { createSlackHandler, SLACK_DEDUP_WINDOW_MS } from '../../../lambdas/notify/slack-notifier';
import { FetchWebhookClient, type DeliveryPolicy } from '../../../lambdas/notify/webhook';
import { ManualClock } from '../../../model/time';
import { StaticSecretSource } from '../../../sim/notify/secrets';
import { startFakeSlack, type FakeSlack } from '../../../sim/notify/slack-server';
import { AT, domino, leak, resolvedNode } from './fixtures';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/slack-webhook-AbCdEf';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:vigil-alerts';

/** What SNS hands a subscribed Lambda for a JSON-structured publish: the `lambda` key's value as Message. */
let messages = 0;
function snsEvent(message: string, subject?: string, messageId = `95df01b4-ee98-5cb9-9903-${String(++messages).padStart(12, '0')}`): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: TOPIC,
          Subject: subject,
          Message: message,
          Timestamp: '2026-11-23T12:14:31.000Z',
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
          UnsubscribeUrl: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:2bcfbf39`,
          MessageAttributes: { severity: { Type: 'String', Value: 'critical' }, cluster: { Type: 'String', Value: 'prod-eu-1' }, rule: { Type: 'String', Value: 'multiple' } },
        },
      },
    ],
  };
}

let slack: FakeSlack;
let secrets: StaticSecretSource;
beforeEach(async () => {
  slack = await startFakeSlack();
  secrets = new StaticSecretSource({ [ARN]: JSON.stringify({ url: slack.url }) });
});
afterEach(() => slack.close());

const handlerWith = (policy: DeliveryPolicy = { attempts: 3, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async () => undefined, random: () => 0.5 }) =>
  createSlackHandler({ webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)), webhook: new FetchWebhookClient(), logger: silentLogger, policy });

test('the notification the evaluator published arrives in Slack as Block Kit; the secret is read once', async () => {
  const m = composeMessage('prod-eu-1', AT, [domino, resolvedNode, leak(1)], { firing: 2, critical: 1, muted: 0 });
  const handler = handlerWith();
  expect(await handler(snsEvent(JSON.stringify(m.notification), m.subject))).toEqual({ posted: 1 });
  await handler(snsEvent(JSON.stringify(m.notification), m.subject));
  expect(slack.posts).toHaveLength(2);
  const post = slack.posts[0] as { text: string; blocks: { type: string; text?: { text: string } }[] };
  expect(post.text).toBe(m.subject);
  expect(post.blocks[0].text!.text).toBe(':red_circle: CRITICAL · prod-eu-1 · 2 firing, 1 resolved');
  expect(secrets.reads.get(ARN)).toBe(1);
});

test('a message that is not a Vigil notification is posted as text, escaped, and logged', async () => {
  const lines: string[] = [];
  const handler = createSlackHandler({ webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)), webhook: new FetchWebhookClient(), logger: createLogger({ service: 't', sink: (l) => lines.push(l) }) });
  await handler(snsEvent('Test message from the console <b> & co', 'Hello'));
  await handler(snsEvent(JSON.stringify({ v: 99, cluster: 'prod' })));
  expect(slack.posts).toEqual([
    { text: 'Hello\nTest message from the console &lt;b&gt; &amp; co', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Hello\nTest message from the console &lt;b&gt; &amp; co' } }] },
    expect.objectContaining({ text: '{"v":99,"cluster":"prod"}' }),
  ]);
  expect(lines.map((l) => JSON.parse(l).message)).toContain('not a Vigil notification of this version; posted as text');
});

test('429 is waited out; persistent 5xx is thrown so Lambda retries and the on-failure destination sees it', async () => {
  const waits: number[] = [];
  const handler = handlerWith({ attempts: 3, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
  slack.respond({ status: 429, retryAfterSeconds: 2 });
  await handler(snsEvent('hello'));
  expect(waits).toEqual([2000]);
  slack.respond({ status: 500 }, { status: 503 }, { status: 500 });
  await expect(handler(snsEvent('hello'))).rejects.toMatchObject({ name: 'SlackDeliveryError', status: 500 });
});

test('Slack taking a message but answering too late: posted once, not retried, and not again when SNS or Lambda redelivers it', async () => {
  const lines: string[] = [];
  const handler = createSlackHandler({
    webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)),
    webhook: new FetchWebhookClient(100),
    logger: createLogger({ service: 't', sink: (l) => lines.push(l) }),
    policy: { attempts: 5, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async () => undefined, random: () => 0.5 },
  });
  slack.respond({ status: 200, delayMs: 400 });
  const event = snsEvent('the node is gone', 'CRITICAL', 'c0ffee00-0000-4000-8000-000000000001');
  expect(await handler(event)).toEqual({ posted: 0 });
  expect(await handler(event)).toEqual({ posted: 0 });
  await new Promise((r) => setTimeout(r, 500));
  expect(slack.posts).toHaveLength(1);
  expect(lines.map((l) => JSON.parse(l).message)).toEqual([
    'Slack did not answer: not resending, as it may have posted the message (check the channel)',
    'already sent to Slack: not posting it again',
  ]);
  // Another message is posted as usual, and the window ends.
  expect(await handler(snsEvent('next'))).toEqual({ posted: 1 });
});

test('a posted message is not posted again within the window; after it, it is', async () => {
  let now = AT;
  const handler = createSlackHandler({ webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)), webhook: new FetchWebhookClient(), logger: silentLogger, now: () => now });
  const event = snsEvent('hello', undefined, 'c0ffee00-0000-4000-8000-000000000002');
  expect(await handler(event)).toEqual({ posted: 1 });
  expect(await handler(event)).toEqual({ posted: 0 });
  now += SLACK_DEDUP_WINDOW_MS + 1;
  expect(await handler(event)).toEqual({ posted: 1 });
  expect(slack.posts).toHaveLength(2);
});

test('a revoked webhook (404 no_service) re-reads the secret next time, so a rotation takes effect at once', async () => {
  const handler = handlerWith();
  await handler(snsEvent('one'));
  slack.respond({ status: 404, body: 'no_service' });
  await expect(handler(snsEvent('two'))).rejects.toThrow('Slack refused the message: HTTP 404: no_service');
  await handler(snsEvent('three'));
  expect(secrets.reads.get(ARN)).toBe(2);
});
