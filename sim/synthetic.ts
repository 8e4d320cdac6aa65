/**
 * A synthetic but realistic EKS cluster, deterministic from a seed: for property tests, the store's
 * tests and `npm run bench`. Shapes follow a typical EKS node: a handful of DaemonSet pods
 * (aws-node with two containers, kube-proxy, ebs-csi-node, eks-pod-identity-agent) and app pods whose
 * names, labels and images look like real Deployment pods.
 */
import type { AgentBatch, NodeReport } from '../model/batch';
import type {
  AgentStatus,
  AutoScalingGroup,
  Container,
  Host,
  HostMetrics,
  HostNodeMinute,
  KubeNodeMinute,
  Pod,
  WorkloadStatus,
} from '../model/domain';
import { minuteOf, type EpochMs, type Minute } from '../model/time';

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticClusterOptions {
  readonly cluster?: string;
  readonly nodes: number;
  /** Pods per node, DaemonSet pods included. @default 30 */
  readonly podsPerNode?: number;
  /** Average containers per app pod; DaemonSet pods have their own. @default 2 */
  readonly containersPerPod?: number;
  readonly seed?: number;
  /** @default 2026-11-23T12:00:00Z */
  readonly now?: EpochMs;
}

export interface SyntheticCluster {
  readonly cluster: string;
  readonly reports: NodeReport[];
  readonly workloads: WorkloadStatus[];
  readonly hosts: Host[];
}

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';

export function syntheticCluster(opts: SyntheticClusterOptions): SyntheticCluster {
  const rand = rng(opts.seed ?? 1);
  const cluster = opts.cluster ?? 'prod-eu-1';
  const now = opts.now ?? Date.UTC(2026, 10, 23, 12, 0, 0);
  const podsPerNode = opts.podsPerNode ?? 30;
  const containersPerPod = opts.containersPerPod ?? 2;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const suffix = (n: number) => Array.from({ length: n }, () => pick([...ALPHANUM])).join('');
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');

  const daemonSets = [
    { ns: 'kube-system', name: 'aws-node', containers: ['aws-node', 'aws-eks-nodeagent'] },
    { ns: 'kube-system', name: 'kube-proxy', containers: ['kube-proxy'] },
    { ns: 'kube-system', name: 'ebs-csi-node', containers: ['ebs-plugin', 'node-driver-registrar', 'liveness-probe'] },
    { ns: 'kube-system', name: 'eks-pod-identity-agent', containers: ['eks-pod-identity-agent'] },
  ].map((ds) => ({ ...ds, revision: suffix(10), version: `v1.19.${Math.floor(rand() * 5)}-eksbuild.1` }));
  const appPodsPerNode = Math.max(0, podsPerNode - daemonSets.length);
  const totalAppPods = appPodsPerNode * opts.nodes;
  const namespaces = ['orders', 'payments', 'catalog', 'search', 'web', 'identity', 'shipping', 'monitoring'];
  // About 5 replicas per Deployment, like a mid-sized production cluster.
  const deployments = Array.from({ length: Math.max(1, Math.ceil(totalAppPods / 5)) }, (_, i) => {
    const ns = namespaces[i % namespaces.length];
    const name = `${pick(['api', 'worker', 'web', 'cart', 'checkout', 'search', 'auth', 'render'])}-${i}`;
    const sidecar = rand() < containersPerPod - 1;
    return {
      ns,
      name,
      hash: suffix(10),
      image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${name.replace(/-\d+$/, '')}:1.${Math.floor(rand() * 40)}.${Math.floor(rand() * 10)}`,
      containers: sidecar ? [name.replace(/-\d+$/, ''), 'envoy'] : [name.replace(/-\d+$/, '')],
      memRequest: pick([128, 256, 512, 1024]) * MiB,
      cpuRequest: pick([100, 250, 500]),
      replicas: 0,
      // Pods of one Deployment are created by one rollout, within a few minutes of each other.
      rolledOutAt: Math.floor((now - rand() * 5 * 86_400_000) / 1000) * 1000,
    };
  });

  const reports: NodeReport[] = [];
  const hosts: Host[] = [];
  let appPod = 0;
  for (let n = 0; n < opts.nodes; n++) {
    const zone = ZONES[n % ZONES.length];
    const instanceId = `i-0${hex(16)}`;
    const ip = `10.0.${Math.floor(n / 250)}.${(n % 250) + 4}`;
    const nodeName = `ip-${ip.replace(/\./g, '-')}.eu-west-1.compute.internal`;
    const nodeGroup = n % 5 === 4 ? 'spot-general' : 'general';
    const capacityType = nodeGroup === 'spot-general' ? 'spot' : 'on-demand';
    const launched = now - Math.floor(rand() * 20 * 86_400) * 1000;
    hosts.push({
      instanceId,
      instanceType: 'm6i.xlarge',
      zone,
      capacityType,
      state: 'running',
      launchTime: launched,
      privateDnsName: nodeName,
      privateIp: ip,
      autoScalingGroup: `eks-${nodeGroup}-5ec8a1b2-${n % 2}`,
      nodeGroup,
    });

    const pods: Pod[] = [];
    const container = (cname: string, image: string, memReq: number | undefined, cpuReq: number, podStart: EpochMs): Container => {
      const restarts = rand() < 0.05 ? Math.floor(rand() * 5) + 1 : 0;
      // The kubelet reports memory in whole pages.
      const ws = Math.floor(((memReq ?? 256 * MiB) * (0.3 + rand() * 0.6)) / 4096) * 4096;
      return {
        name: cname,
        image,
        requests: memReq === undefined ? { cpuMilli: cpuReq } : { cpuMilli: cpuReq, memoryBytes: memReq },
        limits: memReq === undefined ? {} : { memoryBytes: memReq * 2 },
        restarts,
        state: 'running',
        ready: true,
        startedAt: restarts > 0 ? podStart + Math.floor(rand() * 3600) * 1000 : podStart + Math.floor(rand() * 3) * 1000,
        ...(restarts > 0
          ? {
              lastTermination: {
                reason: rand() < 0.5 ? 'OOMKilled' : 'Error',
                exitCode: 137,
                finishedAt: now - Math.floor(rand() * 86_400) * 1000,
              },
            }
          : {}),
        usage: {
          cpuMilli: Math.floor(cpuReq * rand() * 1.2),
          memoryWorkingSetBytes: ws,
          memoryRssBytes: Math.floor((ws * 0.8) / 4096) * 4096,
          rootfsUsedBytes: 4096 * (10 + Math.floor(rand() * 20)),
          logsUsedBytes: 4096 * (2 + Math.floor(rand() * 1200)),
        },
      };
    };
    for (const ds of daemonSets) {
      const podName = `${ds.name}-${suffix(5)}`;
      const dsStart = launched + 30_000 + Math.floor(rand() * 20) * 1000;
      pods.push({
        uid: uuid(hex),
        namespace: ds.ns,
        name: podName,
        node: nodeName,
        phase: 'Running',
        qos: 'Burstable',
        workload: { kind: 'DaemonSet', name: ds.name },
        labels: { 'app.kubernetes.io/name': ds.name, 'controller-revision-hash': ds.revision, 'pod-template-generation': '3' },
        ready: true,
        createdAt: dsStart - 2000,
        startedAt: dsStart,
        containers: ds.containers.map((c) =>
          container(c, `602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/${c}:${ds.version}`, 64 * MiB, 25, dsStart),
        ),
      });
    }
    for (let p = 0; p < appPodsPerNode; p++, appPod++) {
      const d = deployments[appPod % deployments.length];
      d.replicas++;
      // One in ten apps sets no memory request (the domino effect's accomplice).
      const memReq = appPod % 10 === 7 ? undefined : d.memRequest;
      const created = d.rolledOutAt + Math.floor(rand() * 240) * 1000;
      pods.push({
        uid: uuid(hex),
        namespace: d.ns,
        name: `${d.name}-${d.hash}-${suffix(5)}`,
        node: nodeName,
        phase: 'Running',
        qos: memReq === undefined ? 'BestEffort' : 'Burstable',
        workload: { kind: 'Deployment', name: d.name },
        labels: { app: d.name, 'app.kubernetes.io/name': d.name, 'app.kubernetes.io/part-of': d.ns, 'pod-template-hash': d.hash },
        ready: true,
        createdAt: created,
        startedAt: created + 3000,
        containers: d.containers.map((c, i) =>
          container(c, i === 0 ? d.image : 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod', memReq, d.cpuRequest, created + 3000),
        ),
        ephemeralStorageUsedBytes: 4096 * Math.floor(rand() * 12_800),
      });
    }
    const memTotal = 16 * GiB;
    const ws = Math.floor((memTotal * (0.4 + rand() * 0.3)) / 4096) * 4096;
    reports.push({
      node: {
        name: nodeName,
        uid: uuid(hex),
        providerId: `aws:///${zone}/${instanceId}`,
        instanceId,
        instanceType: 'm6i.xlarge',
        zone,
        capacityType,
        nodeGroup,
        conditions: [
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', since: launched },
          { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', since: launched },
          { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', since: launched },
          { type: 'Ready', status: 'True', reason: 'KubeletReady', since: launched + 20_000 },
        ],
        capacity: { cpuMilli: 4000, memoryBytes: memTotal, ephemeralStorageBytes: 80 * GiB, pods: 58 },
        allocatable: { cpuMilli: 3920, memoryBytes: memTotal - 1300 * MiB, ephemeralStorageBytes: 72 * GiB, pods: 58 },
        taints: [],
        unschedulable: false,
        createdAt: launched + 15_000,
        kubeletVersion: 'v1.33.5-eks-113cf36',
      },
      stats: {
        cpuMilli: Math.floor(4000 * (0.2 + rand() * 0.4)),
        memoryWorkingSetBytes: ws,
        memoryAvailableBytes: memTotal - ws,
        memoryRssBytes: Math.floor(ws * 0.7),
        fsAvailableBytes: Math.floor(80 * GiB * (0.3 + rand() * 0.5)),
        fsCapacityBytes: 80 * GiB,
        fsInodesFree: 40_000_000 + Math.floor(rand() * 1_000_000),
        fsInodes: 41_943_040,
        imageFsAvailableBytes: Math.floor(80 * GiB * (0.3 + rand() * 0.5)),
        imageFsCapacityBytes: 80 * GiB,
        processes: 600 + Math.floor(rand() * 600),
        maxPid: 4_194_304,
      },
      pods,
    });
  }
  const workloads: WorkloadStatus[] = [
    ...daemonSets.map((ds) => ({
      namespace: ds.ns,
      kind: 'DaemonSet' as const,
      name: ds.name,
      desired: opts.nodes,
      ready: opts.nodes,
      available: opts.nodes,
      updated: opts.nodes,
    })),
    ...deployments.map((d) => ({
      namespace: d.ns,
      kind: 'Deployment' as const,
      name: d.name,
      desired: d.replicas,
      ready: d.replicas,
      available: d.replicas,
      updated: d.replicas,
    })),
  ];
  return { cluster, reports, workloads, hosts };
}

function uuid(hex: (n: number) => string): string {
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

export function syntheticAgentStatus(now: EpochMs): AgentStatus {
  return {
    version: '0.1.0',
    startedAt: now - 3_600_000,
    cycles: 60,
    batchesSent: 60,
    bytesSent: 60 * 48_000,
    buffered: 0,
    droppedBatches: 0,
    pushFailures: 0,
    scrapeErrors: {},
  };
}

/** A full agent batch of the synthetic cluster, collected at `collectedAt`. */
export function syntheticBatch(c: SyntheticCluster, collectedAt: EpochMs, seq = 1): AgentBatch {
  return {
    v: 1,
    cluster: c.cluster,
    kind: 'full',
    seq,
    collectedAt,
    sentAt: collectedAt + 150,
    agent: syntheticAgentStatus(collectedAt),
    nodes: c.reports,
    unscheduledPods: [],
    workloads: c.workloads,
    events: [],
    controlPlane: {
      apiCalls: 12,
      apiErrors: 0,
      apiThrottled: 0,
      apiLatencyMsP50: 8,
      apiLatencyMsP99: 40,
      readyz: {
        ok: true,
        checks: [
          { name: 'etcd', ok: true },
          { name: 'ping', ok: true },
        ],
      },
    },
    scrapeErrors: [],
  };
}

/** The Kubernetes parts of every node of the synthetic cluster for one minute. */
export function syntheticKubeMinutes(c: SyntheticCluster, collectedAt: EpochMs): KubeNodeMinute[] {
  return c.reports.map((r) => ({ minute: minuteOf(collectedAt), collectedAt, node: r.node, stats: r.stats, pods: r.pods }));
}

/** The host parts of every instance of the synthetic cluster for one minute. */
export function syntheticHostMinutes(c: SyntheticCluster, minute: Minute, seed = 7): HostNodeMinute[] {
  const rand = rng(seed + minute / 60_000);
  return c.hosts.map((host) => {
    const metrics: HostMetrics = {
      cpuPct: Math.round(rand() * 6000) / 100,
      networkInBytes: Math.floor(rand() * 50_000_000),
      networkOutBytes: Math.floor(rand() * 50_000_000),
      ebsReadOps: Math.floor(rand() * 3000),
      ebsWriteOps: Math.floor(rand() * 6000),
      ebsReadBytes: Math.floor(rand() * 30_000_000),
      ebsWriteBytes: Math.floor(rand() * 90_000_000),
      statusCheckFailed: 0,
    };
    return { minute, periodMinutes: 1, collectedAt: minute + 240_000, host, metrics };
  });
}

/**
 * The next minute of a synthetic cluster: one pod on each of `nodes` nodes replaced by a new one (a rollout
 * or a rescheduling, so those nodes' pod specs change) and the nodes' CPU moving.
 */
export function replacePods(c: SyntheticCluster, minute: EpochMs, nodes: number): SyntheticCluster {
  const rand = rng(minute);
  const reports = c.reports.map((r) => ({ ...r, pods: [...r.pods], stats: { ...r.stats, cpuMilli: Math.floor(4000 * rand()) } }));
  for (let i = 0; i < nodes; i++) {
    const r = reports[Math.floor(rand() * reports.length)];
    const j = r.pods.length - 1 - Math.floor(rand() * 10);
    const p = r.pods[j];
    r.pods[j] = {
      ...p,
      uid: `${p.uid.slice(0, 24)}${Math.floor(rand() * 1e12)
        .toString(16)
        .padStart(12, '0')}`,
      name: `${p.name.slice(0, -5)}${Math.floor(rand() * 1e5)}`,
      createdAt: minute,
    };
  }
  return { ...c, reports };
}

/** An Auto Scaling group whose every instance is one of `hosts`, in service and healthy: a group at rest. */
export function groupAtRest(
  name: string,
  nodeGroup: string | undefined,
  hosts: readonly Host[],
  bounds: { readonly min: number; readonly max: number },
): AutoScalingGroup {
  return {
    name,
    ...(nodeGroup ? { nodeGroup } : {}),
    ...bounds,
    desired: hosts.length,
    inService: hosts.length,
    pending: 0,
    terminating: 0,
    standby: 0,
    instances: hosts.map((h) => ({
      instanceId: h.instanceId,
      lifecycleState: 'InService',
      healthStatus: 'Healthy',
      zone: h.zone,
      instanceType: h.instanceType,
    })),
  };
}
