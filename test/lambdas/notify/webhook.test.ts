import { silentLogger } from '../../../common/log';
import { deliver, FetchWebhookClient, DeliveryError, type DeliveryPolicy } from '../../../lambdas/notify/webhook';
import { startFakeSlack, type FakeSlack } from '../../../sim/notify/slack-server';

let slack: FakeSlack;
beforeEach(async () => {
  slack = await startFakeSlack();
});
afterEach(() => slack.close());

/** Waits are recorded, not slept: the test checks what would be waited. */
function policy(over: Partial<DeliveryPolicy> = {}): DeliveryPolicy & { waits: number[] } {
  const waits: number[] = [];
  return {
    attempts: 5,
    baseMs: 500,
    capMs: 8000,
    maxRetryAfterMs: 60_000,
    random: () => 1,
    sleep: async (ms) => void waits.push(ms),
    ...over,
    waits,
  };
}
const body = JSON.stringify({ text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] });
const client = new FetchWebhookClient(5000);

test('200: posted once', async () => {
  expect(await deliver('Slack', client, slack.url, body, silentLogger, policy())).toEqual({ attempts: 1, outcome: 'posted' });
  expect(slack.posts).toEqual([JSON.parse(body)]);
});

test('429 honours Retry-After, then posts', async () => {
  slack.respond({ status: 429, retryAfterSeconds: 3 }, { status: 429, retryAfterSeconds: 1 });
  const p = policy();
  expect(await deliver('Slack', client, slack.url, body, silentLogger, p)).toEqual({ attempts: 3, outcome: 'posted' });
  expect(p.waits).toEqual([3000, 1000]);
  expect(slack.requests.map((r) => r.status)).toEqual([429, 429, 200]);
});

test('a Retry-After longer than the invocation can wait is thrown for Lambda to retry later', async () => {
  slack.respond({ status: 429, retryAfterSeconds: 120 });
  await expect(deliver('Slack', client, slack.url, body, silentLogger, policy())).rejects.toMatchObject({
    name: 'SlackDeliveryError',
    status: 429,
  });
  slack.respond({ status: 429, retryAfterSeconds: 20 });
  await expect(deliver('Slack', client, slack.url, body, silentLogger, policy(), () => 10_000)).rejects.toThrow(
    /no time left to wait 20000 ms/,
  );
});

test('5xx: retried with capped, jittered backoff, then reported', async () => {
  slack.respond({ status: 503 }, { status: 500 });
  const ok = policy();
  expect(await deliver('Slack', client, slack.url, body, silentLogger, ok)).toEqual({ attempts: 3, outcome: 'posted' });
  expect(ok.waits).toEqual([1000, 2000]);
  slack.respond(...Array.from({ length: 5 }, () => ({ status: 502, body: 'bad gateway' })));
  const failing = policy();
  const err = await deliver('Slack', client, slack.url, body, silentLogger, failing).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeliveryError);
  expect(err).toMatchObject({ status: 502, message: 'Slack delivery failed after 5 attempts: HTTP 502: bad gateway' });
  expect(failing.waits).toEqual([1000, 2000, 4000, 8000]);
});

test('Slack refusing the message (400 invalid_blocks) is not retried', async () => {
  const bad = JSON.stringify({ blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) });
  await expect(deliver('Slack', client, slack.url, bad, silentLogger, policy())).rejects.toMatchObject({
    status: 400,
    message: 'Slack refused the message: HTTP 400: invalid_blocks',
  });
  expect(slack.requests).toHaveLength(1);
});

test('errors before the request reached Slack (connection refused) are retried like 5xx', async () => {
  const url = slack.url;
  await slack.close();
  const p = policy({ attempts: 2 });
  await expect(deliver('Slack', client, url, body, silentLogger, p)).rejects.toThrow(/after 2 attempts: TypeError: fetch failed/);
  expect(p.waits).toEqual([1000]);
  slack = await startFakeSlack();
});
