/**
 * The agent batch: what the in-cluster agent POSTs to the ingest endpoint, gzip'd, once per interval
 * (`kind: 'full'`) and right after a node condition or pod phase changes (`kind: 'change'`).
 *
 * Versioned by `v`. Within a version, fields are only ever added as optional, and unknown fields are
 * ignored, so an agent may be newer than the ingest it talks to; a breaking change bumps `v`.
 * Every list and string has a bound, so one bad agent cannot make ingest spend unbounded memory.
 */
import { z } from 'zod';
import {
  type AgentStatus,
  type Container,
  type ControlPlaneHealth,
  type KubeEvent,
  type KubeNode,
  type NamespaceInfo,
  type NodeStats,
  type Placement,
  type Pod,
  type ScrapeError,
  WORKLOAD_KINDS,
  type WorkloadStatus,
} from './domain';
import type { KarpenterNodeClaim, KarpenterNodePool, KarpenterState } from './karpenter';
import type { Resources } from './kube-values';
import type { EpochMs } from './time';

import { formatPath } from '../common/json-path';
// The zod-free part of the contract lives in batch-constants.ts (the agent's bundle must not carry zod).
import { BATCH_LIMITS, BATCH_VERSION, CLUSTER_NAME_MESSAGE, CLUSTER_NAME_PATTERN } from './batch-constants';
export { BATCH_LIMITS, BATCH_VERSION, CLUSTER_NAME_PATTERN };

const L = BATCH_LIMITS;
/**
 * Names and reasons are bounded in UTF-8 bytes, as DynamoDB bounds keys: an event's sort key is its
 * object's uid and its reason, so two of them always fit the 1,024-byte limit, whatever the characters.
 */
const inBytes = (max: number) => (s: string) => Buffer.byteLength(s) <= max;
const bytesMessage = (max: number) => `at most ${max} bytes of UTF-8`;
const name = z.string().min(1).max(L.maxNameLength).refine(inBytes(L.maxNameLength), bytesMessage(L.maxNameLength));
const reason = z.string().max(L.maxNameLength).refine(inBytes(L.maxNameLength), bytesMessage(L.maxNameLength));
const message = z.string().max(L.maxMessageLength);
// Every quantity is bounded by what a real node can have, so that sums over a cluster stay finite and
// encodable (a rollup adds up to 5,000 nodes × 1,000 pods × 100 containers).
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const bytes = z.number().nonnegative().max(L.maxBytes, `at most ${L.maxBytes} bytes (1 PiB): no node has more`);
const cpuMilli = z.number().nonnegative().max(L.maxCpuMilli, `at most ${L.maxCpuMilli} millicores (10,000 cores): no node has more`);
const inodes = z.number().nonnegative().max(L.maxBytes);
const latencyMs = z.number().nonnegative().max(L.maxLatencyMs);
/** A pressure stall average: the % of time tasks stalled. */
const psi = z.number().finite().min(0).max(100);
/** A share of something, in %. */
const percent = psi;
/** Epoch milliseconds between 2000-01-01 and 2100-01-01: catches seconds-for-milliseconds mistakes. */
const time = z
  .number()
  .int()
  .min(946_684_800_000, 'expected epoch milliseconds (this looks like seconds, or a date before 2000)')
  .max(4_102_444_800_000, 'expected epoch milliseconds before 2100');
const labels = z
  .record(z.string().min(1).max(L.maxLabelKeyLength), z.string().max(L.maxLabelValueLength))
  .refine((r) => Object.keys(r).length <= L.maxLabels, `at most ${L.maxLabels} labels`);
const capacityType = z.enum(['on-demand', 'spot', 'fargate', 'capacity-block']);

const resources: z.ZodType<Resources> = z.object({
  cpuMilli: cpuMilli.optional(),
  memoryBytes: bytes.optional(),
  ephemeralStorageBytes: bytes.optional(),
  pods: count.optional(),
});

const workloadKind = z.enum(WORKLOAD_KINDS);

const evictionThresholds = z
  .record(z.string().min(1).max(64), z.object({ quantity: bytes.optional(), pct: z.number().min(0).max(100).optional() }))
  .refine((r) => Object.keys(r).length <= L.maxEvictionSignals, `at most ${L.maxEvictionSignals} eviction signals`);

const providerId = z.string().max(L.maxNameLength * 2);
const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id like i-0abc12345def67890');

const kubeNode: z.ZodType<KubeNode> = z.object({
  name,
  uid: name.optional(),
  providerId: providerId.optional(),
  instanceId: instanceId.optional(),
  instanceType: name.optional(),
  zone: name.optional(),
  capacityType: capacityType.optional(),
  nodeGroup: name.optional(),
  nodePool: name.optional(),
  autoMode: z.literal(true).optional(),
  conditions: z
    .array(
      z.object({
        type: name,
        status: z.enum(['True', 'False', 'Unknown']),
        reason: reason.optional(),
        message: message.optional(),
        since: time.optional(),
      }),
    )
    .max(L.maxConditionsPerNode),
  capacity: resources,
  allocatable: resources,
  taints: z
    .array(
      z.object({
        key: z.string().min(1).max(L.maxLabelKeyLength),
        value: z.string().max(L.maxLabelValueLength).optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      }),
    )
    .max(L.maxTaintsPerNode),
  unschedulable: z.boolean(),
  deleting: z.boolean().optional(),
  createdAt: time.optional(),
  kubeletVersion: reason.optional(),
  labels: labels.optional(),
  eviction: z.object({ hard: evictionThresholds, soft: evictionThresholds.optional() }).optional(),
});

const nodeStats: z.ZodType<NodeStats> = z.object({
  cpuMilli: cpuMilli.optional(),
  memoryWorkingSetBytes: bytes.optional(),
  memoryAvailableBytes: bytes.optional(),
  memoryRssBytes: bytes.optional(),
  fsAvailableBytes: bytes.optional(),
  fsCapacityBytes: bytes.optional(),
  fsInodesFree: inodes.optional(),
  fsInodes: inodes.optional(),
  imageFsAvailableBytes: bytes.optional(),
  imageFsCapacityBytes: bytes.optional(),
  imageFsInodesFree: inodes.optional(),
  imageFsInodes: inodes.optional(),
  containerFsAvailableBytes: bytes.optional(),
  containerFsCapacityBytes: bytes.optional(),
  swapUsageBytes: bytes.optional(),
  swapAvailableBytes: bytes.optional(),
  psiMemorySomeAvg10: psi.optional(),
  psiMemoryFullAvg10: psi.optional(),
  psiCpuSomeAvg10: psi.optional(),
  processes: count.optional(),
  maxPid: count.optional(),
});

const container: z.ZodType<Container> = z.object({
  name,
  image: z.string().max(L.maxImageLength),
  requests: resources,
  limits: resources,
  restarts: count,
  state: z.enum(['running', 'waiting', 'terminated', 'unknown']),
  waitingReason: reason.optional(),
  ready: z.boolean(),
  startedAt: time.optional(),
  lastTermination: z.object({ reason, exitCode: z.number().int(), finishedAt: time.optional() }).optional(),
  usage: z
    .object({
      cpuMilli: cpuMilli.optional(),
      memoryWorkingSetBytes: bytes.optional(),
      memoryRssBytes: bytes.optional(),
      rootfsUsedBytes: bytes.optional(),
      logsUsedBytes: bytes.optional(),
      swapUsageBytes: bytes.optional(),
      psiMemoryFullAvg10: psi.optional(),
      psiCpuSomeAvg10: psi.optional(),
      cpuThrottledPct: percent.optional(),
      cpuThrottledSecondsPerSecond: z
        .number()
        .finite()
        .nonnegative()
        .max(L.maxCpuMilli / 1000)
        .optional(),
    })
    .optional(),
});

const terms = <T extends z.ZodTypeAny>(item: T) => z.array(item).max(L.maxPlacementTerms);
const labelValue = z.string().max(L.maxLabelValueLength);
const requirement = z.object({
  key: z.string().min(1).max(L.maxLabelKeyLength),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: terms(labelValue).optional(),
});
const topology = z.enum(['hostname', 'zone']);
const placement: z.ZodType<Placement> = z.object({
  nodeSelector: labels.optional(),
  nodeAffinity: terms(terms(requirement)).optional(),
  tolerations: terms(
    z.object({
      key: z.string().min(1).max(L.maxLabelKeyLength).optional(),
      operator: z.enum(['Exists', 'Equal']).optional(),
      value: labelValue.optional(),
      effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    }),
  ).optional(),
  antiAffinity: terms(z.object({ topology, selector: terms(requirement) })).optional(),
  spread: terms(
    z.object({
      topology,
      maxSkew: z
        .number()
        .int()
        .min(1)
        .max(L.maxPodsPerNode * L.maxNodes),
      selector: terms(requirement),
    }),
  ).optional(),
  volumeZones: terms(name).optional(),
});

const pod: z.ZodType<Pod> = z.object({
  uid: name,
  namespace: name,
  name,
  configHash: name.optional(),
  node: name.optional(),
  phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']),
  qos: z.enum(['Guaranteed', 'Burstable', 'BestEffort']).optional(),
  workload: z.object({ kind: workloadKind, name }),
  labels,
  ready: z.boolean(),
  reason: reason.optional(),
  unschedulable: z.object({ reason, message: message.optional() }).optional(),
  createdAt: time.optional(),
  startedAt: time.optional(),
  containers: z.array(container).max(L.maxContainersPerPod),
  ephemeralStorageUsedBytes: bytes.optional(),
  placement: placement.optional(),
});

const workloadStatus: z.ZodType<WorkloadStatus> = z.object({
  namespace: name,
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  name,
  desired: count,
  ready: count,
  available: count,
  updated: count,
  labels: labels.optional(),
});

const namespaceInfo: z.ZodType<NamespaceInfo> = z.object({ name, labels: labels.optional() });

const kubeEvent: z.ZodType<KubeEvent> = z.object({
  objectUid: name,
  objectKind: name,
  objectName: name,
  namespace: name.optional(),
  reason: reason.min(1),
  type: z.enum(['Normal', 'Warning']),
  message,
  count: count.min(1),
  firstSeen: time,
  lastSeen: time,
  node: name.optional(),
  source: reason.optional(),
});

const karpenterCondition = z.object({
  type: name,
  status: z.enum(['True', 'False', 'Unknown']),
  reason: reason.optional(),
  message: message.optional(),
  since: time.optional(),
});
const karpenterConditions = z.array(karpenterCondition).max(L.maxConditionsPerNode);
const poolResources = z.object({
  cpuMilli: cpuMilli.optional(),
  memoryBytes: bytes.optional(),
  ephemeralStorageBytes: bytes.optional(),
  pods: count.optional(),
  nodes: count.optional(),
});
const nodePool: z.ZodType<KarpenterNodePool> = z.object({
  name,
  nodeClass: z.object({ group: reason, kind: reason, name }).optional(),
  limits: poolResources.optional(),
  resources: poolResources.optional(),
  budgets: z
    .array(z.object({ nodes: name, reasons: z.array(name).max(8).optional(), schedule: name.optional(), duration: name.optional() }))
    .max(L.maxBudgets),
  conditions: karpenterConditions,
});
const nodeClaim: z.ZodType<KarpenterNodeClaim> = z.object({
  name,
  nodePool: name.optional(),
  nodeName: name.optional(),
  providerId: providerId.optional(),
  instanceId: instanceId.optional(),
  instanceType: name.optional(),
  capacityType: name.optional(),
  createdAt: time.optional(),
  deleting: z.literal(true).optional(),
  conditions: karpenterConditions,
});
const karpenter: z.ZodType<KarpenterState> = z.object({
  nodePools: z.array(nodePool).max(L.maxNodePools),
  nodeClaims: z.array(nodeClaim).max(L.maxNodes),
});

const scrapeErrorKind = z.enum(['timeout', 'connect', 'tls', 'http', 'parse', 'other']);
const scrapeError: z.ZodType<ScrapeError> = z.object({ node: name, kind: scrapeErrorKind, message });

const controlPlane: z.ZodType<ControlPlaneHealth> = z.object({
  readyz: z.object({ ok: z.boolean(), checks: z.array(z.object({ name, ok: z.boolean() })).max(L.maxReadyzChecks) }).optional(),
  apiCalls: count,
  apiErrors: count,
  apiThrottled: count,
  apiLatencyMsP50: latencyMs.optional(),
  apiLatencyMsP99: latencyMs.optional(),
});

const agentStatus: z.ZodType<AgentStatus> = z.object({
  version: z.string().min(1).max(64),
  startedAt: time,
  cycles: count,
  batchesSent: count,
  bytesSent: count,
  buffered: count,
  droppedBatches: count,
  droppedUnconfirmedBatches: count.optional(),
  rejectedBatches: count.optional(),
  pushFailures: count,
  scrapeErrors: z.partialRecord(scrapeErrorKind, count),
});

/** One node as the agent saw it: its object, its kubelet figures and the pods bound to it. */
export interface NodeReport {
  readonly node: KubeNode;
  /** Absent when the kubelet summary could not be read this cycle (the reason is in `scrapeErrors`). */
  readonly stats?: NodeStats;
  readonly pods: readonly Pod[];
}

const nodeReport: z.ZodType<NodeReport> = z.object({
  node: kubeNode,
  stats: nodeStats.optional(),
  pods: z.array(pod).max(L.maxPodsPerNode),
});

export interface AgentBatch {
  readonly v: typeof BATCH_VERSION;
  readonly cluster: string;
  /**
   * `full`: the whole cluster as of `collectedAt` (possibly split into `part`s).
   * `change`: only the nodes (with all their pods) whose condition or pod phases changed.
   */
  readonly kind: 'full' | 'change';
  /** Increases by one per batch the agent builds; lets ingest and logs spot gaps. */
  readonly seq: number;
  readonly collectedAt: EpochMs;
  readonly sentAt?: EpochMs;
  /** Present when a full batch was split by nodes to fit the size limit. */
  readonly part?: { readonly index: number; readonly count: number };
  /**
   * Present when the agent is sharded: which of `count` shards (each a share of the nodes, read by one
   * replica) this full batch carries. Ingest stores the shards of a minute as parts of it; cluster-scoped
   * lists ride in shard 0. Absent: the batch covers every node.
   */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly agent: AgentStatus;
  readonly nodes: readonly NodeReport[];
  /** Pods with no node yet (Pending). Cluster-scoped, so only in part 0 of a split batch. */
  readonly unscheduledPods: readonly Pod[];
  readonly workloads: readonly WorkloadStatus[];
  /** Every namespace with its labels. Cluster-scoped, so only in part 0; absent from agents before it. */
  readonly namespaces?: readonly NamespaceInfo[];
  /** Events new or changed since the last batch, deduplicated by (object uid, reason). */
  readonly events: readonly KubeEvent[];
  readonly controlPlane?: ControlPlaneHealth;
  readonly scrapeErrors: readonly ScrapeError[];
  /**
   * Per watched resource (`nodes`, `pods`, `deployments`, …, `events/warning`), how old the agent's copy
   * was when the batch was built, in ms: within about a minute while its watch is healthy (bookmarks),
   * more when the watch fails or stalls. Absent from agents before it.
   */
  readonly dataAgeMs?: Readonly<Record<string, number>>;
  /**
   * Karpenter's NodePools and the NodeClaims that need a look, when the cluster serves `karpenter.sh/v1`.
   * Cluster-scoped, so only in part 0 of a split batch. Absent from agents before it and without Karpenter.
   */
  readonly karpenter?: KarpenterState;
}

/** EKS cluster names: 1–100 characters, alphanumeric first, then alphanumerics, `-` and `_`. */
export const clusterNameSchema = z.string().regex(CLUSTER_NAME_PATTERN, CLUSTER_NAME_MESSAGE);

export const agentBatchSchema: z.ZodType<AgentBatch> = z
  .object({
    v: z.literal(BATCH_VERSION),
    cluster: clusterNameSchema,
    kind: z.enum(['full', 'change']),
    seq: count,
    collectedAt: time,
    sentAt: time.optional(),
    part: z
      .object({ index: count, count: count.min(1).max(L.maxParts) })
      .refine((p) => p.index < p.count, 'part.index must be less than part.count')
      .optional(),
    shard: z
      .object({ index: count, count: count.min(2).max(L.maxShards) })
      .refine((p) => p.index < p.count, 'shard.index must be less than shard.count')
      .optional(),
    agent: agentStatus,
    nodes: z.array(nodeReport).max(L.maxNodes),
    unscheduledPods: z.array(pod).max(L.maxUnscheduledPods),
    workloads: z.array(workloadStatus).max(L.maxWorkloads),
    namespaces: z.array(namespaceInfo).max(L.maxNamespaces).optional(),
    events: z.array(kubeEvent).max(L.maxEvents),
    controlPlane: controlPlane.optional(),
    scrapeErrors: z.array(scrapeError).max(L.maxScrapeErrors),
    dataAgeMs: z
      .record(
        z
          .string()
          .regex(/^[a-z]+(\/[a-z]+)?$/)
          .max(40),
        count,
      )
      .refine((r) => Object.keys(r).length <= 20, 'dataAgeMs: at most 20 resources')
      .optional(),
    karpenter: karpenter.optional(),
  })
  .superRefine((b, ctx) => {
    b.nodes.forEach((n, i) => {
      n.pods.forEach((p, j) => {
        if (p.node !== undefined && p.node !== n.node.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['nodes', i, 'pods', j, 'node'],
            message: `pod is reported under node "${n.node.name}" but says it runs on "${p.node}"`,
          });
        }
      });
    });
  });

export type BatchParseResult =
  | { readonly ok: true; readonly batch: AgentBatch }
  | { readonly ok: false; readonly problems: readonly string[] };

/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 50;

/** The first problems, and how many more there were: a response stays small however bad the batch. */
export function listedProblems(problems: readonly string[], total = problems.length): string[] {
  const listed = problems.slice(0, MAX_PROBLEMS);
  return total > listed.length ? [...listed, `… and ${total - listed.length} more problems`] : listed;
}

/**
 * Validates an already-decoded batch. Problems name the offending path, e.g.
 * `nodes[3].pods[0].containers[1].restarts: Invalid input: expected number, received string`.
 */
export function parseBatch(input: unknown): BatchParseResult {
  if (typeof input === 'object' && input !== null && 'v' in input && input.v !== BATCH_VERSION) {
    return {
      ok: false,
      problems: [`v: unsupported batch schema version ${JSON.stringify(input.v)} (this ingest accepts ${BATCH_VERSION})`],
    };
  }
  const r = agentBatchSchema.safeParse(input);
  if (r.success) return { ok: true, batch: r.data };
  const problems = r.error.issues.slice(0, MAX_PROBLEMS).map((i) => `${formatPath(i.path) || '(batch)'}: ${i.message}`);
  return { ok: false, problems: listedProblems(problems, r.error.issues.length) };
}
