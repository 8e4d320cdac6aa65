/**
 * Local mode's AWS events: the simulated account emits EventBridge events in AWS's shapes (parsed by the real
 * AWS events function's parser), and a scenario's scheduled retirement is told once and resolved when the
 * instance is replaced.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAwsEvent } from '../../lambdas/aws-events/parse';
import { runScenario } from '../../local/run';
import { loadScenario } from '../../local/scenario/load';
import { ManualClock, MINUTE_MS } from '../../model/time';
import { SimulatedAccount } from '../../sim/aws/account';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);

describe('the simulated account as an EventBridge source', () => {
  test('a Spot warning two minutes ahead, then the state changes and the group terminating and launching', () => {
    const clock = new ManualClock(T0);
    const account = new SimulatedAccount({ clock });
    account.addCluster({
      name: 'prod',
      nodeGroups: [{ name: 'spot', instanceType: 'm6i.large', capacityType: 'spot', size: { min: 1, max: 4, desired: 2 } }],
    });
    const [victim] = account.instancesOf('prod', 'spot');
    clock.set(T0 + MINUTE_MS);
    account.warnSpotInterruption(victim.instanceId);
    clock.set(T0 + 3 * MINUTE_MS);
    account.terminateInstance(victim.instanceId, 'spot-interruption');
    clock.set(T0 + 10 * MINUTE_MS);
    const events = account.eventsBetween(T0, clock.now()).flatMap((e) => parseAwsEvent(e));
    const story = events.map(
      (e) =>
        `${e.kind}${'state' in e ? `:${e.state}` : ''}${'successful' in e ? `:${e.successful}` : ''}${e.instanceId === victim.instanceId ? ':victim' : ''}`,
    );
    expect(story).toEqual([
      'spot-interruption:victim',
      'instance-state:shutting-down:victim',
      'instance-state:pending',
      'instance-state:terminated:victim',
      'instance-state:running',
      'asg-terminate:true:victim',
      'asg-launch:true',
    ]);
    expect(events[0].time).toBe(T0 + MINUTE_MS);
    // Nothing twice: the next window starts where this one ended.
    expect(account.eventsBetween(clock.now(), clock.now() + MINUTE_MS)).toEqual([]);
  });

  test('failed launches are Launch Unsuccessful events with the status message', () => {
    const clock = new ManualClock(T0);
    const account = new SimulatedAccount({ clock });
    account.addCluster({
      name: 'prod',
      nodeGroups: [{ name: 'general', instanceType: 'm6i.large', size: { min: 1, max: 4, desired: 2 } }],
    });
    account.failLaunches(
      'prod',
      'general',
      'We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (eu-west-1a).',
    );
    account.setDesired('prod', 'general', 3);
    clock.set(T0 + 2 * MINUTE_MS);
    const [e] = account.eventsBetween(T0, clock.now()).flatMap((x) => parseAwsEvent(x));
    expect(e).toMatchObject({
      kind: 'asg-launch',
      successful: false,
      statusMessage: expect.stringMatching(/sufficient m6i.large capacity/),
    });
    expect(e).not.toHaveProperty('instanceId');
  });
});

describe('scenario instance-retirement', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-retirement-'));
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  test('one warning when AWS Health announces the retirement; resolved once the instance is replaced', async () => {
    const r = await runScenario({ scenario: loadScenario('instance-retirement'), outDir, report: false });
    expect(r.unmet.map((u) => u.message)).toEqual([]);
    const changes = r.notifications.flatMap((n) => n.notification.changes.map((c) => `${c.rule}:${c.kind}`));
    expect(changes).toEqual(['instance-scheduled-event:firing', 'instance-scheduled-event:resolved']);
    // The report shows the cluster's AWS events on its timeline: the retirement announced, the instance going.
    const texts = (r.record.awsEvents ?? []).map((e) => e.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AWS Health AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED \(upcoming\)/),
        'instance shutting-down',
      ]),
    );
  }, 600_000);
});
