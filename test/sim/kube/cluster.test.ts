import { ManualClock } from '../../../model/time';
import { RESOURCES, SimCluster, type Change } from '../../../sim/kube/cluster';
import { simClusterFrom } from '../../../sim/kube/from-synthetic';
import { syntheticCluster } from '../../../sim/synthetic';
import { validateObject } from './k8s-schema';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function node(name: string, extra: Partial<Parameters<SimCluster['addNode']>[0]> = {}) {
  return {
    name,
    instanceId: `i-0${name.length}abcdef12345678`,
    zone: 'eu-west-1a',
    instanceType: 'm6i.large',
    nodeGroup: 'general',
    capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 },
    ...extra,
  };
}

function everyObjectValid(sim: SimCluster): number {
  let n = 0;
  for (const r of RESOURCES) {
    for (const o of sim.list(r)) {
      validateObject(o, `${r}: `);
      n++;
    }
  }
  return n;
}

describe('SimCluster', () => {
  it('is checked by a validator that does catch schema mistakes', () => {
    expect(() =>
      validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ image: 'nginx' }] } }),
    ).toThrow(/name/);
    expect(() =>
      validateObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' }, status: { conditions: [{ type: 'Ready' }] } }),
    ).toThrow(/status/);
  });

  it('serves only objects that pass the official schemas, through every kind of change', () => {
    const clock = new ManualClock(T0);
    const sim = simClusterFrom(syntheticCluster({ nodes: 3, podsPerNode: 12, now: T0 }), clock);
    const nodeName = [...sim.nodeModels.keys()][0];
    const [pod] = sim.podsOn(nodeName).filter((p) => p.owner?.kind === 'ReplicaSet');
    const ref = { namespace: pod.namespace, name: pod.name };
    const container = pod.containers[0].spec.name;
    clock.advance(60_000);
    sim.setNodeCondition(nodeName, 'MemoryPressure', 'True');
    sim.setNodeCondition(nodeName, 'KernelDeadlock', 'True', {
      reason: 'DockerHung',
      message: 'task docker blocked for more than 120 seconds',
    });
    sim.cordon(nodeName);
    sim.oomKill(ref, container);
    sim.crashLoop(ref, container);
    sim.failImagePull(ref, container);
    sim.recover(ref, container);
    sim.setPodPhase(ref, 'Failed', { reason: 'Evicted', message: 'The node was low on resource: memory.' });
    sim.addWorkload({
      kind: 'StatefulSet',
      namespace: 'data',
      name: 'postgres',
      replicas: 2,
      containers: [
        {
          name: 'postgres',
          image: 'postgres:16',
          requests: { cpuMilli: 250, memoryBytes: 512 * MiB },
          limits: { cpuMilli: 250, memoryBytes: 512 * MiB },
        },
      ],
    });
    sim.addWorkload({
      kind: 'Job',
      namespace: 'batch',
      name: 'report-29012345',
      cronJob: 'report',
      containers: [{ name: 'report', image: 'report:1' }],
    });
    sim.addPod({
      namespace: 'web',
      owner: { kind: 'Deployment', name: 'huge' },
      containers: [{ name: 'huge', image: 'huge:1', requests: { cpuMilli: 100, memoryBytes: 512 * GiB } }],
    });
    sim.emitEvent({
      involvedObject: { kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
      reason: 'Unhealthy',
      type: 'Warning',
      message: 'Liveness probe failed',
    });
    expect(everyObjectValid(sim)).toBeGreaterThan(50);
    sim.removeNode(nodeName, { reschedule: true });
    expect(everyObjectValid(sim)).toBeGreaterThan(40);
  });

  it('records each change with a new resourceVersion, keeps a bounded history, and forgets it on compaction', () => {
    const clock = new ManualClock(T0);
    const sim = new SimCluster({ clock, historySize: 5 });
    const seen: Change[] = [];
    sim.on('change', (c: Change) => seen.push(c));
    sim.addNode(node('a'));
    const rv = sim.resourceVersion;
    sim.cordon('a');
    expect(seen.map((c) => `${c.resource} ${c.type}`)).toEqual(['nodes ADDED', 'nodes MODIFIED', 'events ADDED']);
    expect(sim.changesSince('nodes', rv)).toHaveLength(1);
    expect(sim.get('nodes', 'a')).toMatchObject({ metadata: { resourceVersion: String(rv + 1) } });
    for (let i = 0; i < 6; i++) sim.setNodeCondition('a', 'Ready', i % 2 ? 'True' : 'False');
    expect(sim.changesSince('nodes', rv)).toBe('gone');
    const now = sim.resourceVersion;
    expect(sim.changesSince('nodes', now)).toEqual([]);
    sim.compact();
    expect(sim.changesSince('nodes', now - 1)).toBe('gone');
  });

  it("schedules by requests and leaves what does not fit Pending, with the scheduler's message and event", () => {
    const sim = new SimCluster({ clock: new ManualClock(T0) });
    sim.addNode(node('a'));
    sim.addNode(node('b', { unschedulable: true }));
    const placed = sim.addPod({
      namespace: 'web',
      owner: { kind: 'Deployment', name: 'web' },
      containers: [{ name: 'web', image: 'web:1', requests: { cpuMilli: 500, memoryBytes: 4 * GiB } }],
    });
    expect(placed.node).toBe('a');
    const pending = sim.addPod({
      namespace: 'web',
      owner: { kind: 'Deployment', name: 'web' },
      containers: [{ name: 'web', image: 'web:1', requests: { cpuMilli: 500, memoryBytes: 4 * GiB } }],
    });
    expect(pending.node).toBeUndefined();
    expect(pending.unschedulable?.message).toBe(
      '0/2 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    expect(sim.list('events').map((e) => e.reason)).toContain('FailedScheduling');
    const dep = sim.get('deployments', 'web/web') as { status: { readyReplicas: number; replicas: number } };
    expect(dep.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
    sim.cordon('b', false);
    expect(sim.reschedulePending()).toBe(1);
    expect(sim.pod(pending).node).toBe('b');
  });

  it('moves the pods of a removed node onto the rest, and the DaemonSet pods go with the node', () => {
    const sim = new SimCluster({ clock: new ManualClock(T0) });
    for (const n of ['a', 'b']) sim.addNode(node(n));
    sim.addWorkload({
      kind: 'DaemonSet',
      namespace: 'kube-system',
      name: 'kube-proxy',
      containers: [{ name: 'kube-proxy', image: 'kube-proxy:1', requests: { cpuMilli: 100, memoryBytes: 64 * MiB } }],
      hostNetwork: true,
    });
    sim.addWorkload({
      kind: 'Deployment',
      namespace: 'web',
      name: 'web',
      replicas: 4,
      containers: [{ name: 'web', image: 'web:1', requests: { cpuMilli: 200, memoryBytes: 2 * GiB } }],
    });
    expect(sim.podsOn('a')).toHaveLength(3);
    sim.addNode(node('c'));
    expect(sim.podsOn('c').map((p) => p.owner?.kind)).toEqual(['DaemonSet']);
    const replacements = sim.removeNode('a', { reschedule: true });
    expect(replacements).toHaveLength(2);
    expect(replacements.every((p) => p.node === 'c' || p.node === 'b')).toBe(true);
    expect(sim.list('pods').filter((p) => (p.spec as { nodeName?: string }).nodeName === 'a')).toEqual([]);
    expect(
      (sim.get('daemonsets', 'kube-system/kube-proxy') as { status: { desiredNumberScheduled: number } }).status.desiredNumberScheduled,
    ).toBe(2);
  });

  it("counts CPU into each container's cumulative counter over the cluster clock, and restarts it with the container", () => {
    const clock = new ManualClock(T0);
    const sim = new SimCluster({ clock });
    sim.addNode(node('a'));
    const p = sim.addPod({
      namespace: 'web',
      node: 'a',
      containers: [{ name: 'web', image: 'web:1', usage: { cpuMilli: 250 } }],
      startedAt: T0,
    });
    const c = p.containers[0];
    const v0 = c.cpu.valueAt(clock.now());
    clock.advance(60_000);
    expect(c.cpu.valueAt(clock.now()) - v0).toBe(250 * 1e3 * 60_000); // 250 m for 60 s = 15 core-seconds
    sim.setUsage(p, 'web', { cpuMilli: 1000 });
    const v1 = c.cpu.valueAt(clock.now());
    clock.advance(1000);
    expect(c.cpu.valueAt(clock.now()) - v1).toBe(1e9);
    sim.oomKill(p, 'web');
    const restarted = sim.pod(p).containers[0];
    expect(restarted.restarts).toBe(1);
    expect(restarted.lastTermination).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(restarted.cpu.valueAt(clock.now())).toBe(0);
  });

  it('counts repeats of an event instead of adding a new one', () => {
    const clock = new ManualClock(T0);
    const sim = new SimCluster({ clock });
    sim.addNode(node('a'));
    const p = sim.addPod({ namespace: 'web', node: 'a', containers: [{ name: 'web', image: 'web:1' }] });
    sim.crashLoop(p, 'web');
    clock.advance(30_000);
    sim.crashLoop(p, 'web');
    const backoffs = sim.list('events').filter((e) => e.reason === 'BackOff') as {
      count: number;
      firstTimestamp: string;
      lastTimestamp: string;
    }[];
    expect(backoffs).toHaveLength(1);
    expect(backoffs[0]).toMatchObject({ count: 2, firstTimestamp: '2026-11-23T12:00:00Z', lastTimestamp: '2026-11-23T12:00:30Z' });
    clock.advance(2 * 3_600_000);
    sim.expireEvents();
    expect(sim.list('events')).toEqual([]);
  });
});
