import { hostMinutesToRead } from '../../../../lambdas/evaluator/evaluator';
import { keepEc2Checks } from '../../../../lambdas/evaluator/memory';
import { RULES_BY_ID } from '../../../../lambdas/evaluator/rules/catalog';
import { useTestStore } from '../../../support/store';
import { expectBlipSilentAndForHonoured, harness, T0, type Harness } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const t = T0;

describe('host-status-check-failed', () => {
  test('instance check failed: warning naming the node; system check: critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const [a, b] = [s.report(1).node.instanceId!, s.report(2).node.instanceId!];
    s.hostMetrics.set(a, { statusCheckFailed: 1, statusCheckFailedInstance: 1 });
    s.hostMetrics.set(b, { statusCheckFailed: 1, statusCheckFailedSystem: 1 });
    const found = run('host-status-check-failed', s.context(t));
    expect(found.map((f) => `${f.subject.instanceId === a ? 'a' : 'b'}:${f.severity}`).sort()).toEqual(['a:warning', 'b:critical']);
    const fa = found.find((f) => f.subject.instanceId === a)!;
    expect(fa).toMatchObject({
      subject: { autoScalingGroup: expect.stringMatching(/^eks-/), nodeGroup: 'general' },
      nodes: [s.nodeNames[1]],
      evidence: { node: s.nodeNames[1], statusCheckFailedInstance: 1 },
    });
  });

  test('host metrics not read this evaluation, or not yet arrived: held, not resolved; a terminated instance resolves', () => {
    const s = new SteadyCluster({ nodes: 3 });
    const rule = RULES_BY_ID.get('host-status-check-failed')!;
    const id = s.report(0).node.instanceId!;
    const ctx = s.context(t);
    expect(rule.blind!({ ...ctx, hosts: undefined }, { cluster: s.cluster, instanceId: id })).toBe(true);
    expect(rule.blind!({ ...ctx, hosts: new Map() }, { cluster: s.cluster, instanceId: id })).toBe(true);
    expect(rule.blind!({ ...ctx, hosts: new Map() }, { cluster: s.cluster, instanceId: 'i-0fffffffffffffff0' })).toBe(false);
    expect(rule.blind!(ctx, { cluster: s.cluster, instanceId: id })).toBe(false);
  });
});

test('host-cpu-high: above 90%, silent below', () => {
  const s = new SteadyCluster({ nodes: 6 });
  expect(run('host-cpu-high', s.context(t))).toEqual([]);
  s.hostMetrics.set(s.report(3).node.instanceId!, { cpuPct: 97.25 });
  const [f] = run('host-cpu-high', s.context(t));
  expect(f).toMatchObject({ severity: 'warning', evidence: { cpuPct: 97.3, node: s.nodeNames[3], instanceType: 'm6i.xlarge' } });
});

describe('through the store', () => {
  const { dynamo } = useTestStore();

  test('host-cpu-high: a busy minute stays silent; 30 busy minutes fire, counted from when the figures arrive', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const id = h.steady.report(3).node.instanceId!;
    await expectBlipSilentAndForHonoured(h, 'host-cpu-high', {
      forMinutes: 30,
      // A minute's host part is read the next minute (the evaluator reads from the minute before now).
      lagMinutes: 1,
      set: (broken) => (broken ? h.steady.hostMetrics.set(id, { cpuPct: 97 }) : h.steady.hostMetrics.delete(id)),
    });
  });

  test('host-cpu-high: a newest period holding only status checks (CPU not reported yet) neither hides the CPU nor restarts the `for`', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const id = h.steady.report(3).node.instanceId!;
    await h.tick(2);
    const runs = [];
    // Basic-monitoring CPU arrives after the status checks: every third minute's part has no CPU, and twice
    // in a row neither part read has it (unknown, not healthy).
    for (let m = 0; m < 40; m++) {
      h.steady.hostMetrics.set(id, m % 3 === 2 || m === 10 || m === 11 ? { cpuPct: undefined } : { cpuPct: 97 });
      runs.push(...(await h.tick(1)));
    }
    expect(h.publisher.of('host-cpu-high').map((c) => c.kind)).toEqual(['firing']);
    expect(runs.findIndex((r) => r.changes.some((c) => c.rule === 'host-cpu-high'))).toBe(31);
  });

  describe('one story per instance: its node not Ready and its EC2 status checks', () => {
    const unreachable = (at: number) =>
      ({
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        since: at,
      }) as const;
    const ready = (at: number) => ({ type: 'Ready', status: 'True', reason: 'KubeletReady', since: at }) as const;
    const firstMessages = (h: Harness) => h.publisher.changes.filter((c) => c.kind === 'firing').map((c) => c.rule);

    test("the node told first: its instance's failed instance check is told in it, a system check as one update, and the story ends once", async () => {
      const h = await harness(dynamo, { nodes: 6 });
      const id = h.steady.report(2).node.instanceId!;
      await h.tick(2);
      h.steady.setCondition(2, unreachable(h.nextTime));
      await h.tick(8);
      expect(firstMessages(h)).toEqual(['node-not-ready']);
      h.steady.hostMetrics.set(id, { statusCheckFailed: 1, statusCheckFailedInstance: 1 });
      await h.tick(6);
      h.steady.hostMetrics.set(id, { statusCheckFailed: 1, statusCheckFailedInstance: 1, statusCheckFailedSystem: 1 });
      await h.tick(6);
      h.steady.hostMetrics.delete(id);
      h.steady.setCondition(2, ready(h.nextTime));
      await h.tick(12);
      expect(h.publisher.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual([
        'node-not-ready:firing',
        'host-status-check-failed:updated',
        'node-not-ready:resolved',
      ]);
      expect(h.publisher.of('host-status-check-failed')[0]).toMatchObject({ severity: 'critical', subject: { instanceId: id } });
    });

    test('the instance told first: its node going not Ready is an update to that story, not a second first message', async () => {
      const h = await harness(dynamo, { nodes: 6 });
      const id = h.steady.report(3).node.instanceId!;
      await h.tick(2);
      h.steady.hostMetrics.set(id, { statusCheckFailed: 1, statusCheckFailedInstance: 1 });
      await h.tick(6);
      expect(firstMessages(h)).toEqual(['host-status-check-failed']);
      h.steady.setCondition(3, unreachable(h.nextTime));
      await h.tick(8);
      expect(h.publisher.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual(['host-status-check-failed:firing', 'node-not-ready:updated']);
    });

    test('a system check failure (critical) told first: its node going not Ready joins that story, and is not told anew when the check passes again', async () => {
      const h = await harness(dynamo, { nodes: 6 });
      const id = h.steady.report(3).node.instanceId!;
      await h.tick(2);
      h.steady.hostMetrics.set(id, { statusCheckFailed: 1, statusCheckFailedSystem: 1 });
      await h.tick(5);
      h.steady.setCondition(3, unreachable(h.nextTime));
      await h.tick(8);
      h.steady.hostMetrics.delete(id);
      await h.tick(8);
      expect(firstMessages(h)).toEqual(['host-status-check-failed']);
      expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['updated']);
    });

    test("host metrics read once per 5-minute period: the node's message names its failed check whatever the minute it fires in", async () => {
      // Only the node's alert, to see its sentence about EC2 alone.
      const h = await harness(dynamo, { nodes: 6, hostPeriodMinutes: 5, rules: { 'host-status-check-failed': { enabled: false } } });
      h.steady.hostMetrics.set(h.steady.report(2).node.instanceId!, { statusCheckFailed: 1, statusCheckFailedInstance: 1 });
      await h.tick(3);
      h.steady.setCondition(2, unreachable(h.nextTime));
      // Hosts are read at 12:00 and 12:05 (the 12:00 part: failing, the node not Ready), then 12:10;
      // node-not-ready fires at 12:08, between two reads.
      const runs = await h.tick(9);
      expect(runs.findIndex((r) => r.changes.length > 0)).toBe(5);
      expect(firstMessages(h)).toEqual(['node-not-ready']);
      expect(h.publisher.of('node-not-ready')[0].summary).toMatch(/; EC2 instance check failed$/);
      expect(h.publisher.of('node-not-ready')[0].evidence).toMatchObject({ ec2StatusChecks: 'instance check failed' });
    });

    test("both starting to fire in the same evaluation: one first message, the node's, naming the failed check; another node's instance is its own story", async () => {
      // Both `for`s end in the same minute (host figures are read a minute late).
      const h = await harness(dynamo, { nodes: 6, rules: { 'host-status-check-failed': { for: '4m' } } });
      const id = h.steady.report(1).node.instanceId!;
      await h.tick(2);
      h.steady.setCondition(1, unreachable(h.nextTime));
      h.steady.hostMetrics.set(id, { statusCheckFailed: 1, statusCheckFailedInstance: 1 });
      // Another instance's check fails too: not this node's story.
      h.steady.hostMetrics.set(h.steady.report(4).node.instanceId!, { statusCheckFailed: 1, statusCheckFailedInstance: 1 });
      const runs = await h.tick(9);
      expect(runs.filter((r) => r.changes.length > 0)).toHaveLength(1);
      expect(firstMessages(h).sort()).toEqual(['host-status-check-failed', 'node-not-ready']);
      expect(h.publisher.of('host-status-check-failed')[0].subject.instanceId).toBe(h.steady.report(4).node.instanceId);
      expect(h.publisher.of('node-not-ready')[0].summary).toMatch(/EC2 instance check failed/);
    });
  });

  test("the evaluator reads each instance's newest host part by key, minutes after it was written", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const id = h.steady.report(2).node.instanceId!;
    await h.tick(3);
    h.steady.hostMetrics.set(id, { statusCheckFailed: 1, statusCheckFailedSystem: 1 });
    // The failure is in the host part of this minute; the evaluator reads from the minute before its run.
    const runs = await h.tick(6);
    const [f] = h.publisher.of('host-status-check-failed');
    expect(f).toMatchObject({
      kind: 'firing',
      severity: 'critical',
      subject: { instanceId: id },
      evidence: { node: h.steady.nodeNames[2] },
    });
    expect(runs.findIndex((r) => r.changes.length > 0)).toBe(3);
  });
});

test('host parts read: from the period of the last minute (status checks) back to two periods before the current one (CPU), aligned to the period', () => {
  const now = Date.UTC(2026, 10, 23, 12, 7, 30);
  expect(hostMinutesToRead(now, 1).map((m) => new Date(m).toISOString().slice(11, 16))).toEqual(['12:06', '12:05', '12:04', '12:03']);
  expect(hostMinutesToRead(now, 5).map((m) => new Date(m).toISOString().slice(11, 16))).toEqual(['12:05', '12:00', '11:55', '11:50']);
});

test('the last EC2 status checks kept per node not Ready: a new reading replaces it, no reading keeps it, Ready again drops it', () => {
  const s = new SteadyCluster({ nodes: 3 });
  const hosts = new Map(s.hostMinutes(t).map((h) => [h.host.instanceId, h]));
  const [a, b] = [s.report(0).node, s.report(1).node];
  const kept = keepEc2Checks(
    { [a.name]: 'system check failed', [b.name]: 'instance check failed', gone: 'pass' },
    [
      { name: a.name, instanceId: a.instanceId },
      { name: b.name, instanceId: 'i-0notread000000000' },
    ],
    hosts,
  );
  expect(kept).toEqual({ [a.name]: 'pass', [b.name]: 'instance check failed' });
});
