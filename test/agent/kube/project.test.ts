import {
  clip,
  projectDaemonSet,
  projectDeployment,
  projectEvent,
  projectNode,
  projectPod,
  projectStatefulSet,
  clipLabels,
} from '../../../agent/kube/project';
import { workloadOf } from '../../../agent/kube/owners';
import type { EventObject, NodeObject, PodObject } from '../../../agent/kube/objects';
import { asSummary, CpuTracker, usageOf, withUsage } from '../../../agent/kubelet/summary';
import { BATCH_LIMITS } from '../../../model/batch';

/** An EKS managed-node-group node, as `kubectl get node -o json` shows it (trimmed). */
const eksNode: NodeObject = {
  metadata: {
    name: 'ip-10-0-12-34.eu-west-1.compute.internal',
    uid: '3f1e0c2a-9b7d-4e21-8a55-0d6c4f2b9e11',
    creationTimestamp: '2026-11-20T08:15:02Z',
    labels: {
      'node.kubernetes.io/instance-type': 'm6i.xlarge',
      'topology.kubernetes.io/zone': 'eu-west-1b',
      'eks.amazonaws.com/nodegroup': 'general',
      'eks.amazonaws.com/capacityType': 'SPOT',
    },
  },
  spec: {
    providerID: 'aws:///eu-west-1b/i-0abc1234def567890',
    unschedulable: true,
    taints: [
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      { key: 'ToBeDeletedByClusterAutoscaler', value: '1795000000', effect: 'NoSchedule' },
      { key: 'bogus', effect: 'Sometimes' },
    ],
  },
  status: {
    capacity: { cpu: '4', memory: '15896596Ki', 'ephemeral-storage': '83873772Ki', pods: '58' },
    allocatable: { cpu: '3920m', memory: '14880788Ki', 'ephemeral-storage': '76224326324', pods: '58' },
    conditions: [
      {
        type: 'MemoryPressure',
        status: 'True',
        reason: 'KubeletHasInsufficientMemory',
        message: 'kubelet has insufficient memory available',
        lastTransitionTime: '2026-11-23T11:58:00Z',
      },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: '2026-11-20T08:15:40Z' },
      { type: 'KernelDeadlock', status: 'False', reason: 'KernelHasNoDeadlock' },
    ],
    addresses: [
      { type: 'Hostname', address: 'ip-10-0-12-34.eu-west-1.compute.internal' },
      { type: 'InternalIP', address: '10.0.12.34' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: { kubeletVersion: 'v1.33.5-eks-113cf36' },
  },
};

describe('projectNode', () => {
  it('keeps conditions (any type), resources, taints, cordon, the EC2 instance and the labels that matter', () => {
    const r = projectNode(eksNode);
    expect(r?.kubelet).toEqual({ node: 'ip-10-0-12-34.eu-west-1.compute.internal', address: '10.0.12.34', port: 10250 });
    expect(r?.node).toEqual({
      name: 'ip-10-0-12-34.eu-west-1.compute.internal',
      uid: '3f1e0c2a-9b7d-4e21-8a55-0d6c4f2b9e11',
      providerId: 'aws:///eu-west-1b/i-0abc1234def567890',
      instanceId: 'i-0abc1234def567890',
      instanceType: 'm6i.xlarge',
      zone: 'eu-west-1b',
      capacityType: 'spot',
      nodeGroup: 'general',
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientMemory',
          message: 'kubelet has insufficient memory available',
          since: Date.parse('2026-11-23T11:58:00Z'),
        },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', since: Date.parse('2026-11-20T08:15:40Z') },
        { type: 'KernelDeadlock', status: 'False', reason: 'KernelHasNoDeadlock' },
      ],
      capacity: { cpuMilli: 4000, memoryBytes: 15896596 * 1024, ephemeralStorageBytes: 83873772 * 1024, pods: 58 },
      allocatable: { cpuMilli: 3920, memoryBytes: 14880788 * 1024, ephemeralStorageBytes: 76224326324, pods: 58 },
      taints: [
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
        { key: 'ToBeDeletedByClusterAutoscaler', value: '1795000000', effect: 'NoSchedule' },
      ],
      unschedulable: true,
      createdAt: Date.parse('2026-11-20T08:15:02Z'),
      kubeletVersion: 'v1.33.5-eks-113cf36',
    });
  });

  it('reads Karpenter and Fargate nodes, and defaults the kubelet port', () => {
    const karpenter = projectNode({
      metadata: {
        name: 'k',
        labels: { 'karpenter.sh/nodepool': 'default', 'karpenter.sh/capacity-type': 'on-demand' },
        deletionTimestamp: '2026-11-23T12:00:00Z',
      },
      status: { addresses: [{ type: 'ExternalIP', address: '3.3.3.3' }] },
    });
    expect(karpenter?.node).toMatchObject({ nodePool: 'default', capacityType: 'on-demand', deleting: true });
    expect(karpenter?.kubelet).toEqual({ node: 'k', address: '3.3.3.3', port: 10250 });
    // EKS Auto Mode labels its nodes compute-type auto: AWS runs Karpenter for them.
    const auto = projectNode({
      metadata: { name: 'a', labels: { 'karpenter.sh/nodepool': 'general-purpose', 'eks.amazonaws.com/compute-type': 'auto' } },
    });
    expect(auto?.node).toMatchObject({ nodePool: 'general-purpose', autoMode: true });
    expect(karpenter?.node.autoMode).toBeUndefined();
    const fargate = projectNode({
      metadata: { name: 'fargate-ip-10-0-1-1.eu-west-1.compute.internal', labels: { 'eks.amazonaws.com/compute-type': 'fargate' } },
      spec: { providerID: 'aws:///eu-west-1a/0f3d6e8c9a/fargate-ip-10-0-1-1.eu-west-1.compute.internal' },
    });
    expect(fargate?.node.capacityType).toBe('fargate');
    expect(fargate?.node.instanceId).toBeUndefined();
  });
});

/** A Deployment pod whose container was OOM-killed and is now crash-looping, with a sidecar. */
const crashingPod: PodObject = {
  metadata: {
    name: 'cart-7d9f8c6b5-x2v4q',
    namespace: 'orders',
    uid: '9a1b2c3d-0000-4000-8000-000000000001',
    creationTimestamp: '2026-11-23T09:00:00Z',
    labels: { app: 'cart', 'pod-template-hash': '7d9f8c6b5' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-7d9f8c6b5', uid: 'rs-uid', controller: true }],
  },
  spec: {
    nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal',
    initContainers: [
      { name: 'migrate', image: 'cart-migrate:3' },
      { name: 'envoy', image: 'envoy:1.29', restartPolicy: 'Always', resources: { requests: { cpu: '50m', memory: '64Mi' } } },
    ],
    containers: [
      { name: 'cart', image: 'cart:3.4.1', resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
    ],
  },
  status: {
    phase: 'Running',
    qosClass: 'Burstable',
    startTime: '2026-11-23T09:00:02Z',
    conditions: [
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
      { type: 'PodScheduled', status: 'True' },
    ],
    initContainerStatuses: [
      {
        name: 'migrate',
        ready: false,
        restartCount: 0,
        state: { terminated: { reason: 'Completed', exitCode: 0, finishedAt: '2026-11-23T09:00:10Z' } },
      },
      { name: 'envoy', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-23T09:00:11Z' } } },
    ],
    containerStatuses: [
      {
        name: 'cart',
        image: 'cart:3.4.1',
        ready: false,
        restartCount: 7,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
        lastState: {
          terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2026-11-23T11:50:00Z', finishedAt: '2026-11-23T11:55:12Z' },
        },
      },
    ],
  },
};

describe('projectPod', () => {
  it('keeps phase, QoS, readiness, and per container requests, limits, restarts, state, waiting reason and last termination', () => {
    const r = projectPod(crashingPod);
    expect(r?.controller).toEqual({ kind: 'ReplicaSet', name: 'cart-7d9f8c6b5', uid: 'rs-uid' });
    expect(r?.templateHash).toBe('7d9f8c6b5');
    expect(r?.pod).toMatchObject({
      uid: '9a1b2c3d-0000-4000-8000-000000000001',
      namespace: 'orders',
      name: 'cart-7d9f8c6b5-x2v4q',
      node: 'ip-10-0-12-34.eu-west-1.compute.internal',
      phase: 'Running',
      qos: 'Burstable',
      ready: false,
      labels: { app: 'cart', 'pod-template-hash': '7d9f8c6b5' },
      startedAt: Date.parse('2026-11-23T09:00:02Z'),
    });
    // The finished init container is gone; the sidecar stays; the app container is there with its history.
    expect(r?.pod.containers).toEqual([
      {
        name: 'envoy',
        image: 'envoy:1.29',
        requests: { cpuMilli: 50, memoryBytes: 64 * 2 ** 20 },
        limits: {},
        restarts: 0,
        state: 'running',
        ready: true,
        startedAt: Date.parse('2026-11-23T09:00:11Z'),
      },
      {
        name: 'cart',
        image: 'cart:3.4.1',
        requests: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
        limits: { memoryBytes: 512 * 2 ** 20 },
        restarts: 7,
        state: 'waiting',
        waitingReason: 'CrashLoopBackOff',
        ready: false,
        lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: Date.parse('2026-11-23T11:55:12Z') },
      },
    ]);
  });

  it('reports why a pod is unschedulable, and an init container that keeps it from starting', () => {
    const r = projectPod({
      metadata: { name: 'p', namespace: 'n', uid: 'u' },
      spec: { initContainers: [{ name: 'init', image: 'i' }], containers: [{ name: 'c', image: 'c' }] },
      status: {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/5 nodes are available: 5 Insufficient memory.' },
        ],
        initContainerStatuses: [{ name: 'init', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      },
    });
    expect(r?.pod.unschedulable).toEqual({ reason: 'Unschedulable', message: '0/5 nodes are available: 5 Insufficient memory.' });
    expect(r?.pod.containers.map((c) => [c.name, c.state, c.waitingReason ?? '', c.restarts])).toEqual([
      ['init', 'waiting', 'CrashLoopBackOff', 3],
      ['c', 'unknown', '', 0],
    ]);
    expect(r?.controller).toBeUndefined();
  });

  it('reports a running ephemeral (kubectl debug) container with its usage, and forgets it once it exited', () => {
    const r = projectPod({
      metadata: { name: 'api-0', namespace: 'shop', uid: 'u-api' },
      spec: {
        nodeName: 'n1',
        containers: [{ name: 'api', image: 'api:1' }],
        ephemeralContainers: [
          { name: 'debugger-x7k', image: 'busybox:1.36' },
          { name: 'debugger-old', image: 'busybox:1.36' },
        ],
      },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'api', ready: true, state: { running: { startedAt: '2026-11-23T09:00:00Z' } } }],
        ephemeralContainerStatuses: [
          { name: 'debugger-x7k', state: { running: { startedAt: '2026-11-23T10:00:00Z' } } },
          { name: 'debugger-old', state: { terminated: { exitCode: 130, reason: 'Error' } } },
        ],
      },
    });
    expect(r?.pod.containers.map((c) => [c.name, c.state])).toEqual([
      ['api', 'running'],
      ['debugger-x7k', 'running'],
    ]);
    const usage = usageOf(
      asSummary({
        node: { nodeName: 'n1' },
        pods: [
          {
            podRef: { name: 'api-0', namespace: 'shop', uid: 'u-api' },
            containers: [
              { name: 'api', memory: { workingSetBytes: 3e8 } },
              { name: 'debugger-x7k', memory: { workingSetBytes: 9e8 } },
            ],
          },
        ],
      }),
      new CpuTracker(),
    );
    const pod = withUsage({ ...r!.pod, workload: { kind: 'Pod', name: 'api-0' } }, usage);
    expect(pod.containers.map((c) => c.usage?.memoryWorkingSetBytes)).toEqual([3e8, 9e8]);
  });

  it("marks a mirror pod with its static pod's config hash", () => {
    const r = projectPod({
      metadata: {
        name: 'etcd-cp-1',
        namespace: 'kube-system',
        uid: 'mirror-uid',
        annotations: { 'kubernetes.io/config.mirror': 'eaf7d48161d81d9c3359e1c008571fd6', 'kubernetes.io/config.source': 'file' },
      },
      spec: { nodeName: 'cp-1', containers: [{ name: 'etcd', image: 'etcd:3.5' }] },
      status: { phase: 'Running' },
    });
    expect(r?.pod).toMatchObject({ uid: 'mirror-uid', configHash: 'eaf7d48161d81d9c3359e1c008571fd6' });
    expect(projectPod(crashingPod)?.pod.configHash).toBeUndefined();
  });

  it('clips what the batch schema bounds: labels, messages', () => {
    const labels = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    expect(Object.keys(clipLabels(labels))).toHaveLength(BATCH_LIMITS.maxLabels);
    const r = projectPod({
      metadata: { name: 'p', namespace: 'n', uid: 'u' },
      status: { phase: 'Weird', conditions: [{ type: 'PodScheduled', status: 'False', message: 'x'.repeat(5000) }] },
    });
    expect(r?.pod.phase).toBe('Unknown');
    expect(Buffer.byteLength(r!.pod.unschedulable!.message!)).toBe(BATCH_LIMITS.maxMessageLength);
    expect(r?.pod.unschedulable?.message?.endsWith('…')).toBe(true);
  });
});

describe('workloadOf', () => {
  const owners = {
    replicaSet: (ns: string, name: string) =>
      ns === 'orders' && name === 'cart-7d9f8c6b5'
        ? { name, owner: { kind: 'Deployment', name: 'cart' } }
        : name === 'bare-rs'
          ? { name }
          : name === 'rollout-rs'
            ? { name, owner: { kind: 'Rollout', name: 'cart-canary' } }
            : undefined,
    job: (_ns: string, name: string) => (name === 'report-29012345' ? { name, owner: { kind: 'CronJob', name: 'report' } } : undefined),
  };
  const rec = (kind: string, name: string, templateHash?: string) => ({
    pod: { ...(projectPod(crashingPod)?.pod as NonNullable<ReturnType<typeof projectPod>>['pod']), name: 'pod-x' },
    controller: { kind, name },
    ...(templateHash ? { templateHash } : {}),
  });

  it.each([
    ['ReplicaSet', 'cart-7d9f8c6b5', undefined, { kind: 'Deployment', name: 'cart' }],
    ['ReplicaSet', 'web-5c7d8f9b6', '5c7d8f9b6', { kind: 'Deployment', name: 'web' }],
    ['ReplicaSet', 'bare-rs', undefined, { kind: 'ReplicaSet', name: 'bare-rs' }],
    ['ReplicaSet', 'rollout-rs', undefined, { kind: 'Other', name: 'cart-canary' }],
    ['ReplicaSet', 'unknown-rs', undefined, { kind: 'ReplicaSet', name: 'unknown-rs' }],
    ['Job', 'report-29012345', undefined, { kind: 'CronJob', name: 'report' }],
    ['Job', 'one-off', undefined, { kind: 'Job', name: 'one-off' }],
    ['StatefulSet', 'postgres', undefined, { kind: 'StatefulSet', name: 'postgres' }],
    ['DaemonSet', 'aws-node', undefined, { kind: 'DaemonSet', name: 'aws-node' }],
    ['Node', 'ip-10-0-12-34', undefined, { kind: 'Node', name: 'ip-10-0-12-34' }],
    ['SparkApplication', 'etl', undefined, { kind: 'Other', name: 'etl' }],
  ])('a pod of %s %s belongs to %j', (kind, name, hash, expected) => {
    expect(workloadOf(rec(kind, name, hash), owners)).toEqual(expected);
  });

  it('a pod with no controller is its own workload', () => {
    const pod = projectPod(crashingPod)?.pod as NonNullable<ReturnType<typeof projectPod>>['pod'];
    expect(workloadOf({ pod: { ...pod, name: 'debug' } }, owners)).toEqual({ kind: 'Pod', name: 'debug' });
  });
});

describe('workload status', () => {
  it('compares desired with ready, available and updated replicas', () => {
    const meta = { name: 'cart', namespace: 'orders', labels: { app: 'cart' } };
    expect(
      projectDeployment({ metadata: meta, spec: { replicas: 5 }, status: { readyReplicas: 3, availableReplicas: 3, updatedReplicas: 5 } }),
    ).toEqual({
      namespace: 'orders',
      name: 'cart',
      labels: { app: 'cart' },
      kind: 'Deployment',
      desired: 5,
      ready: 3,
      available: 3,
      updated: 5,
    });
    expect(projectStatefulSet({ metadata: meta, spec: {}, status: {} })).toMatchObject({ kind: 'StatefulSet', desired: 1, ready: 0 });
    expect(
      projectDaemonSet({
        metadata: meta,
        status: { desiredNumberScheduled: 50, numberReady: 49, numberAvailable: 48, updatedNumberScheduled: 50 },
      }),
    ).toMatchObject({ kind: 'DaemonSet', desired: 50, ready: 49, available: 48, updated: 50 });
  });
});

describe('projectEvent', () => {
  const warning: EventObject = {
    metadata: { name: 'cart-7d9f8c6b5-x2v4q.1879a', namespace: 'orders', creationTimestamp: '2026-11-23T11:00:00Z' },
    involvedObject: { kind: 'Pod', name: 'cart-7d9f8c6b5-x2v4q', namespace: 'orders', uid: '9a1b2c3d' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container cart',
    type: 'Warning',
    count: 42,
    firstTimestamp: '2026-11-23T11:00:00Z',
    lastTimestamp: '2026-11-23T11:59:30Z',
    source: { component: 'kubelet', host: 'ip-10-0-12-34.eu-west-1.compute.internal' },
  };

  it('clips by UTF-8 bytes, never splitting a character, so a multi-byte name fits the schema and DynamoDB keys', () => {
    const reason = '障害'.repeat(200) + '🔥'.repeat(10);
    const e = projectEvent({ ...warning, reason });
    const clipped = e!.reason;
    expect(clipped.length).toBeLessThan(reason.length);
    expect(Buffer.byteLength(clipped)).toBeLessThanOrEqual(BATCH_LIMITS.maxNameLength);
    expect(clipped).toBe('障害'.repeat(41) + '障…');
    expect(Buffer.from(clipped).toString()).toBe(clipped);
    expect(clip('🔥🔥🔥', 9)).toBe('🔥…');
  });

  it("keeps Karpenter's DisruptionTerminating on a node (why it removes it), not its other Normal events", () => {
    const disruption: EventObject = {
      ...warning,
      involvedObject: { kind: 'Node', name: 'ip-10-0-1-2.eu-west-1.compute.internal', uid: 'n1' },
      reason: 'DisruptionTerminating',
      type: 'Normal',
      message: 'Disrupting Node: Underutilized',
      source: { component: 'karpenter' },
    };
    expect(projectEvent(disruption)).toMatchObject({
      reason: 'DisruptionTerminating',
      type: 'Normal',
      message: 'Disrupting Node: Underutilized',
      objectKind: 'Node',
    });
    expect(projectEvent({ ...disruption, reason: 'Unconsolidatable', message: "can't replace with a lower-priced node" })).toBeUndefined();
  });

  it("keeps Karpenter's DisruptionBlocked on a node (why a drifted node is not replaced)", () => {
    // kubernetes-sigs/karpenter pkg/controllers/disruption/events/events.go: Blocked(), a Normal event on the node and its NodeClaim;
    // the message in the wording Karpenter's disruption tests expect.
    const blocked: EventObject = {
      ...warning,
      involvedObject: { kind: 'Node', name: 'ip-10-0-1-2.eu-west-1.compute.internal', uid: 'n1' },
      reason: 'DisruptionBlocked',
      type: 'Normal',
      message: 'Pdb prevents pod evictions (PodDisruptionBudget=[shop/web])',
      source: { component: 'karpenter' },
    };
    expect(projectEvent(blocked)).toMatchObject({
      reason: 'DisruptionBlocked',
      type: 'Normal',
      objectKind: 'Node',
      message: 'Pdb prevents pod evictions (PodDisruptionBudget=[shop/web])',
    });
  });

  it('keeps Warning events with their count, first and last time and node', () => {
    expect(projectEvent(warning)).toEqual({
      objectUid: '9a1b2c3d',
      objectKind: 'Pod',
      objectName: 'cart-7d9f8c6b5-x2v4q',
      namespace: 'orders',
      reason: 'BackOff',
      type: 'Warning',
      message: 'Back-off restarting failed container cart',
      count: 42,
      firstSeen: Date.parse('2026-11-23T11:00:00Z'),
      lastSeen: Date.parse('2026-11-23T11:59:30Z'),
      node: 'ip-10-0-12-34.eu-west-1.compute.internal',
      source: 'kubelet',
    });
  });

  it('reads events.k8s.io series, and keeps Normal events only for node pressure and capacity', () => {
    const series = projectEvent({
      ...warning,
      count: undefined,
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: '2026-11-23T11:00:00.000000Z',
      series: { count: 9, lastObservedTime: '2026-11-23T11:30:00.000000Z' },
    });
    expect(series).toMatchObject({ count: 9, firstSeen: Date.parse('2026-11-23T11:00:00Z'), lastSeen: Date.parse('2026-11-23T11:30:00Z') });
    const pressure = projectEvent({
      ...warning,
      type: 'Normal',
      reason: 'NodeHasInsufficientMemory',
      involvedObject: { kind: 'Node', name: 'ip-10-0-12-34' },
    });
    expect(pressure).toMatchObject({ objectUid: 'Node//ip-10-0-12-34', node: 'ip-10-0-12-34', type: 'Normal' });
    expect(projectEvent({ ...warning, type: 'Normal', reason: 'Pulled' })).toBeUndefined();
    expect(projectEvent({ ...warning, type: 'Normal', reason: 'Starting', involvedObject: { kind: 'Node', name: 'n' } })).toBeUndefined();
  });
});
