import { createLogger, silentLogger } from '../../../common/log';
import { composeMessage } from '../../../lambdas/message/publisher';
import { WebhookUrlCache } from '../../../lambdas/notify/secrets';
import { DEDUP_WINDOW_MS as SLACK_DEDUP_WINDOW_MS } from '../../../lambdas/notify/notifier';
import { createSlackHandler } from '../../../lambdas/notify/slack-notifier';
import { FetchWebhookClient, type DeliveryPolicy } from '../../../lambdas/notify/webhook';
import { ManualClock } from '../../../model/time';
import { StaticSecretSource } from '../../../sim/notify/secrets';
import { startFakeSlack, type FakeSlack } from '../../../sim/notify/slack-server';
import { AT, domino, leak, resolvedNode, snsEvent } from './fixtures';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/slack-webhook-AbCdEf';
let slack: FakeSlack;
let secrets: StaticSecretSource;
beforeEach(async () => {
  slack = await startFakeSlack();
  secrets = new StaticSecretSource({ [ARN]: JSON.stringify({ url: slack.url }) });
});
afterEach(() => slack.close());

const handlerWith = (
  policy: DeliveryPolicy = { attempts: 3, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async () => undefined, random: () => 0.5 },
) =>
  createSlackHandler({
    webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger: silentLogger,
    policy,
  });

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
  const handler = createSlackHandler({
    webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger: createLogger({ service: 't', sink: (l) => lines.push(l) }),
  });
  await handler(snsEvent('Test message from the console <b> & co', 'Hello'));
  await handler(snsEvent(JSON.stringify({ v: 99, cluster: 'prod' })));
  expect(slack.posts).toEqual([
    {
      text: 'Hello\nTest message from the console &lt;b&gt; &amp; co',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Hello\nTest message from the console &lt;b&gt; &amp; co' } }],
    },
    expect.objectContaining({ text: '{"v":99,"cluster":"prod"}' }),
  ]);
  expect(lines.map((l) => JSON.parse(l).message)).toContain('not a Vigil notification of this version; posted as text');
});

test('429 is waited out; persistent 5xx is thrown so Lambda retries and the on-failure destination sees it', async () => {
  const waits: number[] = [];
  const handler = handlerWith({
    attempts: 3,
    baseMs: 1,
    capMs: 2,
    maxRetryAfterMs: 5000,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
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
  const clock = new ManualClock(AT);
  const handler = createSlackHandler({
    webhookUrl: new WebhookUrlCache(secrets, ARN, new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger: silentLogger,
    clock,
  });
  const event = snsEvent('hello', undefined, 'c0ffee00-0000-4000-8000-000000000002');
  expect(await handler(event)).toEqual({ posted: 1 });
  expect(await handler(event)).toEqual({ posted: 0 });
  clock.advance(SLACK_DEDUP_WINDOW_MS + 1);
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

/** A CloudWatch alarm's notification on the health topic, as CloudWatch writes it (AlarmName … Trigger). */
const ALARM_MESSAGE = JSON.stringify({
  AlarmName: 'Vigil-agent-silence-prod-eu-1',
  AlarmDescription:
    'No batch from the Vigil agent of cluster prod-eu-1 for 5 minutes, or the evaluator stopped reporting: Vigil is blind to this cluster. Check the vigil-agent pod (kubectl -n vigil get pods) and the evaluator function.',
  AWSAccountId: '123456789012',
  AlarmConfigurationUpdatedTimestamp: '2026-11-23T09:02:11.412+0000',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 3 out of the last 3 datapoints [300.0 (23/11/26 12:13:00), 240.0 (23/11/26 12:12:00), 180.0 (23/11/26 12:11:00)] were greater than or equal to the threshold (180.0) (minimum 3 datapoints for OK -> ALARM transition).',
  StateChangeTime: '2026-11-23T12:14:31.122+0000',
  Region: 'EU (Ireland)',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Vigil-agent-silence-prod-eu-1',
  OldStateValue: 'OK',
  OKActions: [],
  AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:Vigil-Health'],
  InsufficientDataActions: [],
  Trigger: {
    MetricName: 'AgentSilence',
    Namespace: 'Vigil',
    StatisticType: 'Statistic',
    Statistic: 'MAXIMUM',
    Unit: 'Seconds',
    Dimensions: [{ value: 'prod-eu-1', name: 'Cluster' }],
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 3,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 180.0,
    TreatMissingData: 'breaching',
    EvaluateLowSampleCountPercentile: '',
  },
});

test("Vigil's own alarms (the health topic) arrive as Vigil messages: what, since when, why; not raw JSON", async () => {
  await handlerWith()(snsEvent(ALARM_MESSAGE, 'ALARM: "Vigil-agent-silence-prod-eu-1" in EU (Ireland)'));
  const post = slack.posts[0] as {
    text: string;
    blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[];
  };
  expect(post.text).toBe('[HEALTH] FIRING: Vigil-agent-silence-prod-eu-1');
  expect(post.blocks[0].text!.text).toBe(':red_circle: HEALTH · FIRING · Vigil-agent-silence-prod-eu-1');
  expect(post.blocks[1].text!.text).toContain('No batch from the Vigil agent of cluster prod-eu-1 for 5 minutes');
  expect(post.blocks[1].fields!.map((f) => f.text)).toEqual([
    '*Alarm*\nVigil-agent-silence-prod-eu-1',
    '*Region*\nEU (Ireland)',
    '*State*\nOK → ALARM',
  ]);
  expect(post.blocks[2].elements!.map((e) => e.text)).toEqual([
    'since 2026-11-23 12:14 UTC',
    expect.stringMatching(/^\*Why:\* Threshold Crossed: 3 out of the last 3 datapoints/),
  ]);
  expect(JSON.stringify(post)).not.toContain('"Trigger"');

  await handlerWith()(snsEvent(JSON.stringify({ ...JSON.parse(ALARM_MESSAGE), NewStateValue: 'OK', OldStateValue: 'ALARM' })));
  expect((slack.posts[1] as { blocks: { text?: { text: string } }[] }).blocks[0].text!.text).toBe(
    ':white_check_mark: HEALTH · RESOLVED · Vigil-agent-silence-prod-eu-1',
  );
});

test('a missing or unusable secret is not retried: nothing thrown, one error line carrying the metric of its health alarm', async () => {
  const lines: string[] = [];
  const missing = new StaticSecretSource({});
  const handler = createSlackHandler({
    webhookUrl: new WebhookUrlCache(missing, 'vigil/slack-webhook', new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger: createLogger({ service: 't', sink: (l) => lines.push(l) }),
    clock: new ManualClock(AT),
  });
  await expect(handler(snsEvent(ALARM_MESSAGE))).resolves.toEqual({ posted: 0 });
  expect(slack.posts).toEqual([]);
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]);
  expect(line).toMatchObject({
    level: 'error',
    reason: 'there is no secret named "vigil/slack-webhook"',
    SlackSecretUnusable: 1,
    Service: 'vigil-slack',
  });
  // An EMF document (CloudWatch embedded metric format): the metric the stack's alarm watches.
  expect(line._aws).toEqual({
    Timestamp: AT,
    CloudWatchMetrics: [{ Namespace: 'Vigil', Dimensions: [['Service']], Metrics: [{ Name: 'SlackSecretUnusable', Unit: 'Count' }] }],
  });

  // A value that is no webhook URL: the same.
  const wrong = createSlackHandler({
    webhookUrl: new WebhookUrlCache(new StaticSecretSource({ s: 'not a url' }), 's', new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger: silentLogger,
  });
  await expect(wrong(snsEvent('x'))).resolves.toEqual({ posted: 0 });
});
