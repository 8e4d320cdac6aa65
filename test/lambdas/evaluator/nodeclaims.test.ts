/**
 * The Karpenter rules on the evaluator over dynalite: NodeClaims that fail to launch or never become Ready,
 * and drift that budgets keep from being replaced, from the NodePools and NodeClaims the agent reports.
 */
import { useTestStore } from '../../support/store';
import type { KubeEvent, Pod } from '../../../model/domain';
import type { KarpenterCondition, KarpenterNodeClaim, KarpenterNodePool } from '../../../model/karpenter';
import { harness, type Harness } from './harness';

const { dynamo } = useTestStore();

const MIN = 60_000;
const ICE =
  'creating instance, insufficient capacity, with fleet error(s), InsufficientInstanceCapacity: We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (eu-west-1a).';

const pool = (over: Partial<KarpenterNodePool> = {}): KarpenterNodePool => ({
  name: 'general',
  nodeClass: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
  limits: { cpuMilli: 16_000, memoryBytes: 64 * 2 ** 30 },
  resources: { cpuMilli: 6000, memoryBytes: 24 * 2 ** 30, nodes: 3 },
  budgets: [{ nodes: '10%' }],
  conditions: [{ type: 'Ready', status: 'True' }],
  ...over,
});

const cond = (
  type: string,
  status: KarpenterCondition['status'],
  since: number,
  reason?: string,
  message?: string,
): KarpenterCondition => ({ type, status, since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });

/** Karpenter's Warning on a NodeClaim it deleted because EC2 had no capacity for it. */
function iceEvent(h: Harness, name: string): KubeEvent {
  const t = h.nextTime - 20_000;
  return {
    objectUid: `uid-${name}`,
    objectKind: 'NodeClaim',
    objectName: name,
    reason: 'InsufficientCapacityError',
    type: 'Warning',
    message: `NodeClaim ${name} event: ${ICE}`,
    count: 1,
    firstSeen: t,
    lastSeen: t,
    source: 'karpenter',
  };
}

function pendingPods(h: Harness, n: number): Pod[] {
  return Array.from({ length: n }, (_, i) => ({
    ...h.steady.appPod(0),
    uid: `pending-${i}`,
    name: `web-5c7d9-p${i}`,
    namespace: 'shop',
    workload: { kind: 'Deployment' as const, name: 'web' },
    node: undefined,
    phase: 'Pending' as const,
    createdAt: h.nextTime,
    unschedulable: { reason: 'Unschedulable', message: '0/6 nodes are available: 6 Insufficient cpu.' },
  }));
}

async function karpenterCluster(): Promise<Harness> {
  const h = await harness(dynamo, { nodes: 6 });
  h.steady.toNodePool([3, 4, 5], 'general');
  h.steady.karpenter = { nodePools: [pool()], nodeClaims: [] };
  await h.tick(2);
  return h;
}

describe('nodeclaim-launch-failed', () => {
  test('one failed launch is no alert; failures that go on while pods wait are one story per NodePool, with the pods-pending alert under it; it resolves once launches stop failing', async () => {
    const h = await karpenterCluster();
    // A single insufficient-capacity error that Karpenter gets past with another instance type.
    h.steady.events = [iceEvent(h, 'general-a1b2c')];
    await h.tick(20);
    expect(h.publisher.of('nodeclaim-launch-failed')).toEqual([]);

    h.steady.unscheduled = pendingPods(h, 4);
    for (let i = 0; i < 20; i++) {
      h.steady.events = [iceEvent(h, `general-x${i.toString().padStart(4, '0')}`)];
      await h.tick(1);
    }
    const [firing] = h.publisher.of('nodeclaim-launch-failed');
    expect(firing).toMatchObject({ kind: 'firing', severity: 'warning', subject: { cluster: h.steady.cluster, nodeGroup: 'general' } });
    expect(firing.summary).toMatch(
      /^NodePool general cannot launch nodes: \d+ NodeClaims failed in 15 min while pods are Pending; last: NodeClaim general-x\d+ event: creating instance, insufficient capacity/,
    );
    expect(firing.evidence).toMatchObject({
      nodePool: 'general',
      reason: 'InsufficientCapacityError',
      pendingPods: 4,
      nodePoolLimits: 'cpu 6/16, memory 24/64 GiB',
    });
    // The Pending pods are this story: never a message of their own, and Karpenter's events no Warning-events noise.
    expect(h.publisher.of('pods-pending')).toEqual([]);
    expect(h.publisher.of('warning-events')).toEqual([]);
    expect(h.publisher.messages.filter((m) => m.notification.changes.some((c) => c.rule === 'nodeclaim-launch-failed'))).toHaveLength(1);

    // Capacity comes back: the pods are scheduled, no more failures.
    h.steady.unscheduled = [];
    await h.tick(30);
    expect(h.publisher.of('nodeclaim-launch-failed').map((c) => c.kind)).toEqual(['firing', 'resolved']);
    expect(h.publisher.of('pods-pending')).toEqual([]);
  });

  test('a NodeClaim Karpenter keeps with Launched=False (a launch error other than capacity) fires after 5 minutes with its message, for an EKS Auto Mode NodePool too', async () => {
    const h = await karpenterCluster();
    h.steady.karpenter = {
      nodePools: [pool({ nodeClass: { group: 'eks.amazonaws.com', kind: 'NodeClass', name: 'default' } })],
      nodeClaims: [],
    };
    const failedAt = h.nextTime;
    const nc: KarpenterNodeClaim = {
      name: 'general-q8w7e',
      nodePool: 'general',
      instanceType: 'm6i.large',
      capacityType: 'on-demand',
      createdAt: failedAt,
      conditions: [
        cond('Launched', 'False', failedAt, 'LaunchFailed', 'creating instance, getting launch template configs, no subnets found'),
        cond('Ready', 'False', failedAt, 'LaunchFailed'),
      ],
    };
    h.steady.karpenter = { ...h.steady.karpenter, nodeClaims: [nc] };
    const runs = await h.tick(8);
    expect(runs.findIndex((r) => r.changes.some((c) => c.rule === 'nodeclaim-launch-failed'))).toBe(5);
    const [firing] = h.publisher.of('nodeclaim-launch-failed');
    expect(firing.summary).toBe(
      'EKS Auto Mode NodePool general cannot launch nodes: 1 NodeClaims failed in 15 min; last: creating instance, getting launch template configs, no subnets found',
    );
    expect(firing.evidence).toMatchObject({ reason: 'LaunchFailed', lastNodeClaim: 'general-q8w7e', instanceTypes: 'm6i.large' });
  });
});

describe('nodeclaim-not-ready', () => {
  test("launched NodeClaims that do not register: nothing while a launch is normal, one alert per NodePool across Karpenter's retries, resolved by a node that comes up Ready", async () => {
    const h = await karpenterCluster();
    const launched = (name: string, created: number, instanceId: string): KarpenterNodeClaim => ({
      name,
      nodePool: 'general',
      instanceType: 'm6i.large',
      instanceId,
      providerId: `aws:///eu-west-1a/${instanceId}`,
      createdAt: created,
      conditions: [
        cond('Launched', 'True', created, 'Launched'),
        cond('Registered', 'Unknown', created),
        cond('Initialized', 'Unknown', created),
        cond('Ready', 'Unknown', created),
      ],
    });
    // A normal launch: registered and Ready within a few minutes (it then leaves the batch).
    h.steady.karpenter = { nodePools: [pool()], nodeClaims: [launched('general-ok001', h.nextTime, 'i-0aaaaaaaaaaaaaaa1')] };
    await h.tick(3);
    h.steady.karpenter = { nodePools: [pool()], nodeClaims: [] };
    await h.tick(10);
    expect(h.publisher.of('nodeclaim-not-ready')).toEqual([]);

    // Now every launch fails to join: Karpenter deletes each after 15 minutes (registration TTL) and tries again.
    const runs = [];
    // Karpenter's own verdict on the NodePool is evidence: NodeRegistrationHealthy=False, RegistrationFailed, as
    // pkg/controllers/nodeclaim/lifecycle/liveness.go sets it when a launched NodeClaim does not register.
    const unhealthy = pool({
      conditions: [
        { type: 'Ready', status: 'True' },
        cond('NodeRegistrationHealthy', 'False', h.nextTime, 'RegistrationFailed', 'Failed to register node'),
      ],
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      h.steady.karpenter = {
        nodePools: [unhealthy],
        nodeClaims: [launched(`general-bad0${attempt}`, h.nextTime, `i-0bbbbbbbbbbbbbbb${attempt}`)],
      };
      runs.push(...(await h.tick(15)));
    }
    expect(runs.findIndex((r) => r.changes.some((c) => c.rule === 'nodeclaim-not-ready'))).toBe(10);
    const changes = h.publisher.of('nodeclaim-not-ready');
    expect(changes.map((c) => c.kind)).toEqual(['firing']);
    expect(changes[0].summary).toBe(
      'NodePool general: NodeClaim general-bad00 (i-0bbbbbbbbbbbbbbb0) launched 10 min ago and not Registered',
    );
    expect(changes[0].evidence).toMatchObject({
      notReached: 'Registered',
      message: 'Registered is Unknown',
      instanceId: 'i-0bbbbbbbbbbbbbbb0',
      nodePoolRegistration: 'RegistrationFailed: Failed to register node',
    });

    // The fix: the next NodeClaim's node joins and is Ready.
    h.steady.karpenter = { nodePools: [pool()], nodeClaims: [] };
    h.steady.updateNode(5, (r) => ({ ...r, node: { ...r.node, createdAt: h.nextTime } }));
    await h.tick(8);
    expect(h.publisher.of('nodeclaim-not-ready').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });
});

describe('nodeclaim-disruption-blocked', () => {
  test('drifted NodeClaims kept for hours by a budget of 0 nodes are one info message naming the budget; recent drift, or drift being replaced, is not', async () => {
    const h = await karpenterCluster();
    const drifted = (name: string, since: number, over: Partial<KarpenterNodeClaim> = {}): KarpenterNodeClaim => ({
      name,
      nodePool: 'general',
      nodeName: name,
      createdAt: since - 86_400_000,
      conditions: [
        cond('Launched', 'True', since - 86_400_000, 'Launched'),
        cond('Ready', 'True', since - 86_400_000, 'Ready'),
        cond('Drifted', 'True', since, 'NodePoolDrifted'),
      ],
      ...over,
    });
    const budgets = [{ nodes: '0', reasons: ['Drifted'] }, { nodes: '10%' }];
    h.steady.karpenter = {
      nodePools: [pool({ budgets })],
      nodeClaims: [
        drifted('general-old01', h.nextTime - 7 * 3_600_000),
        drifted('general-new01', h.nextTime - 30 * MIN),
        drifted('general-gone1', h.nextTime - 9 * 3_600_000, { deleting: true }),
      ],
    };
    await h.tick(3);
    const changes = h.publisher.of('nodeclaim-disruption-blocked');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'firing', severity: 'info', subject: { nodeGroup: 'general' } });
    expect(changes[0].summary).toBe('NodePool general: 1 drifted NodeClaims not replaced for 7 h (a budget allows 0 nodes: 0 for Drifted)');
    expect(changes[0].evidence).toMatchObject({ driftedNodeClaims: 'general-old01', budgets: '0 for Drifted; 10%' });

    // Replaced at last: the drifted NodeClaim is gone.
    h.steady.karpenter = { nodePools: [pool({ budgets })], nodeClaims: [] };
    await h.tick(8);
    expect(h.publisher.of('nodeclaim-disruption-blocked').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });
});

test('a stale NodeClaim watch holds the Karpenter rules instead of resolving them', async () => {
  const h = await karpenterCluster();
  const failedAt = h.nextTime;
  h.steady.karpenter = {
    nodePools: [pool()],
    nodeClaims: [
      {
        name: 'general-q8w7e',
        nodePool: 'general',
        createdAt: failedAt,
        conditions: [cond('Launched', 'False', failedAt, 'LaunchFailed', 'no subnets found')],
      },
    ],
  };
  await h.tick(7);
  expect(h.publisher.of('nodeclaim-launch-failed').map((c) => c.kind)).toEqual(['firing']);
  // The watch stalls: the agent keeps sending an empty view that is an hour old. Nothing resolves.
  h.steady.karpenter = { nodePools: [pool()], nodeClaims: [] };
  const write = h.steady.batch.bind(h.steady);
  h.steady.batch = (t) => ({ ...write(t), dataAgeMs: { nodes: 1000, pods: 1000, nodeclaims: 3_600_000, nodepools: 3_600_000 } });
  await h.tick(40);
  expect(h.publisher.of('nodeclaim-launch-failed').map((c) => c.kind)).toEqual(['firing']);
});
