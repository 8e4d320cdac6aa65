import { useTestStore } from '../../../support/store';
import { MINUTE_MS } from '../../../../model/time';
import { expectBlipSilentAndForHonoured, harness, T0 } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const t = T0;
const pressure = (type: string, since = t) => ({
  type,
  status: 'True' as const,
  reason: `KubeletHas${type}`,
  message: 'kubelet has memory pressure',
  since,
});

describe('node-pressure', () => {
  test('a node under MemoryPressure: warning, with the available memory as evidence', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.setCondition(2, pressure('MemoryPressure'));
    const [f, ...rest] = run('node-pressure', s.context(t));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'warning',
      subject: { node: s.nodeNames[2], detail: 'MemoryPressure' },
      nodes: [s.nodeNames[2]],
      since: t,
    });
    expect(f.evidence.memoryAvailableMiB).toEqual(expect.any(Number));
  });

  test('two or more nodes under pressure: critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.setCondition(2, pressure('MemoryPressure'));
    s.setCondition(4, pressure('DiskPressure'));
    const found = run('node-pressure', s.context(t));
    expect(found.map((f) => f.severity)).toEqual(['critical', 'critical']);
    expect(found[1].evidence).toMatchObject({ condition: 'DiskPressure', nodesUnderPressure: 2, nodefsAvailablePct: 60 });
  });

  test('silent on a steady cluster, on cordoned nodes and on nodes the autoscaler removes', () => {
    const s = new SteadyCluster({ nodes: 6 });
    expect(run('node-pressure', s.context(t))).toEqual([]);
    s.setCondition(1, pressure('MemoryPressure'));
    s.setCondition(2, pressure('PIDPressure'));
    s.updateNode(1, (r) => ({ ...r, node: { ...r.node, unschedulable: true } }));
    s.updateNode(2, (r) => ({
      ...r,
      node: { ...r.node, taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1732363200', effect: 'NoSchedule' }] },
    }));
    expect(run('node-pressure', s.context(t))).toEqual([]);
  });
});

describe('node-condition', () => {
  test('node-problem-detector conditions True and EKS node-monitoring conditions False are abnormal', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.setCondition(0, {
      type: 'KernelDeadlock',
      status: 'True',
      reason: 'DockerHung',
      message: 'task docker:7 blocked for more than 120 seconds',
      since: t,
    });
    s.setCondition(4, { type: 'NetworkingReady', status: 'False', reason: 'IPAMDNotReady', message: 'IPAMD is not ready', since: t });
    s.setCondition(2, { type: 'StorageReady', status: 'True', reason: 'StorageIsReady', since: t });
    s.setCondition(3, { type: 'ReadonlyFilesystem', status: 'False', reason: 'FilesystemIsNotReadOnly', since: t });
    const found = run('node-condition', s.context(t));
    // One node in each group: 1 of the 5 "general" nodes is not more than 20%.
    expect(found.map((f) => `${f.subject.node === s.nodeNames[0] ? 0 : 1}:${f.subject.detail}:${f.severity}`)).toEqual([
      '0:KernelDeadlock:warning',
      '1:NetworkingReady:warning',
    ]);
    expect(run('node-condition', s.context(t), { ignore: ['KernelDeadlock', 'NetworkingReady'] })).toEqual([]);
  });

  test('more than 20% of a group affected: critical (EKS auto repair stops there)', () => {
    const s = new SteadyCluster({ nodes: 10 });
    const general = s.reports.filter((r) => r.node.nodeGroup === 'general').map((r) => r.node.name);
    for (const n of general.slice(0, 2))
      s.setCondition(n, { type: 'ContainerRuntimeReady', status: 'False', reason: 'PodStuckTerminating', since: t });
    expect(run('node-condition', s.context(t)).map((f) => f.severity)).toEqual(['critical', 'critical']);
  });
});

describe('node-not-ready', () => {
  test('unreachable (Ready Unknown) says so, with the instance', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.setCondition(1, {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      since: t - 60_000,
    });
    const [f] = run('node-not-ready', s.context(t));
    expect(f.summary).toMatch(/unreachable/);
    expect(f.evidence).toMatchObject({ ready: 'Unknown', reason: 'NodeStatusUnknown', instanceId: s.report(1).node.instanceId });
    expect(f.since).toBe(t - 60_000);
  });

  test('silent for cordoned nodes, nodes being deleted and instances terminating', () => {
    const s = new SteadyCluster({ nodes: 6 });
    for (const i of [1, 2, 3]) s.setCondition(i, { type: 'Ready', status: 'False', since: t });
    s.updateNode(1, (r) => ({ ...r, node: { ...r.node, unschedulable: true } }));
    s.updateNode(2, (r) => ({ ...r, node: { ...r.node, deleting: true } }));
    const id = s.report(3).node.instanceId!;
    s.groups = s.groups.map((g) => ({
      ...g,
      instances: g.instances.map((i) => (i.instanceId === id ? { ...i, lifecycleState: 'Terminating:Wait' } : i)),
    }));
    expect(run('node-not-ready', s.context(t))).toEqual([]);
  });
});

describe('node-readiness-flapping and node-scrape-failing on real windows', () => {
  const { dynamo } = useTestStore();

  test('three Ready transitions within 15 minutes fire; two do not', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    const toggle = async (status: 'True' | 'False') => {
      h.steady.setCondition(2, { type: 'Ready', status, since: h.nextTime });
      await h.tick(3);
    };
    await toggle('False');
    await toggle('True');
    expect(h.publisher.of('node-readiness-flapping')).toEqual([]);
    await toggle('False');
    await toggle('True');
    const [f] = h.publisher.of('node-readiness-flapping');
    expect(f).toMatchObject({ kind: 'firing', subject: { node: h.steady.nodeNames[2] } });
    expect(f.evidence.transitions).toBeGreaterThanOrEqual(3);
  });

  test('node-condition: a condition abnormal for a minute stays silent; for 5 minutes, it fires', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await expectBlipSilentAndForHonoured(h, 'node-condition', {
      forMinutes: 5,
      set: (broken) =>
        h.steady.setCondition(2, {
          type: 'KernelDeadlock',
          status: broken ? 'True' : 'False',
          reason: broken ? 'DockerHung' : 'KernelHasNoDeadlock',
          since: h.nextTime,
        }),
    });
  });

  test('cordoned nodes and nodes the autoscaler removes: readiness flapping, low memory, disk and PIDs stay silent', async () => {
    const h = await harness(dynamo, {
      nodes: 6,
      rules: { 'node-memory-low': { for: '0' }, 'node-disk-low': { for: '0' }, 'node-pids-low': { for: '0' } },
    });
    const GiB = 1024 ** 3;
    const cordoned = 1;
    const removed = 2;
    const watched = 3;
    h.steady.updateNode(cordoned, (r) => ({ ...r, node: { ...r.node, unschedulable: true } }));
    h.steady.updateNode(removed, (r) => ({
      ...r,
      node: { ...r.node, taints: [...r.node.taints, { key: 'ToBeDeletedByClusterAutoscaler', value: '1795435200', effect: 'NoSchedule' }] },
    }));
    for (const n of [cordoned, removed, watched]) {
      // Warnings, all of them: a critical alert about the node would mute the others (inhibition).
      h.steady.updateNode(n, (r) => ({
        ...r,
        stats: {
          ...r.stats,
          memoryAvailableBytes: 1.2 * GiB,
          fsAvailableBytes: 0.13 * 80 * GiB,
          imageFsAvailableBytes: 0.13 * 80 * GiB,
          processes: 30_000,
          maxPid: 32_768,
        },
      }));
    }
    await h.tick(2);
    for (const status of ['False', 'True', 'False', 'True', 'False', 'True'] as const) {
      for (const n of [cordoned, removed, watched]) h.steady.setCondition(n, { type: 'Ready', status, since: h.nextTime });
      await h.tick(2);
    }
    const about = (node: number) => h.publisher.changes.filter((c) => c.subject.node === h.steady.nodeNames[node]).map((c) => c.rule);
    // The same troubles on a node in service are reported: the quiet above is the rules skipping the node.
    expect(about(watched)).toEqual(
      expect.arrayContaining(['node-readiness-flapping', 'node-memory-low', 'node-disk-low', 'node-pids-low']),
    );
    expect(about(cordoned)).toEqual([]);
    expect(about(removed)).toEqual([]);
  });

  test('a Ready node the agent cannot scrape: warned after 5 minutes, its stats-based alerts held', async () => {
    // A warning: a critical alert about the node would mute the scrape warning (inhibition).
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-memory-low': { for: '0' } } });
    h.steady.updateNode(3, (r) => ({ ...r, stats: { ...r.stats, memoryAvailableBytes: 1200 * 1024 * 1024 } }));
    await h.tick(1);
    expect(h.publisher.of('node-memory-low').map((c) => c.kind)).toEqual(['firing']);
    h.steady.updateNode(3, (r) => ({ ...r, stats: undefined }));
    await h.tick(15);
    expect(h.publisher.of('node-scrape-failing').map((c) => c.kind)).toEqual(['firing']);
    expect(h.publisher.of('node-scrape-failing')[0].summary).toMatch(/timeout/);
    // Not resolved: Vigil cannot see the node's memory, which is not the same as the memory being fine.
    expect(h.publisher.of('node-memory-low').map((c) => c.kind)).toEqual(['firing']);
  });
});

test('criticalNodes: 1 makes a single node under pressure critical', () => {
  const s = new SteadyCluster({ nodes: 3 });
  s.setCondition(0, pressure('MemoryPressure', t - 3 * MINUTE_MS));
  expect(run('node-pressure', s.context(t), { criticalNodes: 1 })[0].severity).toBe('critical');
});
