import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { composeMessage, MAX_SNS_MESSAGE_BYTES, SnsPublisher, snsMessageBody } from '../../../lambdas/message/publisher';
import { MESSAGE_ATTRIBUTES, type MessageSeverity, notificationSchema, severityAllowlist } from '../../../model/notification';
import { AT, domino, leak, resolvedNode } from '../notify/fixtures';

const sns = mockClient(SNSClient);
beforeEach(() => sns.reset());
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:vigil-alerts';
const active = { firing: 2, critical: 1, muted: 0 };

test('one JSON-structured publish: text for email, the notification for the Slack function, filterable attributes', async () => {
  sns.on(PublishCommand).resolves({ MessageId: '5f1c6a2e-3b0e-5f43-9c1b-1c2f9d3a7b10' });
  const m = composeMessage('prod-eu-1', AT, [domino, resolvedNode], active);
  const id = await new SnsPublisher(
    new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
    TOPIC,
  ).publish(m);
  expect(id).toBe('5f1c6a2e-3b0e-5f43-9c1b-1c2f9d3a7b10');
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  const input = sns.commandCalls(PublishCommand)[0].args[0].input;
  expect(input).toMatchObject({
    TopicArn: TOPIC,
    Subject: m.subject,
    MessageStructure: 'json',
    MessageAttributes: {
      [MESSAGE_ATTRIBUTES.severity]: { DataType: 'String', StringValue: 'critical' },
      [MESSAGE_ATTRIBUTES.severities]: { DataType: 'String.Array', StringValue: '["critical","warning-resolved"]' },
      [MESSAGE_ATTRIBUTES.cluster]: { DataType: 'String', StringValue: 'prod-eu-1' },
      [MESSAGE_ATTRIBUTES.rule]: { DataType: 'String', StringValue: 'multiple' },
    },
  });
  const body = JSON.parse(input.Message!) as Record<string, string>;
  expect(Object.keys(body).sort()).toEqual(['default', 'email', 'lambda']);
  expect(body.email).toBe(m.text);
  expect(notificationSchema.parse(JSON.parse(body.lambda))).toEqual(m.notification);
});

test("throttling beyond the SDK's retries is retried; a refusal is thrown", async () => {
  const client = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException', $metadata: { httpStatusCode: 429 } });
  sns.on(PublishCommand).rejectsOnce(throttled).resolves({ MessageId: 'm-2' });
  const retry = { attempts: 3, baseMs: 1, capMs: 1, sleep: async () => undefined, random: () => 0 };
  expect(await new SnsPublisher(client, TOPIC, retry).publish(composeMessage('prod-eu-1', AT, [domino], active))).toBe('m-2');
  sns.reset();
  sns
    .on(PublishCommand)
    .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException', $metadata: { httpStatusCode: 404 } }));
  await expect(new SnsPublisher(client, TOPIC, retry).publish(composeMessage('prod-eu-1', AT, [domino], active))).rejects.toThrow(
    'Topic does not exist',
  );
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
});

test("a storm still fits SNS's 256 KB limit", () => {
  const fat = (i: number) => ({
    ...leak(i),
    summary: 's'.repeat(600),
    evidence: Object.fromEntries(Array.from({ length: 16 }, (_, k) => [`k${k}`, 'v'.repeat(400)])),
  });
  const m = composeMessage(
    'prod-eu-1',
    AT,
    Array.from({ length: 2000 }, (_, i) => fat(i)),
    active,
  );
  expect(Buffer.byteLength(snsMessageBody(m))).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
  expect(m.notification.counts.firing).toBe(2000);
  expect(m.notification.changes.length + m.notification.omitted.count).toBe(2000);
  expect(m.notification.changes.length).toBeGreaterThan(5);
  // What is not detailed is still carried one by one, for PagerDuty, as far as the limit allows.
  expect(m.notification.folded?.length).toBeGreaterThan(100);
});

describe('routing by severity (SNS filter policies on the String.Array attribute `severities`)', () => {
  // SNS delivers a message when any value of the attribute is in the subscription's allowlist.
  const delivered = (receives: MessageSeverity[], changes: Parameters<typeof composeMessage>[2]) => {
    const allow = new Set<string>(severityAllowlist(receives));
    return composeMessage('prod-eu-1', AT, changes, active).attributes.severities.some((t) => allow.has(t));
  };
  const criticalResolved = { ...resolvedNode, severity: 'critical' as const };
  const warningFiring = leak(1);

  test('critical alerts and their resolutions reach a "critical + resolved" subscriber, whatever else the message holds', () => {
    const oncall: MessageSeverity[] = ['critical', 'resolved'];
    expect(severityAllowlist(oncall)).toEqual(['critical', 'critical-resolved']);
    expect(composeMessage('prod-eu-1', AT, [criticalResolved, warningFiring], active).attributes.severities).toEqual([
      'warning',
      'critical-resolved',
    ]);
    // The resolution of a critical alert arriving with a firing warning: delivered (the headline says warning).
    expect(delivered(oncall, [criticalResolved, warningFiring])).toBe(true);
    expect(delivered(oncall, [domino])).toBe(true);
    // Warnings and their resolutions are not theirs.
    expect(delivered(oncall, [resolvedNode])).toBe(false);
    expect(delivered(oncall, [warningFiring, resolvedNode])).toBe(false);
  });

  test('without `resolved` no resolution is delivered; `resolved` alone receives every resolution', () => {
    expect(severityAllowlist(['critical'])).toEqual(['critical']);
    expect(delivered(['critical'], [criticalResolved])).toBe(false);
    expect(severityAllowlist(['resolved'])).toEqual(['critical-resolved', 'warning-resolved', 'info-resolved']);
    expect(severityAllowlist(['critical', 'warning', 'resolved'])).toEqual([
      'critical',
      'warning',
      'critical-resolved',
      'warning-resolved',
    ]);
  });

  test("a resolution folded into a storm's digest still routes the message", () => {
    const storm = [...Array.from({ length: 120 }, (_, i) => leak(i)), criticalResolved];
    const m = composeMessage('prod-eu-1', AT, storm, active);
    expect(m.notification.omitted.count).toBeGreaterThan(0);
    expect(m.attributes.severities).toContain('critical-resolved');
  });
});
