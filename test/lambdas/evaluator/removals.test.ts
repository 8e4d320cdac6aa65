import { actorOf } from '../../../lambdas/evaluator/removals';
import { useTestStore } from '../../support/store';
import type { KubeEvent, NodeCondition, Pod } from '../../../model/domain';
import { harness, type Harness } from './harness';

const { dynamo } = useTestStore();

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An event on a node, as the agent reports it (Karpenter's, here). */
function nodeEvent(h: Harness, node: number, reason: string, type: 'Normal' | 'Warning', message: string): KubeEvent {
  const name = h.steady.report(node).node.name;
  return {
    objectUid: h.steady.report(node).node.uid ?? name,
    objectKind: 'Node',
    objectName: name,
    reason,
    type,
    message,
    count: 1,
    firstSeen: h.nextTime - 20_000,
    lastSeen: h.nextTime - 20_000,
    node: name,
    source: 'karpenter',
  };
}

/** Karpenter's termination controller: the `karpenter.sh/disrupted:NoSchedule` taint, and why. */
function disrupt(h: Harness, node: number, event: KubeEvent): void {
  h.steady.updateNode(node, (r) => ({
    ...r,
    node: { ...r.node, taints: [...r.node.taints, { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }] },
  }));
  h.steady.events.push(event);
}

/** Karpenter's interruption handling at a Spot notice: the taint and its Warning event. */
const spotNotice = (h: Harness, node: number) =>
  disrupt(h, node, nodeEvent(h, node, 'SpotInterrupted', 'Warning', 'Spot interruption warning was triggered'));

/** Six nodes, three of them in a Karpenter Spot NodePool `spot`, three minutes in. */
async function spotPool(): Promise<Harness> {
  const h = await harness(dynamo, { nodes: 6 });
  h.steady.toNodePool([3, 4, 5], 'spot', { spot: true });
  await h.tick(3);
  return h;
}

/** The node leaves the cluster (its Node object deleted). */
function remove(h: Harness, node: number): { name: string; instance: string } {
  const r = h.steady.report(node);
  h.steady.reports = h.steady.reports.filter((x) => x !== r);
  return { name: r.node.name, instance: r.node.instanceId! };
}

/** Karpenter's (or the group's) replacement joins the pool: a new node, Ready, only its DaemonSet pods yet. */
function replacement(h: Harness, like: number, n: number): string {
  const r = h.steady.report(like);
  const name = `ip-10-0-99-${n}.eu-west-1.compute.internal`;
  const instanceId = `i-0feed00000000000${n}`;
  h.steady.reports = [
    ...h.steady.reports,
    {
      ...r,
      node: {
        ...r.node,
        name,
        uid: `uid-replacement-${n}`,
        instanceId,
        providerId: `aws:///eu-west-1a/${instanceId}`,
        createdAt: h.nextTime - 30_000,
      },
      pods: r.pods.filter((p) => p.workload.kind === 'DaemonSet'),
    },
  ];
  return name;
}

/** CapacityRemovals the evaluator emitted (EMF), by actor, summed over its runs. */
function removalsEmitted(h: Harness): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of h.emitted.map((l) => JSON.parse(l) as Record<string, unknown>))
    if (typeof d.Actor === 'string') out[d.Actor] = (out[d.Actor] ?? 0) + (d.CapacityRemovals as number);
  return out;
}

/** The node's Auto Scaling group takes its instance out of service, for `cause` (DescribeScalingActivities' words). */
function groupRemoves(h: Harness, node: number, cause: string): string {
  const s = h.steady;
  const instance = s.report(node).node.instanceId!;
  const g = s.groups.find((x) => x.instances.some((i) => i.instanceId === instance))!;
  s.activities = [
    ...s.activities,
    {
      activityId: `act-${instance}`,
      autoScalingGroup: g.name,
      status: 'Successful',
      description: `Terminating EC2 instance: ${instance}`,
      cause,
      startTime: h.nextTime - 40_000,
      endTime: h.nextTime - 10_000,
    },
  ];
  s.groups = s.groups.map((x) =>
    x.name === g.name ? { ...x, inService: x.inService - 1, instances: x.instances.filter((i) => i.instanceId !== instance) } : x,
  );
  return g.name;
}

/** The other nodes cannot take the pods: two under MemoryPressure, one pod Pending. */
function cannotAfford(h: Harness): void {
  const pressure: NodeCondition = {
    type: 'MemoryPressure',
    status: 'True',
    reason: 'KubeletHasInsufficientMemory',
    message: 'kubelet has insufficient memory available',
    since: h.nextTime,
  };
  h.steady.setCondition(0, pressure);
  h.steady.setCondition(1, pressure);
  const stuck: Pod = {
    ...h.steady.appPod(0),
    uid: 'pending-1',
    name: 'cart-7d9f-abcde',
    node: undefined,
    phase: 'Pending',
    unschedulable: { reason: 'Unschedulable', message: '0/4 nodes are available: 2 Insufficient memory.' },
  };
  h.steady.unscheduled = [stuck];
}

describe('the domino starts from any removal of capacity', () => {
  test('Karpenter consolidation the cluster cannot afford: the domino names the NodePool, the reason (Underutilized) and advice for Karpenter', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.toNodePool([3, 4, 5], 'default');
    await h.tick(3);
    disrupt(h, 5, nodeEvent(h, 5, 'DisruptionTerminating', 'Normal', 'Disrupting Node: Underutilized'));
    await h.tick(1);
    const gone = remove(h, 5);
    await h.tick(1);
    cannotAfford(h);
    await h.tick(3);

    const domino = h.publisher.of('scale-in-under-pressure');
    expect(domino.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical']);
    expect(domino[0].subject).toEqual({ cluster: h.steady.cluster, nodeGroup: 'default' });
    expect(domino[0].summary).toMatch(
      new RegExp(
        `^NodePool default removed node ${esc(gone.name)} \\(${gone.instance}\\) at .* \\(Karpenter consolidation \\(Underutilized\\)\\) while the cluster cannot afford it`,
      ),
    );
    expect(domino[0].evidence).toMatchObject({
      removedNodes: gone.name,
      removedBy: 'karpenter',
      actor: 'Karpenter consolidation (Underutilized)',
    });
    expect(domino[0].runbook).toMatch(/memory requests that match real use.*disruption budget.*consolidateAfter/);
    expect(h.publisher.of('capacity-lost')).toEqual([]);
    expect(removalsEmitted(h)).toEqual({ karpenter: 1 });
  });

  test('drift and expiry, EKS Auto Mode, and a disruption whose reason was not reported are named as such', () => {
    const base = { since: 0, karpenter: true, signs: ['disrupted'] };
    expect(actorOf({ ...base, event: 'DisruptionTerminating: Drifted' })).toEqual({
      by: 'karpenter',
      lost: false,
      actor: 'Karpenter drift (Drifted)',
    });
    expect(actorOf({ ...base, event: 'DisruptionTerminating: Expired' }).actor).toBe('Karpenter expiry (Expired)');
    expect(actorOf({ ...base, autoMode: true, event: 'DisruptionTerminating: Empty' })).toEqual({
      by: 'eks-auto-mode',
      lost: false,
      actor: 'EKS Auto Mode emptiness (Empty)',
    });
    expect(actorOf(base).actor).toBe('Karpenter disruption (reason not reported)');
    expect(actorOf({ ...base, spot: true, event: 'SpotInterrupted' })).toEqual({
      by: 'spot-interruption',
      lost: true,
      actor: 'Karpenter: Spot interruption warning',
    });
    expect(actorOf({ since: 0, signs: ['cordoned', 'autoscaler'] }).by).toBe('auto-scaling');
  });

  test("a person's drain (a cordon no autoscaler made, then its pods evicted) followed by Pending pods is the domino, with advice for a drain", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(3);
    const name = h.steady.report(5).node.name;
    h.steady.updateNode(5, (r) => ({ ...r, node: { ...r.node, unschedulable: true } }));
    await h.tick(2);
    // A cordon alone removes nothing: what runs there keeps running.
    expect(h.publisher.messages).toEqual([]);
    h.steady.updateNode(5, (r) => ({ ...r, pods: r.pods.filter((p) => p.workload.kind === 'DaemonSet') }));
    await h.tick(2);
    cannotAfford(h);
    await h.tick(3);

    const domino = h.publisher.of('scale-in-under-pressure');
    expect(domino.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical']);
    expect(domino[0].subject.autoScalingGroup).toBeDefined();
    expect(domino[0].summary).toContain(`removed node ${name}`);
    expect(domino[0].evidence).toMatchObject({ removedBy: 'drain', actor: 'a drain (cordoned by a person or a tool)' });
    expect(domino[0].runbook).toMatch(/kubectl uncordon/);
    expect(removalsEmitted(h)).toEqual({ drain: 1 });
  });

  test("a cordon with Cluster Autoscaler's taint is not a person's drain: nothing is recorded until its group removes the instance", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(3);
    h.steady.updateNode(5, (r) => ({
      ...r,
      node: {
        ...r.node,
        unschedulable: true,
        taints: [...r.node.taints, { key: 'ToBeDeletedByClusterAutoscaler', value: '1733350000', effect: 'NoSchedule' }],
      },
    }));
    await h.tick(2);
    cannotAfford(h);
    await h.tick(3);
    expect(h.publisher.of('scale-in-under-pressure')).toEqual([]);
  });
});

describe('capacity-lost: capacity nobody decided to remove', () => {
  test('a Spot interruption wave on Karpenter nodes that the rest absorbs is one info message, never a page, and one resolution when it is over', async () => {
    const h = await spotPool();
    spotNotice(h, 4);
    await h.tick(1);
    const first = remove(h, 4);
    await h.tick(1);
    spotNotice(h, 4);
    await h.tick(1);
    const second = remove(h, 4);
    await h.tick(13);
    // Nothing replaced them and nothing needs to: the story stays open while the wave may go on.
    expect(h.publisher.messages).toHaveLength(1);
    const [lost] = h.publisher.of('capacity-lost');
    expect(lost).toMatchObject({ kind: 'firing', severity: 'info', subject: { cluster: h.steady.cluster, nodeGroup: 'spot' } });
    expect(lost.summary).toMatch(
      new RegExp(
        `^NodePool spot lost node ${esc(first.name)} \\(${first.instance}\\) at .* \\(Karpenter: Spot interruption warning\\); their pods fit on the other 5 nodes by requests and by memory use \\([0-9.]+ GiB memory, [0-9.]+ CPUs allocatable left\\)`,
      ),
    );
    expect(lost.evidence).toMatchObject({ removedBy: 'spot-interruption', nodesLeft: 5, pendingPodsNow: 0, canLoseOneMore: 'yes' });
    // The second node of the wave joined the same incident: no second message.
    expect(second.name).not.toBe(first.name);
    expect(h.publisher.of('warning-events')).toEqual([]);
    expect(removalsEmitted(h)).toEqual({ 'spot-interruption': 2 });

    // Fifteen minutes without a loss, everything fitting: over, told once, saying what happened to the capacity.
    await h.tick(15);
    expect(h.publisher.of('capacity-lost').map((c) => c.kind)).toEqual(['firing', 'resolved']);
    const end = h.publisher.of('capacity-lost')[1];
    expect(end.summary).toMatch(
      new RegExp(
        `^NodePool spot: capacity back after losing 2 nodes \\(${esc(first.name)}, ${esc(second.name)}\\) at .*: the other nodes have run their pods for 1[5-9] min with no further loss, and nothing needed replacing; 1 node of the group Ready, 0 pods Pending$`,
      ),
    );
    expect(end.evidence).toMatchObject({ lostNodes: `${first.name}, ${second.name}`, replacementsReady: 'none' });
    expect(h.publisher.messages).toHaveLength(2);
  });

  test('a Spot loss whose replacements join and become Ready resolves then, naming them; a second wave inside the incident is one update', async () => {
    const h = await spotPool();
    spotNotice(h, 5);
    await h.tick(1);
    const first = remove(h, 5);
    await h.tick(2);
    expect(h.publisher.of('capacity-lost').map((c) => c.kind)).toEqual(['firing']);

    // Eight minutes later a second wave: two more nodes of the pool.
    await h.tick(6);
    spotNotice(h, 4);
    spotNotice(h, 3);
    await h.tick(1);
    const second = remove(h, 4);
    const third = remove(h, 3);
    await h.tick(2);
    const updates = h.publisher.of('capacity-lost');
    expect(updates.map((c) => c.kind)).toEqual(['firing', 'updated']);
    expect(updates[1].summary).toMatch(/^NodePool spot lost 3 nodes \(.*\) at .* in 2 waves; their pods fit on the other 3 nodes/);
    expect(updates[1].evidence).toMatchObject({ waves: 2, lostNodes: `${first.name}, ${second.name}, ${third.name}` });

    // Karpenter replaces them: one still NotReady (joining) keeps it open; all three Ready ends it.
    const names = [replacement(h, 0, 1), replacement(h, 0, 2), replacement(h, 0, 3)];
    for (const n of names) h.steady.toNodePool([h.steady.nodeNames.indexOf(n)], 'spot', { spot: true });
    h.steady.setCondition(names[2], {
      type: 'Ready',
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime network not ready: NetworkReady=false',
      since: h.nextTime,
    });
    await h.tick(5);
    expect(h.publisher.of('capacity-lost').map((c) => c.kind)).toEqual(['firing', 'updated']);
    h.steady.setCondition(names[2], {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      since: h.nextTime,
    });
    await h.tick(2);

    const changes = h.publisher.of('capacity-lost');
    expect(changes.map((c) => c.kind)).toEqual(['firing', 'updated', 'resolved']);
    expect(changes[2].summary).toMatch(
      new RegExp(
        `^NodePool spot: capacity back after losing 3 nodes .*: 3 replacement nodes joined and Ready \\(${names.map(esc).join(', ')}\\); 3 nodes of the group Ready, 0 pods Pending$`,
      ),
    );
    expect(changes[2].evidence).toMatchObject({ replacementsReady: names.join(', ') });
    expect(h.publisher.messages).toHaveLength(3);
  });

  test('a Spot interruption whose pods do not fit is the domino, with advice for Spot, and no capacity-lost', async () => {
    const h = await spotPool();
    spotNotice(h, 5);
    await h.tick(1);
    remove(h, 5);
    cannotAfford(h);
    await h.tick(5);

    const domino = h.publisher.of('scale-in-under-pressure');
    expect(domino.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical']);
    expect(domino[0].summary).toMatch(
      /^NodePool spot lost node .* \(Karpenter: Spot interruption warning\) while the cluster cannot afford it/,
    );
    expect(domino[0].runbook).toMatch(/diversify instance types.*on-demand base/);
    expect(h.publisher.of('capacity-lost')).toEqual([]);
  });

  test('a Spot interruption absorbed, after which the cluster could not lose one more node, is capacity lost saying so, not the domino', async () => {
    const h = await spotPool();
    spotNotice(h, 5);
    await h.tick(1);
    remove(h, 5);
    // The pods fit (nothing Pending, no pressure), but any further loss would strand a 10 GiB pod.
    for (const i of [0, 1, 2, 3, 4]) h.steady.setPods(i, [[10, 8]]);
    await h.tick(15);

    expect(h.publisher.of('scale-in-under-pressure')).toEqual([]);
    const [lost] = h.publisher.of('capacity-lost');
    expect(lost).toMatchObject({ kind: 'firing', severity: 'info' });
    expect(lost.summary).toMatch(/; the cluster could not lose one more node \(/);
    expect(lost.evidence.canLoseOneMore).toMatch(/^no \(/);
  });

  test("EKS Auto Mode node repair: a NotReady node replaced is capacity lost, named as Auto Mode's", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.toNodePool([4, 5], 'general-purpose', { autoMode: true });
    await h.tick(3);
    h.steady.setCondition(5, {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      since: h.nextTime,
    });
    await h.tick(1);
    remove(h, 5);
    await h.tick(2);
    const [lost] = h.publisher.of('capacity-lost');
    expect(lost.summary).toMatch(
      /^NodePool general-purpose lost node .* \(EKS Auto Mode node repair or a failed instance \(node NotReady, then replaced\)\)/,
    );
    expect(lost.evidence).toMatchObject({ removedBy: 'eks-auto-mode' });
    expect(removalsEmitted(h)).toEqual({ 'eks-auto-mode': 1 });
  });

  test("an Auto Scaling group's Spot interruption the cluster absorbs is capacity lost too, told once its node is gone", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(3);
    const group = groupRemoves(
      h,
      5,
      'At 2026-11-23T12:03:00Z an instance was taken out of service in response to a Spot Instance interruption notice.',
    );
    // The group let it go at the notice; the node is still listed, NotReady, holding its pods: nothing is known yet.
    h.steady.setCondition(5, {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      since: h.nextTime,
    });
    await h.tick(2);
    expect(h.publisher.messages).toEqual([]);
    remove(h, 5);
    await h.tick(3);
    const [lost] = h.publisher.of('capacity-lost');
    expect(lost).toMatchObject({ kind: 'firing', severity: 'info', subject: { autoScalingGroup: group } });
    expect(lost.summary).toMatch(new RegExp(`^${esc(group)} lost node .* \\(a Spot interruption or rebalance\\); their pods fit`));
    expect(h.publisher.messages).toHaveLength(1);
  });
});

describe("CapacityRemovals: the dashboards' removals come from the removal model, every actor", () => {
  test("Auto Scaling removals are counted once each under the actor their activity names: an alarm's scale-in, an EC2 health replacement, a Spot interruption", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(3);
    groupRemoves(
      h,
      5,
      'At 2026-11-23T12:03:00Z a monitor alarm cpu-low in state ALARM triggered policy scale-in changing the desired capacity from 3 to 2.',
    );
    groupRemoves(
      h,
      4,
      'At 2026-11-23T12:03:00Z an instance was taken out of service in response to a EC2 health check indicating it has been terminated or stopped.',
    );
    groupRemoves(h, 3, 'At 2026-11-23T12:03:00Z an instance was taken out of service in response to a Spot Instance interruption notice.');
    await h.tick(1);
    expect(removalsEmitted(h)).toEqual({ 'auto-scaling': 1, 'ec2-health': 1, 'spot-interruption': 1 });
    await h.tick(3);
    expect(removalsEmitted(h)).toEqual({ 'auto-scaling': 1, 'ec2-health': 1, 'spot-interruption': 1 });
  });
});
