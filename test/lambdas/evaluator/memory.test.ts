import {
  boundMemory,
  EMPTY_MEMORY,
  observe,
  observeFrom,
  pendingAt,
  storedMemory,
  type EvaluatorMemory,
  type EventMark,
  type Observation,
  type ObserveOptions,
} from '../../../lambdas/evaluator/memory';
import { encode } from '../../../lambdas/store/codec';
import { kubeRollupOf } from '../../../lambdas/ingest/rollup';
import type { ClusterMinute, KubeEvent, ScalingActivity } from '../../../model/domain';
import { HOUR_MS, MINUTE_MS, minuteOf } from '../../../model/time';
import { T0 } from './harness';
import { nodeMinutesOf, SteadyCluster } from '../../../sim/steady-cluster';

const opts: ObserveOptions = {
  restartWindowMs: 24 * HOUR_MS,
  eventCountJump: 10,
  eventUpdateEveryMs: 15 * MINUTE_MS,
  trackEvent: (e) => e.reason !== 'BackOff',
};

function minuteOfScenario(s: SteadyCluster, t: number): Observation {
  const b = s.batch(t);
  const minute = minuteOf(t);
  const rollups: ClusterMinute[] = [{ cluster: s.cluster, minute, kube: kubeRollupOf(b), cloud: s.cloudRollup(t) }];
  const nodes = nodeMinutesOf(s.cluster, b, t);
  s.events = [];
  s.activities = [];
  return { now: t + 30_000, rollups, nodes };
}

test('observing the same minutes twice gives the same memory and nothing fresh the second time', () => {
  const s = new SteadyCluster({ nodes: 4 });
  s.events = [
    {
      objectUid: 'u1',
      objectKind: 'Pod',
      objectName: 'p',
      namespace: 'a',
      reason: 'FailedMount',
      type: 'Warning',
      message: 'm',
      count: 1,
      firstSeen: T0,
      lastSeen: T0,
    },
  ];
  s.updatePod(
    1,
    (p) => p.workload.kind === 'Deployment',
    (p) => ({
      ...p,
      containers: p.containers.map((c) => ({
        ...c,
        restarts: 1,
        lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: T0 - 5000 },
      })),
    }),
  );
  const obs = minuteOfScenario(s, T0);
  const once = observe(EMPTY_MEMORY, obs, opts);
  expect(once.fresh.events).toHaveLength(1);
  expect(once.fresh.restarts.length).toBeGreaterThan(0);
  const twice = observe(once.memory, obs, opts);
  expect(twice.memory).toEqual(once.memory);
  expect(twice.fresh).toEqual({ restarts: [], evictions: [], events: [], activities: [], removals: [], since: once.memory.evaluatedAt });
});

test('a restart count that grew counts as that many restarts, even without a new termination time', () => {
  const s = new SteadyCluster({ nodes: 2 });
  const match = (p: { workload: { kind: string } }) => p.workload.kind === 'Deployment';
  const set = (restarts: number, finishedAt: number) =>
    s.updatePod(0, match, (p) => ({
      ...p,
      containers: p.containers.map((c, i) =>
        i === 0 ? { ...c, restarts, lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt } } : c,
      ),
    }));
  set(1, T0 - 1000);
  let m = observe(EMPTY_MEMORY, minuteOfScenario(s, T0), opts).memory;
  set(4, T0 + 50_000);
  const r = observe(m, minuteOfScenario(s, T0 + MINUTE_MS), opts);
  m = r.memory;
  expect(r.fresh.restarts.map((x) => x.event.count)).toEqual([3]);
  expect(Object.values(m.restarts)[0].events.map((e) => e.count)).toEqual([1, 3]);
  // A day later they are forgotten, and the container with them.
  expect(observe(m, { ...minuteOfScenario(s, T0 + 25 * HOUR_MS), now: T0 + 25 * HOUR_MS }, opts).memory.restarts).toEqual({});
});

test('Warning events: new once, then again only when the count at least doubles and a quarter hour has passed; untracked reasons are not kept', () => {
  const s = new SteadyCluster({ nodes: 2 });
  const ev = (count: number, lastSeen: number, reason = 'FailedCreatePodSandBox'): KubeEvent => ({
    objectUid: 'pod-1',
    objectKind: 'Pod',
    objectName: 'p',
    namespace: 'a',
    reason,
    type: 'Warning',
    message: 'failed to assign an IP address to container',
    count,
    firstSeen: T0,
    lastSeen,
  });
  let m = EMPTY_MEMORY;
  const seen: string[] = [];
  // A storm: the count rises every minute (no news), then a quarter hour on it has more than doubled (news), then grows by little.
  const counts: [number, number][] = [
    [0, 1],
    [1, 40],
    [2, 300],
    [3, 900],
    [16, 1_000],
    [17, 2_100],
    [40, 1_900],
  ];
  for (const [minute, count] of counts) {
    const t = T0 + minute * MINUTE_MS;
    s.events = [ev(count, t), ev(3, t, 'BackOff')];
    const r = observe(m, minuteOfScenario(s, t), opts);
    m = r.memory;
    seen.push(...r.fresh.events.map((f) => `${f.event.count}:${f.jump}`));
  }
  expect(seen).toEqual(['1:false', '1000:true']);
  expect(Object.keys(m.events)).toEqual(['pod-1#FailedCreatePodSandBox']);
});

test('scale-ins: an InService instance with a node leaving its group, completed by the activity that says who and why', () => {
  const s = new SteadyCluster({ nodes: 6 });
  let m = observe(EMPTY_MEMORY, minuteOfScenario(s, T0), opts).memory;
  const g = s.groups[0];
  const [gone, aside] = g.instances;
  const node = s.reports.find((r) => r.node.instanceId === gone.instanceId)!.node.name;
  // One instance terminates (its node is still listed while it drains); another goes to Standby (an operator's aside).
  s.groups = s.groups.map((x) =>
    x === g
      ? {
          ...x,
          desired: x.desired - 1,
          instances: x.instances.map((i) =>
            i === gone ? { ...i, lifecycleState: 'Terminating:Wait' } : i === aside ? { ...i, lifecycleState: 'Standby' } : i,
          ),
        }
      : x,
  );
  m = observe(m, minuteOfScenario(s, T0 + MINUTE_MS), opts).memory;
  expect(m.removals).toEqual([
    {
      autoScalingGroup: g.name,
      t: minuteOf(T0 + MINUTE_MS),
      instanceId: gone.instanceId,
      node,
      actor: 'Auto Scaling (activity not read yet)',
    },
  ]);
  const a: ScalingActivity = {
    activityId: 'act-1',
    autoScalingGroup: g.name,
    status: 'InProgress',
    description: `Terminating EC2 instance: ${gone.instanceId}`,
    cause: `At 2026-11-23T12:03:00Z a monitor alarm X in state ALARM triggered policy Y changing the desired capacity from ${g.desired} to ${g.desired - 1}.`,
    startTime: T0 + 50_000,
  };
  s.activities = [a];
  m = observe(m, minuteOfScenario(s, T0 + 2 * MINUTE_MS), opts).memory;
  expect(m.removals).toEqual([
    {
      autoScalingGroup: g.name,
      t: a.startTime,
      instanceId: gone.instanceId,
      node,
      actor: 'alarm X, policy Y',
      cause: a.cause,
      activityId: 'act-1',
    },
  ]);
  // Gone from the group: still one removal. Failed activities are kept for their alert; others are not.
  s.groups = s.groups.map((x) =>
    x.name === g.name ? { ...x, instances: x.instances.filter((i) => i.instanceId !== gone.instanceId) } : x,
  );
  m = observe(m, minuteOfScenario(s, T0 + 3 * MINUTE_MS), opts).memory;
  expect(m.removals.map((x) => x.instanceId)).toEqual([gone.instanceId]);
  expect(m.activities).toEqual({});
});

/** A memory as an older version stored it: its removals under `scaleIns`. */
const storedAsScaleIns = (removals: readonly unknown[]) => {
  const { removals: _, ...rest } = EMPTY_MEMORY;
  return storedMemory({ ...rest, scaleIns: removals } as unknown as EvaluatorMemory);
};

test('scale-ins recorded by an older version (desired-capacity drops, no instance) are dropped', () => {
  const s = new SteadyCluster({ nodes: 4 });
  const old = storedAsScaleIns([{ autoScalingGroup: s.groups[0].name, t: T0, from: 3, to: 2 }]);
  expect(observe(old, minuteOfScenario(s, T0 + MINUTE_MS), opts).memory.removals).toEqual([]);
});

test('removals stored under their old name (scaleIns) are read as removals, and written back under the new one', () => {
  const s = new SteadyCluster({ nodes: 4 });
  const removal = {
    autoScalingGroup: s.groups[0].name,
    t: T0,
    instanceId: 'i-0123456789abcdef0',
    node: 'ip-10-0-0-9.ec2.internal',
    actor: 'alarm X, policy Y',
  };
  const read = storedAsScaleIns([removal]);
  expect(read.removals).toEqual([removal]);
  expect(read).not.toHaveProperty('scaleIns');
  const next = observe(read, minuteOfScenario(s, T0 + MINUTE_MS), opts).memory;
  expect(next.removals).toEqual([removal]);
  expect(next).not.toHaveProperty('scaleIns');
  // A memory stored with the new name is read as it is.
  expect(storedMemory(next)).toEqual(next);
});

test('Ready transitions of each node, pending counts when they change, and where to resume reading', () => {
  const s = new SteadyCluster({ nodes: 3 });
  let m = EMPTY_MEMORY;
  const states: ('True' | 'False')[] = ['True', 'False', 'False', 'True', 'True'];
  states.forEach((status, i) => {
    s.setCondition(1, { type: 'Ready', status });
    s.unscheduled = i === 2 ? [{ ...s.appPod(0), uid: 'x', node: undefined, phase: 'Pending' }] : [];
    m = observe(m, minuteOfScenario(s, T0 + i * MINUTE_MS), opts).memory;
  });
  expect(m.ready[s.nodeNames[1]].transitions.map((t) => (t - minuteOf(T0)) / MINUTE_MS)).toEqual([1, 3]);
  expect(m.pending.map(([t, n]) => [(t - minuteOf(T0)) / MINUTE_MS, n])).toEqual([
    [0, 0],
    [2, 1],
    [3, 0],
  ]);
  expect(pendingAt(m, minuteOf(T0) + 2 * MINUTE_MS + 10)).toBe(1);
  expect(observeFrom(m, T0 + 5 * MINUTE_MS)).toBe(minuteOf(T0) + 4 * MINUTE_MS);
  expect(observeFrom(m, T0 + 60 * MINUTE_MS)).toBe(minuteOf(T0 + 45 * MINUTE_MS));
  expect(observeFrom(EMPTY_MEMORY, T0)).toBe(minuteOf(T0) - 2 * MINUTE_MS);
  // A source silent for a while does not widen every read: the newest minute seen is where reading resumes.
  expect(observeFrom({ ...m, cloudMinute: minuteOf(T0) - 10 * MINUTE_MS }, T0 + 5 * MINUTE_MS)).toBe(minuteOf(T0) + 4 * MINUTE_MS);
});

test('a storm of Warning events cannot push the memory past its size limit: the oldest marks go first', () => {
  const events: Record<string, EventMark> = {};
  for (let i = 0; i < 20_000; i++)
    events[`0f3a9c1e-77aa-4c1b-9d55-${String(i).padStart(12, '0')}#FailedCreatePodSandBox`] = {
      count: i,
      reportedCount: i,
      lastSeen: T0 + i,
    };
  const { memory, dropped } = boundMemory({ ...EMPTY_MEMORY, events }, 100_000);
  expect(encode(memory).length).toBeLessThanOrEqual(100_000);
  expect(dropped).toBeGreaterThan(0);
  const kept = Object.values(memory.events).map((e) => e.lastSeen);
  expect(Math.min(...kept)).toBeGreaterThan(T0 + 19_999 - kept.length * 2);
  expect(boundMemory(EMPTY_MEMORY)).toEqual({ memory: EMPTY_MEMORY, dropped: 0 });
});
