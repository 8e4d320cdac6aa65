import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { alertmanagerOf } from '../../../lambdas/notify/alertmanager';
import { composeMessage } from '../../../lambdas/message/publisher';
import { formatSlack } from '../../../lambdas/notify/slack';
import { OutboxPublisher, readOutbox } from '../../../sim/notify/outbox';
import { AT, domino, resolvedNode } from '../../lambdas/notify/fixtures';

test('appends each message to the outbox file and prints it as a person reads it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-outbox-'));
  const file = path.join(dir, 'run', 'outbox.jsonl');
  const printed: string[] = [];
  const outbox = new OutboxPublisher({ file, print: (t) => printed.push(t), now: () => AT });
  expect(readOutbox(file)).toEqual([]);
  const m1 = composeMessage('prod-eu-1', AT, [domino], { firing: 1, critical: 1, muted: 0 });
  const m2 = composeMessage('prod-eu-1', AT, [resolvedNode], { firing: 1, critical: 1, muted: 0 });
  const ids = [await outbox.publish(m1), await outbox.publish(m2)];
  expect(new Set(ids).size).toBe(2);
  const entries = readOutbox(file);
  expect(entries.map((e) => e.subject)).toEqual([m1.subject, m2.subject]);
  expect(entries[0]).toMatchObject({
    messageId: ids[0],
    publishedAt: '2026-11-23T12:14:30.000Z',
    attributes: { severity: 'critical', cluster: 'prod-eu-1', rule: 'scale-in-under-pressure' },
    notification: m1.notification,
  });
  // What the Slack function would post, in Block Kit, beside the email text.
  expect(entries[0].slack).toEqual(formatSlack(m1.notification));
  expect(entries[0].slack.blocks[0]).toMatchObject({ type: 'header' });
  // And what the webhook function would post, Alertmanager's body: the resolution as a resolved alert.
  expect(entries[0].webhook).toEqual(alertmanagerOf(m1.notification));
  expect(entries[1].webhook).toMatchObject({
    version: '4',
    status: 'resolved',
    alerts: [{ status: 'resolved', labels: { alertname: 'node-not-ready' } }],
  });
  expect(printed[0]).toContain(`Subject: ${m1.subject}`);
  expect(printed[0]).toContain('Attributes: severity=critical cluster=prod-eu-1 rule=scale-in-under-pressure');
  expect(printed[0]).toContain('== FIRING (critical) Scale-in under pressure (domino) ==');
  fs.rmSync(dir, { recursive: true });
});
