/** fast-check arbitraries for Vigil's domain objects, within the batch schema's limits. */
import fc from 'fast-check';
import type { Resources } from '../../model/kube-values';
import type { Container, KubeNode, KubeNodeMinute, NodeStats, Pod } from '../../model/domain';

const T0 = Date.UTC(2026, 0, 1);
export const time = fc.integer({ min: T0, max: T0 + 365 * 86_400_000 });
const seconds = fc.integer({ min: T0 / 1000, max: T0 / 1000 + 365 * 86_400 }).map((s) => s * 1000);
const anyTime = fc.oneof(time, seconds);
const name = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,30}[a-z0-9])?$/);
const text = fc.string({ maxLength: 40 });
const bytes = fc.oneof(
  fc.nat(),
  fc.nat({ max: 2 ** 22 }).map((n) => n * 4096),
  fc.nat({ max: 2 ** 20 }).map((n) => n * 1_048_576),
);
const quantity = fc.oneof(bytes, fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }));

function optional<T extends object>(required: { [K in keyof T]?: fc.Arbitrary<T[K]> }, opt: { [K in keyof T]?: fc.Arbitrary<T[K]> }) {
  return fc.record({ ...required, ...opt } as { [K in keyof T]: fc.Arbitrary<T[K]> }, {
    requiredKeys: Object.keys(required) as (keyof T)[] as never,
  });
}

export const resources: fc.Arbitrary<Resources> = optional<Resources>(
  {},
  { cpuMilli: quantity, memoryBytes: bytes, ephemeralStorageBytes: bytes, pods: fc.nat(250) },
);

export const container: fc.Arbitrary<Container> = optional<Container>(
  {
    name,
    image: fc.constantFrom('nginx:1.27', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2', 'ghcr.io/x/y@sha256:abc'),
    requests: resources,
    limits: resources,
    restarts: fc.nat(1000),
    state: fc.constantFrom('running', 'waiting', 'terminated', 'unknown'),
    ready: fc.boolean(),
  },
  {
    waitingReason: fc.constantFrom('CrashLoopBackOff', 'ImagePullBackOff', 'CreateContainerConfigError'),
    startedAt: anyTime,
    lastTermination: optional<{ reason: string; exitCode: number; finishedAt?: number }>(
      { reason: fc.constantFrom('OOMKilled', 'Error', 'Completed'), exitCode: fc.integer({ min: -1, max: 255 }) },
      { finishedAt: anyTime },
    ),
    usage: optional(
      {},
      { cpuMilli: quantity, memoryWorkingSetBytes: bytes, memoryRssBytes: bytes, rootfsUsedBytes: bytes, logsUsedBytes: bytes },
    ),
  },
);

export const pod = (nodeName?: string): fc.Arbitrary<Pod> =>
  optional<Pod>(
    {
      uid: fc.uuid(),
      namespace: name,
      name,
      phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'),
      workload: fc.record({ kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'Pod'), name }),
      labels: fc.dictionary(fc.constantFrom('app', 'app.kubernetes.io/name', 'tier', 'team'), name, { maxKeys: 4 }),
      ready: fc.boolean(),
      containers: fc.array(container, { minLength: 1, maxLength: 4 }),
    },
    {
      ...(nodeName ? { node: fc.constant(nodeName) } : {}),
      qos: fc.constantFrom('Guaranteed', 'Burstable', 'BestEffort'),
      reason: fc.constantFrom('Evicted', 'NodeLost'),
      unschedulable: fc.record({ reason: fc.constant('Unschedulable'), message: text }),
      createdAt: anyTime,
      startedAt: anyTime,
      ephemeralStorageUsedBytes: bytes,
    },
  );

export const kubeNode: fc.Arbitrary<KubeNode> = optional<KubeNode>(
  {
    name,
    conditions: fc.array(
      optional<KubeNode['conditions'][number]>(
        {
          type: fc.constantFrom('Ready', 'MemoryPressure', 'DiskPressure', 'KernelDeadlock'),
          status: fc.constantFrom('True', 'False', 'Unknown'),
        },
        { reason: text, message: text, since: anyTime },
      ),
      { maxLength: 5 },
    ),
    capacity: resources,
    allocatable: resources,
    taints: fc.array(
      optional<KubeNode['taints'][number]>(
        { key: name, effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute') },
        { value: name },
      ),
      { maxLength: 2 },
    ),
    unschedulable: fc.boolean(),
  },
  {
    instanceId: fc.stringMatching(/^i-[0-9a-f]{17}$/),
    zone: fc.constantFrom('eu-west-1a', 'eu-west-1b'),
    nodeGroup: name,
    capacityType: fc.constantFrom('on-demand', 'spot'),
    deleting: fc.boolean(),
    createdAt: anyTime,
  },
);

export const nodeStats: fc.Arbitrary<NodeStats> = optional<NodeStats>(
  {},
  {
    cpuMilli: quantity,
    memoryWorkingSetBytes: bytes,
    memoryAvailableBytes: bytes,
    fsAvailableBytes: bytes,
    fsCapacityBytes: bytes,
    fsInodesFree: fc.nat(),
    processes: fc.nat(100_000),
    maxPid: fc.nat(4_194_304),
  },
);

export const kubeNodeMinute: fc.Arbitrary<KubeNodeMinute> = kubeNode.chain((node) =>
  optional<KubeNodeMinute>(
    {
      minute: time.map((t) => Math.floor(t / 60_000) * 60_000),
      collectedAt: time,
      node: fc.constant(node),
      pods: fc.array(pod(node.name), { maxLength: 8 }),
    },
    { stats: nodeStats, scrapeError: fc.record({ node: fc.constant(node.name), kind: fc.constantFrom('timeout', 'http'), message: text }) },
  ),
);
