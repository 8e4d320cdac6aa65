/**
 * The evaluator with the cluster's AWS events: filed by the real AWS events function on dynalite, read by the
 * evaluator once per run, and told as one story.
 */
import { silentLogger } from '../../../common/log';
import { createAwsEventsHandler } from '../../../lambdas/aws-events/aws-events';
import { noticesByInstance, openScheduledEvents } from '../../../lambdas/evaluator/aws-events';
import { resolveRules } from '../../../lambdas/evaluator/config';
import { runRules } from '../../../lambdas/evaluator/run-rules';
import { useTestStore } from '../../support/store';
import type { AwsEvent } from '../../../model/aws-event';
import { MINUTE_MS } from '../../../model/time';
import { eventBridge } from '../../../sim/aws/eventbridge';
import { harness, T0, type Harness } from './harness';
import { SteadyCluster } from '../../../sim/steady-cluster';

const { dynamo } = useTestStore();

let ids = 0;
/** Files an EventBridge event through the real AWS events function, at the harness's current time. */
async function send(h: Harness, build: (o: { id: string; time: number; account: string; region: string }) => unknown): Promise<void> {
  const fn = createAwsEventsHandler({
    store: h.store,
    clusters: [{ name: h.steady.cluster }],
    collectorEveryMinutes: 1,
    clock: h.t.clock,
    logger: silentLogger,
  });
  const r = await fn(build({ id: `ev-${++ids}`, time: h.t.clock.now() - 2_000, account: '123456789012', region: 'eu-west-1' }));
  expect(r.unmatched).toBe(0);
}

const RETIREMENT = 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED';
const health =
  (instanceId: string, status: 'upcoming' | 'open' | 'closed') => (o: { id: string; time: number; account: string; region: string }) =>
    eventBridge.healthScheduled(o, {
      eventArn: `arn:aws:health:eu-west-1::event/EC2/${RETIREMENT}/${RETIREMENT}_abc123`,
      eventTypeCode: RETIREMENT,
      status,
      instanceIds: [instanceId],
      start: T0 + 14 * 86_400_000,
      description: 'EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance.',
    });

describe('instance-scheduled-event', () => {
  test('a scheduled retirement: one warning naming the event, the node and the start; resolved when the instance is replaced', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    const node = h.steady.nodeNames[1];
    const instanceId = h.steady.report(1).node.instanceId!;
    await send(h, health(instanceId, 'upcoming'));
    await h.tick(30);
    const told = h.publisher.of('instance-scheduled-event');
    expect(told.map((c) => c.kind)).toEqual(['firing']);
    expect(told[0]).toMatchObject({
      severity: 'warning',
      subject: { node, instanceId, detail: RETIREMENT },
      evidence: { eventType: RETIREMENT, start: '2026-12-07 12:00 UTC' },
    });
    expect(told[0].summary).toBe(`AWS scheduled instance retirement of node ${node} (${instanceId}) from 2026-12-07 12:00 UTC`);
    expect(told[0].runbook).toMatch(/Drain the node ahead of the start time/);
    // Drained and replaced: the instance is terminated.
    const hosts = h.steady.hosts;
    const i = hosts.findIndex((x) => x.instanceId === instanceId);
    hosts[i] = { ...hosts[i], state: 'terminated' };
    await h.tick(10);
    expect(h.publisher.of('instance-scheduled-event').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });

  test('an event AWS closes (cancelled or completed) resolves its alert', async () => {
    const h = await harness(dynamo, { nodes: 4 });
    await h.tick(2);
    const instanceId = h.steady.report(0).node.instanceId!;
    await send(h, health(instanceId, 'open'));
    await h.tick(3);
    await send(h, health(instanceId, 'closed'));
    await h.tick(10);
    expect(h.publisher.of('instance-scheduled-event').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });
});

describe('asg-activity-failed from Auto Scaling events', () => {
  test('a failed launch is told on the first run after its event, and the activity the collector reads later adds no message', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    const g = h.steady.groups[0].name;
    const statusMessage = 'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1a).';
    await send(h, (o) =>
      eventBridge.scaling(o, {
        what: 'Launch',
        successful: false,
        group: g,
        activityId: 'act-1',
        cause:
          'At 2026-11-23T12:01:50Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 3 to 4.',
        statusMessage,
        zone: 'eu-west-1a',
        start: o.time - 5_000,
      }),
    );
    const [first] = await h.tick(1);
    expect(first.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual(['asg-activity-failed:firing']);
    expect(first.changes[0].summary).toMatch(/^Scaling activity Failed in .*: We currently do not have sufficient m6i.xlarge capacity/);
    // The collector's next read reports the same activity.
    h.steady.activities = [
      {
        activityId: 'act-1',
        autoScalingGroup: g,
        status: 'Failed',
        cause: 'At 2026-11-23T12:01:50Z …',
        description: 'Launching a new EC2 instance.  Status Reason: …',
        statusMessage,
        startTime: T0 + 2 * MINUTE_MS,
      },
    ];
    await h.tick(10);
    expect(h.publisher.of('asg-activity-failed').map((c) => c.kind)).toEqual(['firing']);
    expect(h.publisher.messages).toHaveLength(1);
  });
});

describe('capacity removals on the dashboards', () => {
  test('a Spot warning is not yet a removal (the removal model counts the node when it goes, removals.test.ts); nodes are counted per node group and NodePool', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    const instanceId = h.steady.report(3).node.instanceId!;
    await send(h, (o) => eventBridge.spotInterruption(o, instanceId));
    await h.tick(3);
    const docs = h.emitted.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs.filter((d) => d.Actor !== undefined)).toEqual([]);
    expect(docs.filter((d) => d.NodeGroup !== undefined && d.Nodes !== undefined).length).toBeGreaterThan(0);
  });
});

describe('Spot notices', () => {
  const spot = (instanceId: string, time: number): AwsEvent => ({
    kind: 'spot-interruption',
    id: `s-${time}`,
    time,
    instanceId,
    action: 'terminate',
  });
  const rebalance = (instanceId: string, time: number): AwsEvent => ({
    kind: 'rebalance-recommendation',
    id: `r-${time}`,
    time,
    instanceId,
  });

  test('noticesByInstance: an interruption outranks a recommendation; old notices are forgotten', () => {
    const now = T0 + 30 * MINUTE_MS;
    const events = [
      rebalance('i-a', now - 5 * MINUTE_MS),
      spot('i-a', now - 4 * MINUTE_MS),
      rebalance('i-a', now - MINUTE_MS),
      spot('i-b', now - 20 * MINUTE_MS),
      rebalance('i-c', now - 2 * MINUTE_MS),
    ];
    const n = noticesByInstance({ awsEvents: events, now });
    expect([...n.entries()]).toEqual([
      ['i-a', { kind: 'spot-interruption', time: now - 4 * MINUTE_MS, action: 'terminate' }],
      ['i-c', { kind: 'rebalance-recommendation', time: now - 2 * MINUTE_MS }],
    ]);
  });

  test("a rule's finding about a node whose instance got a Spot warning carries the warning as evidence", () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.setCondition(2, {
      type: 'MemoryPressure',
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
      since: T0,
    });
    const ctx = s.context(T0);
    const instanceId = s.report(2).node.instanceId!;
    const withWarning = { ...ctx, awsEvents: [spot(instanceId, ctx.now - 60_000)] };
    const evidenceOf = (c: typeof ctx) =>
      [...runRules(c, resolveRules(), new Set(), silentLogger).findings.values()].find((f) => f.rule === 'node-pressure')!.evidence;
    expect(evidenceOf(ctx).awsNotice).toBeUndefined();
    expect(evidenceOf(withWarning).awsNotice).toBe('Spot interruption warning at 2026-11-23 11:59 UTC (terminate)');
  });

  test('openScheduledEvents keeps the newest report of each event and instance', () => {
    const base = { kind: 'scheduled-event' as const, id: 'arn#i-a', instanceId: 'i-a', eventArn: 'arn', eventTypeCode: RETIREMENT };
    expect(
      openScheduledEvents({
        awsEvents: [
          { ...base, time: 2, status: 'closed' },
          { ...base, time: 1, status: 'open' },
        ],
      }),
    ).toEqual([]);
    expect(
      openScheduledEvents({
        awsEvents: [
          { ...base, time: 1, status: 'closed' },
          { ...base, time: 2, status: 'open' },
        ],
      }),
    ).toHaveLength(1);
  });
});
