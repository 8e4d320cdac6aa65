/** Runbook links: a base URL for every rule, a rule's own URL over it, in the email text and the Slack message, resolutions included. */
import { formatSlack } from '../../../lambdas/notify/slack';
import { notificationSchema } from '../../../model/notification';
import { useTestStore } from '../../support/store';
import { harness } from './harness';

const { dynamo } = useTestStore();

test("each alert links to the base URL and its rule id, or to its rule's own runbook; email and Slack carry the link, resolutions too", async () => {
  const h = await harness(dynamo, {
    nodes: 6,
    rules: {
      'node-not-ready': { for: '0', resolveAfter: '0' },
      'node-pressure': { for: '0', resolveAfter: '0', runbookUrl: 'https://wiki.example.com/oncall/disk' },
    },
    runbookBaseUrl: 'https://wiki.example.com/vigil/',
  });
  h.steady.setCondition(1, { type: 'Ready', status: 'False', reason: 'KubeletNotReady', since: h.nextTime });
  h.steady.setCondition(4, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', since: h.nextTime });
  await h.tick(1);
  h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
  await h.tick(1);
  const [fired, resolved] = h.publisher.messages;
  const links = Object.fromEntries(fired.notification.changes.map((c) => [c.rule, c.runbookUrl]));
  expect(links).toEqual({
    'node-not-ready': 'https://wiki.example.com/vigil/node-not-ready',
    'node-pressure': 'https://wiki.example.com/oncall/disk',
  });
  expect(fired.text).toContain('  Runbook:    https://wiki.example.com/vigil/node-not-ready');
  expect(fired.text).toContain('  Runbook:    https://wiki.example.com/oncall/disk');
  expect(notificationSchema.parse(fired.notification)).toEqual(fired.notification);
  expect(JSON.stringify(formatSlack(fired.notification).blocks)).toContain('<https://wiki.example.com/vigil/node-not-ready|Runbook>');
  expect(resolved.notification.changes.map((c) => `${c.kind}:${c.runbookUrl}`)).toEqual([
    'resolved:https://wiki.example.com/vigil/node-not-ready',
  ]);
  expect(resolved.text).toContain('https://wiki.example.com/vigil/node-not-ready');
});

test('without a base URL or a rule URL, no link and no empty line', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { for: '0' } } });
  h.steady.setCondition(1, { type: 'Ready', status: 'False', reason: 'KubeletNotReady', since: h.nextTime });
  await h.tick(1);
  const [m] = h.publisher.messages;
  expect(m.notification.changes[0].runbookUrl).toBeUndefined();
  expect(m.text).not.toContain('Runbook');
});
