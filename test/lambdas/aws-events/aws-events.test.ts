/**
 * The AWS events function on dynalite: EventBridge events in AWS's shapes are filed on the timeline of the
 * cluster whose instance or Auto Scaling group they name, found from the collector's newest cloud rollup.
 */
import { createLogger } from '../../../common/log';
import { membersOf, routeEvents } from '../../../model/aws-event';
import { createAwsEventsHandler } from '../../../lambdas/aws-events/aws-events';
import { parseAwsEvent } from '../../../lambdas/aws-events/parse';
import { NO_CLUSTER } from '../../../lambdas/store/keys';
import type { VigilStore } from '../../../lambdas/store/store';
import type { CloudRollup, Host } from '../../../model/domain';
import { MINUTE_MS } from '../../../model/time';
import { eventBridge, type EventOrigin } from '../../../sim/aws/eventbridge';
import { useTestStore } from '../../support/store';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 30);
const origin = (id: string, time = NOW - 5_000): EventOrigin => ({ id, time, account: '123456789012', region: 'eu-west-1' });
const host = (instanceId: string, autoScalingGroup?: string): Host => ({
  instanceId,
  instanceType: 'm6i.large',
  zone: 'eu-west-1a',
  capacityType: 'spot',
  state: 'running',
  launchTime: NOW - 86_400_000,
  ...(autoScalingGroup ? { autoScalingGroup } : {}),
});
const rollup = (minute: number, hosts: Host[], groups: string[] = []): CloudRollup => ({
  minute,
  collectedAt: minute + 20_000,
  nodeGroups: [],
  autoScalingGroups: groups.map((name) => ({
    name,
    min: 1,
    max: 5,
    desired: 2,
    inService: 2,
    pending: 0,
    terminating: 0,
    standby: 0,
    instances: [],
  })),
  scalingActivities: [],
  hosts,
  failures: [],
});

const t = useTestStore({ now: NOW, each: true });
let store: VigilStore;
const logs: string[] = [];

beforeEach(async () => {
  store = t.store();
  logs.length = 0;
  await store.putCloudRollup('prod', rollup(NOW - 60_000 - 30_000, [host('i-0a00000000000001a', 'eks-general')], ['eks-general']));
  await store.putCloudRollup('staging', rollup(NOW - 30_000, [host('i-0b00000000000001b')]));
});

const handler = () =>
  createAwsEventsHandler({
    store,
    clusters: [{ name: 'prod' }, { name: 'staging' }],
    collectorEveryMinutes: 1,
    clock: t.clock,
    logger: createLogger({ service: 'test', sink: (l) => logs.push(l) }),
  });

describe('the AWS events function', () => {
  test('a Spot interruption warning is filed on the timeline of the cluster that has the instance, and only that one', async () => {
    const r = await handler()(eventBridge.spotInterruption(origin('e-1'), 'i-0b00000000000001b'));
    expect(r).toEqual({ stored: { staging: 1 }, unmatched: 0 });
    expect(await store.awsEvents('staging', NOW - 10 * MINUTE_MS)).toEqual([
      { kind: 'spot-interruption', id: 'e-1', time: NOW - 5_000, instanceId: 'i-0b00000000000001b', action: 'terminate' },
    ]);
    expect(await store.awsEvents('prod', NOW - 10 * MINUTE_MS)).toEqual([]);
  });

  test('a failed launch with no instance is routed by its Auto Scaling group', async () => {
    const e = eventBridge.scaling(origin('e-2'), {
      what: 'Launch',
      successful: false,
      group: 'eks-general',
      activityId: 'a-1',
      cause: 'At 2026-11-23T11:59:58Z an instance was started in response to a difference between desired and actual capacity',
      statusMessage: 'We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (eu-west-1a).',
      zone: 'eu-west-1a',
      start: NOW - 10_000,
    });
    await handler()(e);
    const [stored] = await store.awsEvents('prod', NOW - MINUTE_MS);
    expect(stored).toMatchObject({
      kind: 'asg-launch',
      successful: false,
      autoScalingGroup: 'eks-general',
      activityId: 'a-1',
      statusMessage: expect.stringMatching(/^We currently do not have sufficient/),
    });
    expect(stored).not.toHaveProperty('instanceId');
  });

  test("events about instances no cluster lists yet are counted and kept unrouted, on no cluster's timeline (the collector adopts them: new-instance.test.ts)", async () => {
    const r = await handler()(eventBridge.stateChange(origin('e-3'), 'i-0ffffffffffffffff', 'stopping'));
    expect(r).toEqual({ stored: {}, unmatched: 1 });
    expect(logs.some((l) => /"unmatched":1/.test(l))).toBe(true);
    expect(await store.awsEvents(NO_CLUSTER, NOW - MINUTE_MS)).toEqual([
      expect.objectContaining({ kind: 'instance-state', instanceId: 'i-0ffffffffffffffff', state: 'stopping' }),
    ]);
    expect([...(await store.awsEvents('prod', NOW - MINUTE_MS)), ...(await store.awsEvents('staging', NOW - MINUTE_MS))]).toEqual([]);
  });

  test('a delivery twice is one item (EventBridge delivers at least once)', async () => {
    const e = eventBridge.rebalanceRecommendation(origin('e-4'), 'i-0a00000000000001a');
    await handler()(e);
    await handler()(e);
    expect(await store.awsEvents('prod', NOW - MINUTE_MS)).toHaveLength(1);
  });

  test('an AWS Health scheduled change stays on the recent timeline until its window, and its update replaces it', async () => {
    const h = {
      eventArn: 'arn:aws:health:eu-west-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/abc',
      eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
      instanceIds: ['i-0a00000000000001a'],
      start: NOW + 7 * 86_400_000,
      description: 'EC2 has detected degradation of the underlying hardware hosting your instance.',
    };
    await handler()(eventBridge.healthScheduled(origin('h-1', NOW - 86_400_000), { ...h, status: 'upcoming' }));
    await handler()(eventBridge.healthScheduled(origin('h-2'), { ...h, status: 'closed' }));
    const stored = await store.awsEvents('prod', NOW - MINUTE_MS);
    expect(stored).toEqual([
      expect.objectContaining({
        kind: 'scheduled-event',
        status: 'closed',
        instanceId: 'i-0a00000000000001a',
        startTime: Math.floor(h.start / 1000) * 1000,
      }),
    ]);
  });

  test('a malformed event is refused with the field named, and not retried', async () => {
    const bad = { ...eventBridge.spotInterruption(origin('e-5'), 'i-0a00000000000001a'), detail: { 'instance-id': 'not-an-instance' } };
    await expect(handler()(bad)).resolves.toEqual({ stored: {}, unmatched: 0 });
    expect(logs.join('\n')).toMatch(/instance-id/);
  });

  test('a write that fails is thrown, so Lambda retries it and then the failure queue keeps it', async () => {
    const failing = {
      newestCloudRollup: store.newestCloudRollup.bind(store),
      putAwsEvents: async () => ({ written: 0, skipped: 0, failed: [{ key: 'k', reason: 'ProvisionedThroughputExceededException' }] }),
    };
    const h = createAwsEventsHandler({
      store: failing,
      clusters: [{ name: 'prod' }],
      collectorEveryMinutes: 1,
      clock: t.clock,
      logger: createLogger({ service: 'test', sink: () => undefined }),
    });
    await expect(h(eventBridge.spotInterruption(origin('e-6'), 'i-0a00000000000001a'))).rejects.toThrow(
      /1 AWS events not stored: prod: k: ProvisionedThroughput/,
    );
  });
});

describe('parseAwsEvent', () => {
  test("the documentation's example of an unsuccessful launch", () => {
    // Shape of the Amazon EC2 Auto Scaling event reference's example, "Unsuccessful scaling events".
    const doc = {
      version: '0',
      id: '12345678-1234-1234-1234-123456789012',
      'detail-type': 'EC2 Instance Launch Unsuccessful',
      source: 'aws.autoscaling',
      account: '123456789012',
      time: '2026-11-23T12:00:00Z',
      region: 'us-west-2',
      resources: ['auto-scaling-group-arn', 'instance-arn'],
      detail: {
        StatusCode: 'Failed',
        AutoScalingGroupName: 'my-auto-scaling-group',
        ActivityId: '87654321-4321-4321-4321-210987654321',
        Details: { 'Availability Zone': 'us-west-2b', 'Subnet ID': 'subnet-12345678' },
        RequestId: '12345678-1234-1234-1234-123456789012',
        StatusMessage: 'message-text',
        EndTime: '2026-11-23T12:00:00Z',
        EC2InstanceId: 'i-1234567890abcdef0',
        StartTime: '2026-11-23T11:59:00Z',
        Cause: 'description-text',
      },
    };
    expect(parseAwsEvent(doc)).toEqual([
      {
        kind: 'asg-launch',
        id: doc.id,
        time: Date.parse(doc.time),
        autoScalingGroup: 'my-auto-scaling-group',
        successful: false,
        instanceId: 'i-1234567890abcdef0',
        activityId: '87654321-4321-4321-4321-210987654321',
        statusMessage: 'message-text',
        cause: 'description-text',
      },
    ]);
  });

  test('a Health event names every affected instance; a detail type Vigil does not take is refused by name', () => {
    const e = eventBridge.healthScheduled(origin('h'), {
      eventArn: 'arn',
      eventTypeCode: 'AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED',
      status: 'open',
      instanceIds: ['i-0a00000000000001a', 'i-0b00000000000001b'],
      start: NOW,
      end: NOW + 3_600_000,
      description: 'reboot',
    });
    expect(parseAwsEvent(e).map((x) => x.instanceId)).toEqual(['i-0a00000000000001a', 'i-0b00000000000001b']);
    expect(() => parseAwsEvent({ ...e, 'detail-type': 'AWS API Call via CloudTrail' })).toThrow(
      /"AWS API Call via CloudTrail" h: not an event Vigil takes/,
    );
  });

  test('routing: by instance, else by group; unmatched when neither is known', () => {
    const members = [membersOf('prod', rollup(NOW, [host('i-0a00000000000001a', 'g')])), membersOf('none', undefined)];
    const events = parseAwsEvent(eventBridge.stateChange(origin('x'), 'i-0c00000000000001c', 'running'));
    expect(routeEvents(events, members).unmatched).toHaveLength(1);
  });
});
