/**
 * A steady cluster for the evaluator's tests and benchmark: the synthetic cluster (sim/synthetic.ts)
 * turned into a steady, healthy one (requests that fit, usage close to requests, no restarts, every node
 * Ready) that tests then break in one way at a time, and that writes each minute to the store the way
 * ingest and the collector do (node-minutes, both rollup halves, heartbeat, host parts).
 */
import { resolveRules, type ResolvedRule } from '../lambdas/evaluator/config';
import { buildContext, type EvaluationContext } from '../lambdas/evaluator/context';
import { evaluationNeeds } from '../lambdas/evaluator/needs';
import { EMPTY_MEMORY, observe, type EvaluatorMemory } from '../lambdas/evaluator/memory';
import { EMPTY_TREND, type TrendMemory } from '../lambdas/evaluator/trend';
import { kubeRollupOf } from '../lambdas/ingest/rollup';
import type { VigilStore } from '../lambdas/store/store';
import type { AgentBatch, NodeReport } from '../model/batch';
import type { KarpenterState } from '../model/karpenter';
import { nodeJoinOf, nodeKeyOf } from '../model/domain';
import type {
  AutoScalingGroup,
  CloudRollup,
  ClusterInfo,
  CollectorFailure,
  Container,
  Host,
  HostMetrics,
  HostNodeMinute,
  KubeEvent,
  NodeMinute,
  NodeCondition,
  NodeGroup,
  Pod,
  ScalingActivity,
  WorkloadStatus,
} from '../model/domain';
import { minuteOf, type EpochMs } from '../model/time';
import { groupAtRest, rng, syntheticAgentStatus, syntheticCluster, type SyntheticCluster } from './synthetic';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ScenarioOptions {
  readonly nodes: number;
  readonly podsPerNode?: number;
  readonly seed?: number;
  readonly cluster?: string;
}

/** Scales a node's pods so its requests are at most `share` of allocatable, with usage near requests. */
function steadyNode(r: NodeReport, rand: () => number, share: number): NodeReport {
  const alloc = r.node.allocatable;
  const req = r.pods.reduce(
    (a, p) => ({
      cpu: a.cpu + p.containers.reduce((s, c) => s + (c.requests.cpuMilli ?? 0), 0),
      mem: a.mem + p.containers.reduce((s, c) => s + (c.requests.memoryBytes ?? 256 * MiB), 0),
    }),
    { cpu: 0, mem: 0 },
  );
  const cpuScale = Math.min(1, (alloc.cpuMilli! * share) / req.cpu);
  const memScale = Math.min(1, (alloc.memoryBytes! * share) / req.mem);
  const page = (v: number) => Math.floor(v / 4096) * 4096;
  const pods: Pod[] = r.pods.map((p) => ({
    ...p,
    containers: p.containers.map((c): Container => {
      const cpu = Math.max(5, Math.round((c.requests.cpuMilli ?? 100) * cpuScale));
      const mem = c.requests.memoryBytes === undefined ? undefined : page(c.requests.memoryBytes * memScale);
      const basis = mem ?? page(128 * MiB * memScale);
      return {
        ...c,
        requests: mem === undefined ? { cpuMilli: cpu } : { cpuMilli: cpu, memoryBytes: mem },
        limits: mem === undefined ? {} : { memoryBytes: mem * 2 },
        restarts: 0,
        lastTermination: undefined,
        state: 'running',
        ready: true,
        // Replicas behind one service use about the same: no peer outliers in a steady cluster.
        usage: {
          ...c.usage,
          cpuMilli: Math.round(cpu * 0.5 * (0.95 + rand() * 0.1)),
          memoryWorkingSetBytes: page(basis * 0.6 * (0.97 + rand() * 0.06)),
        },
      };
    }),
  }));
  const podsWs = pods.reduce((a, p) => a + p.containers.reduce((s, c) => s + (c.usage?.memoryWorkingSetBytes ?? 0), 0), 0);
  const capacity = r.node.capacity.memoryBytes!;
  const ws = Math.min(capacity - 512 * MiB, podsWs + GiB);
  return {
    ...r,
    pods,
    stats: {
      ...r.stats,
      memoryWorkingSetBytes: ws,
      memoryAvailableBytes: capacity - ws,
      fsAvailableBytes: 48 * GiB,
      fsCapacityBytes: 80 * GiB,
      imageFsAvailableBytes: 48 * GiB,
      imageFsCapacityBytes: 80 * GiB,
    },
  };
}

export class SteadyCluster {
  readonly cluster: string;
  reports: NodeReport[];
  workloads: WorkloadStatus[];
  readonly base: SyntheticCluster;
  unscheduled: Pod[] = [];
  /** Events for the next minute written (then cleared). */
  events: KubeEvent[] = [];
  /** Karpenter's NodePools and NodeClaims as the agent reports them; absent without Karpenter. */
  karpenter?: KarpenterState;
  /** Scaling activities for the next minute written (then cleared). */
  activities: ScalingActivity[] = [];
  groups: AutoScalingGroup[];
  nodeGroups: NodeGroup[];
  clusterInfo: ClusterInfo;
  /** Host metrics per instance id, over the steady defaults. */
  hostMetrics = new Map<string, HostMetrics>();
  failures: CollectorFailure[] = [];
  /** The instances the collector reports (the synthetic cluster's, until a test changes them). */
  hosts: Host[];
  agentAlive = true;
  collectorAlive = true;
  private seq = 0;

  constructor(opts: ScenarioOptions) {
    this.base = syntheticCluster({ nodes: opts.nodes, podsPerNode: opts.podsPerNode ?? 12, seed: opts.seed ?? 3, cluster: opts.cluster });
    this.cluster = this.base.cluster;
    const rand = rng(opts.seed ?? 3);
    this.reports = this.base.reports.map((r) => steadyNode(r, rand, 0.55));
    const ready = new Map<string, number>();
    for (const r of this.reports)
      for (const p of r.pods)
        ready.set(
          `${p.namespace}/${p.workload.kind}/${p.workload.name}`,
          (ready.get(`${p.namespace}/${p.workload.kind}/${p.workload.name}`) ?? 0) + 1,
        );
    this.workloads = this.base.workloads.map((w) => {
      const n = ready.get(`${w.namespace}/${w.kind}/${w.name}`) ?? 0;
      return { ...w, desired: n, ready: n, available: n, updated: n };
    });
    const asgNames = [...new Set(this.base.hosts.map((h) => h.autoScalingGroup!))].sort();
    this.groups = asgNames.map((name) => {
      const hosts = this.base.hosts.filter((h) => h.autoScalingGroup === name);
      return groupAtRest(name, hosts[0].nodeGroup, hosts, { min: 1, max: hosts.length + 5 });
    });
    this.nodeGroups = [...new Set(this.base.hosts.map((h) => h.nodeGroup!))].map((name) => ({
      name,
      kind: 'managed' as const,
      status: 'ACTIVE',
      autoScalingGroups: asgNames.filter((a) => a.includes(name)),
      healthIssues: [],
    }));
    this.clusterInfo = { name: this.cluster, status: 'ACTIVE', version: '1.33', platformVersion: 'eks.12' };
    this.hosts = [...this.base.hosts];
  }

  /**
   * Moves nodes to a Karpenter NodePool (an EKS Auto Mode one with `autoMode`): out of their Auto Scaling
   * group, labelled with the pool as Karpenter labels its nodes, their instances tagged with it.
   */
  toNodePool(nodes: readonly number[], pool: string, opts: { readonly spot?: boolean; readonly autoMode?: boolean } = {}): void {
    const ids = new Set(nodes.map((i) => this.report(i).node.instanceId!));
    for (const i of nodes) {
      this.updateNode(i, (r) => {
        const { nodeGroup: _group, ...node } = r.node;
        return {
          ...r,
          node: {
            ...node,
            nodePool: pool,
            capacityType: opts.spot ? 'spot' : 'on-demand',
            ...(opts.autoMode ? { autoMode: true as const } : {}),
          },
        };
      });
    }
    this.groups = this.groups.map((g) => {
      const instances = g.instances.filter((x) => !ids.has(x.instanceId));
      return { ...g, instances, desired: instances.length, inService: instances.length };
    });
    this.hosts = this.hosts.map((h) => {
      if (!ids.has(h.instanceId)) return h;
      const { autoScalingGroup: _asg, lifecycleState: _state, ...host } = h;
      return { ...host, nodeGroup: pool, capacityType: opts.spot ? 'spot' : 'on-demand' };
    });
  }

  get nodeNames(): string[] {
    return this.reports.map((r) => r.node.name);
  }

  report(node: string | number): NodeReport {
    const r = typeof node === 'number' ? this.reports[node] : this.reports.find((x) => x.node.name === node);
    if (!r) throw new Error(`no node ${node}`);
    return r;
  }

  /** Replaces a node's report (tests change one thing at a time). */
  updateNode(node: string | number, f: (r: NodeReport) => NodeReport): void {
    const name = this.report(node).node.name;
    this.reports = this.reports.map((r) => (r.node.name === name ? f(r) : r));
  }

  setCondition(node: string | number, c: NodeCondition): void {
    this.updateNode(node, (r) => ({ ...r, node: { ...r.node, conditions: [...r.node.conditions.filter((x) => x.type !== c.type), c] } }));
  }

  /** Changes the first app pod of a node matching `match`, and returns its new state. */
  updatePod(node: string | number, match: (p: Pod) => boolean, f: (p: Pod) => Pod): Pod {
    let changed: Pod | undefined;
    this.updateNode(node, (r) => ({
      ...r,
      pods: r.pods.map((p) => {
        if (changed || !match(p)) return p;
        changed = f(p);
        return changed;
      }),
    }));
    if (!changed) throw new Error('no such pod');
    return changed;
  }

  /**
   * Replaces a node's app pods with one-container pods of the given memory request (undefined: none) and
   * working set, in GiB; DaemonSet pods stay.
   */
  setPods(node: number, pods: readonly (readonly [number | undefined, number])[]): void {
    const template = this.appPod(node);
    this.updateNode(node, (r) => ({
      ...r,
      pods: [
        ...r.pods.filter((p) => p.workload.kind === 'DaemonSet'),
        ...pods.map(
          ([req, ws], i): Pod => ({
            ...template,
            uid: `${r.node.name}-${i}`,
            name: `app-${node}-${i}`,
            workload: { kind: 'Deployment', name: `app-${node}-${i}` },
            containers: [
              {
                ...template.containers[0],
                requests: req === undefined ? { cpuMilli: 100 } : { cpuMilli: 100, memoryBytes: req * GiB },
                limits: {},
                usage: { memoryWorkingSetBytes: ws * GiB, cpuMilli: 50 },
              },
            ],
          }),
        ),
      ],
    }));
  }

  /** The first app (Deployment) pod of a node. */
  appPod(node: string | number): Pod {
    const p = this.report(node).pods.find((x) => x.workload.kind === 'Deployment');
    if (!p) throw new Error('no app pod');
    return p;
  }

  batch(t: EpochMs): AgentBatch {
    return {
      v: 1,
      cluster: this.cluster,
      kind: 'full',
      seq: ++this.seq,
      collectedAt: t,
      agent: syntheticAgentStatus(t),
      nodes: this.reports,
      unscheduledPods: this.unscheduled,
      workloads: this.workloads,
      events: this.events,
      scrapeErrors: this.reports
        .filter((r) => r.stats === undefined)
        .map((r) => ({
          node: r.node.name,
          kind: 'timeout' as const,
          message: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        })),
      ...(this.karpenter ? { karpenter: this.karpenter } : {}),
    };
  }

  cloudRollup(t: EpochMs): CloudRollup {
    return {
      minute: minuteOf(t),
      collectedAt: t + 20_000,
      cluster: this.clusterInfo,
      nodeGroups: this.nodeGroups,
      autoScalingGroups: this.groups,
      scalingActivities: this.activities,
      hosts: this.hosts,
      failures: this.failures,
    };
  }

  hostMinutes(t: EpochMs): HostNodeMinute[] {
    const inGroups = new Set(this.groups.flatMap((g) => g.instances.map((i) => i.instanceId)));
    return this.hosts
      .filter((h) => inGroups.has(h.instanceId))
      .map((host) => ({
        minute: minuteOf(t),
        periodMinutes: 1,
        collectedAt: t + 20_000,
        host,
        metrics: {
          cpuPct: 35,
          statusCheckFailed: 0,
          statusCheckFailedInstance: 0,
          statusCheckFailedSystem: 0,
          ...this.hostMetrics.get(host.instanceId),
        },
      }));
  }

  /** Writes minute `t` as ingest (agent alive) and the collector (collector alive) would. */
  async write(store: VigilStore, t: EpochMs): Promise<void> {
    const minute = minuteOf(t);
    if (this.agentAlive) {
      const b = this.batch(t);
      const k = await store.putKubeMinutes(
        this.cluster,
        b.nodes.map((r) => ({ minute, collectedAt: t, node: r.node, stats: r.stats, pods: r.pods })),
      );
      const r = await store.putKubeRollup(this.cluster, kubeRollupOf(b));
      await store.putHeartbeat({ cluster: this.cluster, lastSeen: t, agent: b.agent });
      if (k.failed.length || r.failed.length) throw new Error('scenario write failed');
    }
    if (this.collectorAlive) {
      await store.putHostMinutes(this.cluster, this.hostMinutes(t));
      await store.putCloudRollup(this.cluster, this.cloudRollup(t));
    }
    this.events = [];
    this.activities = [];
  }

  /**
   * One evaluation's context without a store, for rule tests: minute `t` observed on top of `memory`.
   * Evaluated 30 s after the data, as the scheduled evaluator does.
   */
  context(
    t: EpochMs,
    opts: { readonly memory?: EvaluatorMemory; readonly trend?: TrendMemory; readonly rules?: readonly ResolvedRule[] } = {},
  ): EvaluationContext {
    const minute = minuteOf(t);
    const b = this.batch(t);
    const rollups = [
      {
        cluster: this.cluster,
        minute,
        kube: this.agentAlive ? kubeRollupOf(b) : undefined,
        cloud: this.collectorAlive ? this.cloudRollup(t) : undefined,
      },
    ];
    const nodeMinutes = this.agentAlive ? nodeMinutesOf(this.cluster, b, t) : [];
    const now = t + 30_000;
    const o = observe(
      opts.memory ?? EMPTY_MEMORY,
      { now, rollups, nodes: nodeMinutes },
      evaluationNeeds(opts.rules ?? resolveRules()).observe,
    );
    this.events = [];
    this.activities = [];
    return buildContext({
      cluster: this.cluster,
      now,
      heartbeat: this.agentAlive ? { cluster: this.cluster, lastSeen: t, agent: b.agent } : undefined,
      rollups,
      nodeMinutes,
      hostMinutes: this.collectorAlive ? this.hostMinutes(t) : [],
      memory: o.memory,
      fresh: o.fresh,
      trend: opts.trend ?? EMPTY_TREND,
      agentStaleAfterMs: 180_000,
      cloudStaleAfterMs: 300_000,
      resourceStaleAfterMs: 300_000,
    });
  }
}

/** A batch's nodes as the store returns them: Kubernetes parts only. */
export function nodeMinutesOf(cluster: string, b: AgentBatch, t: EpochMs): NodeMinute[] {
  const minute = minuteOf(t);
  return b.nodes.map((r) => {
    const key = nodeKeyOf(r.node);
    return { cluster, minute, key, join: nodeJoinOf(key), kube: { minute, collectedAt: t, node: r.node, stats: r.stats, pods: r.pods } };
  });
}
