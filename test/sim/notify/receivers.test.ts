import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../../common/log';
import { composeMessage } from '../../../lambdas/message/publisher';
import { ManualClock } from '../../../model/time';
import { OutboxPublisher, readOutbox } from '../../../sim/notify/outbox';
import { pagerDutyProblems } from '../../../sim/notify/pagerduty-server';
import { RECEIVER_KINDS, receiverKindsOf, startLoopbackReceivers } from '../../../sim/notify/receivers';
import { blockKitProblems } from '../../../sim/notify/slack-server';
import { teamsProblems } from '../../../sim/notify/teams-server';
import { AT, domino, resolvedNode } from '../../lambdas/notify/fixtures';

test('local mode: each message goes through every receiver function to its loopback server, and the outbox records what each received', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-receivers-'));
  const file = path.join(dir, 'outbox.jsonl');
  const receivers = await startLoopbackReceivers(RECEIVER_KINDS, silentLogger, new ManualClock(AT));
  try {
    const outbox = new OutboxPublisher({ file, now: () => AT, receivers });
    await outbox.publish(composeMessage('prod-eu-1', AT, [domino, resolvedNode], { firing: 1, critical: 1, muted: 0 }));
    const [entry] = readOutbox(file);
    const r = entry.received ?? {};
    expect(Object.keys(r).sort()).toEqual(['pagerduty', 'slack', 'teams', 'webhook']);
    for (const kind of RECEIVER_KINDS) expect(r[kind]?.error).toBeUndefined();
    expect(r.slack?.posts).toHaveLength(1);
    expect(blockKitProblems(r.slack?.posts[0])).toEqual([]);
    expect(r.teams?.posts).toHaveLength(1);
    expect(teamsProblems(r.teams?.posts[0])).toEqual([]);
    // PagerDuty: one event per alert, the trigger and the resolve.
    expect(r.pagerduty?.posts.map((e) => (e as { event_action: string }).event_action)).toEqual(['trigger', 'resolve']);
    expect(r.pagerduty?.posts.flatMap(pagerDutyProblems)).toEqual([]);
    expect(r.webhook?.posts[0]).toMatchObject({ version: '4', alerts: [{ status: 'firing' }, { status: 'resolved' }] });
  } finally {
    await receivers.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('vigil local --receivers: an unknown kind is named with the known ones', () => {
  expect(receiverKindsOf('slack, pagerduty,slack')).toEqual(['slack', 'pagerduty']);
  expect(() => receiverKindsOf('slack,opsgenie')).toThrow('unknown receiver "opsgenie": expected some of slack, teams, pagerduty, webhook');
});
