/**
 * Silences and maintenance windows on the real evaluator and a dynalite store: a silenced alert still
 * moves through its states and is stored as silenced, no message is sent while it lasts, and what still
 * fires when it ends is told once.
 */
import { ALERT_KIND, type AlertDoc } from '../../../lambdas/evaluator/state';
import { addSilence, expireSilence } from '../../../lambdas/store/silences';
import { useTestStore } from '../../support/store';
import { MINUTE_MS } from '../../../model/time';
import { harness, type Harness } from './harness';

const { dynamo } = useTestStore();

const notReady = (since: number) => ({
  type: 'Ready',
  status: 'False' as const,
  reason: 'KubeletNotReady',
  message: 'PLEG is not healthy',
  since,
});
const ready = (since: number) => ({ type: 'Ready', status: 'True' as const, reason: 'KubeletReady', since });
const RULES = { 'node-not-ready': { for: '0', resolveAfter: '0' } };

async function silence(h: Harness, matchers: Record<string, string>, minutes: number) {
  return addSilence(h.store, h.steady.cluster, {
    matchers,
    startsAt: h.nextTime,
    endsAt: h.nextTime + minutes * MINUTE_MS,
    author: 'ana',
    comment: 'replacing the node',
    createdAt: h.nextTime,
  });
}

async function alertOf(h: Harness, rule: string): Promise<AlertDoc | undefined> {
  return (await h.store.listDocuments<AlertDoc>(h.steady.cluster, ALERT_KIND)).map((d) => d.value).find((a) => a.rule === rule);
}

test('an alert that fires under a silence is stored as firing and silenced, and told once when the silence ends', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES });
  await h.tick(1);
  await silence(h, { node: h.steady.nodeNames[1], rule: 'node-*' }, 10);
  h.steady.setCondition(1, notReady(h.nextTime));
  const during = await h.tick(10);
  expect(h.publisher.messages).toEqual([]);
  expect(await alertOf(h, 'node-not-ready')).toMatchObject({ phase: 'firing', silencedBy: expect.any(String) });
  expect(during[during.length - 1]).toMatchObject({
    firing: 0,
    muted: 1,
    silenced: [{ rule: 'node-not-ready', subject: { node: h.steady.nodeNames[1] }, silence: expect.any(String) }],
  });
  await h.tick(5);
  expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing']);
  expect((await alertOf(h, 'node-not-ready'))?.silencedBy).toBeUndefined();
});

test('an alert already told, still firing when its silence ends, is told once more; one that resolved meanwhile is not', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES });
  for (const n of [1, 2]) h.steady.setCondition(n, notReady(h.nextTime));
  await h.tick(1);
  expect(h.publisher.of('node-not-ready')).toHaveLength(2);
  await silence(h, { rule: 'node-not-ready' }, 10);
  await h.tick(3);
  h.steady.setCondition(2, ready(h.nextTime)); // mends during the silence: its resolution is not sent
  await h.tick(12);
  const after = h.publisher.of('node-not-ready').slice(2);
  expect(after.map((c) => `${c.kind}:${c.subject.node}`)).toEqual([`repeat:${h.steady.nodeNames[1]}`]);
});

test('a silence that matches something else, or has not started, silences nothing; an expired one stops at once', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES });
  await h.tick(1);
  await silence(h, { node: `${h.steady.nodeNames[2]}*` }, 60);
  await addSilence(h.store, h.steady.cluster, {
    matchers: {},
    startsAt: h.nextTime + 30 * MINUTE_MS,
    endsAt: h.nextTime + 90 * MINUTE_MS,
    author: 'ana',
    comment: 'later',
    createdAt: h.nextTime,
  });
  const all = await silence(h, { namespace: 'kube-system' }, 60); // node alerts have no namespace: no match
  h.steady.setCondition(1, notReady(h.nextTime));
  await h.tick(1);
  expect(h.publisher.of('node-not-ready')).toHaveLength(1);

  const everything = await silence(h, { cluster: h.steady.cluster }, 60);
  h.steady.setCondition(3, notReady(h.nextTime));
  await h.tick(2);
  expect(h.publisher.of('node-not-ready')).toHaveLength(1);
  await expireSilence(h.store, h.steady.cluster, everything.id, h.nextTime);
  const [ended] = await h.tick(1);
  // Two nodes down is critical: the first node's escalation, held by the silence, is told with the second.
  expect(ended.changes.map((c) => `${c.kind}:${c.severity}:${c.subject.node}`)).toEqual([
    `escalated:critical:${h.steady.nodeNames[1]}`,
    `firing:critical:${h.steady.nodeNames[3]}`,
  ]);
  expect(h.publisher.messages).toHaveLength(2);
  expect(all.id).not.toBe(everything.id);
});

test('a maintenance window silences in its own time zone, and what still fires is told when it closes', async () => {
  // T0 is Monday 12:00 UTC, 13:00 in Paris (CET): a window 13:00–13:10 Paris time is open for the first ten minutes.
  const h = await harness(dynamo, {
    nodes: 6,
    rules: RULES,
    maintenanceWindows: [
      { name: 'patching', days: ['Mon'], start: '13:00', end: '13:10', timeZone: 'Europe/Paris', match: { rule: 'node-*' } },
    ],
  });
  h.steady.setCondition(1, notReady(h.nextTime));
  const runs = await h.tick(12);
  expect(await alertOf(h, 'node-not-ready')).toMatchObject({ phase: 'firing' });
  expect(runs.map((r) => r.changes.map((c) => c.kind).join())).toEqual(['', '', '', '', '', '', '', '', '', '', 'firing', '']);
});
