/**
 * The cluster as the agent knows it: one reflector per resource, each keeping only the projected form,
 * plus the events waiting to be reported and the nodes whose condition or pods' phases just changed.
 */
import type { Logger } from '../../common/log';
import type { KubeEvent, NamespaceInfo, Pod, WorkloadStatus } from '../../model/domain';
import type { KarpenterState } from '../../model/karpenter';
import type { EpochMs } from '../../model/time';
import type { KubeApi } from './api';
import { EventTracker } from './events';
import { KarpenterWatch } from './karpenter';
import type {
  DaemonSetObject,
  EventObject,
  NodeObject,
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodObject,
  ReplicatedObject,
} from './objects';
import { workloadOf } from './owners';
import {
  projectDaemonSet,
  projectDeployment,
  projectEvent,
  projectNamespace,
  projectNode,
  projectOwner,
  projectPod,
  projectStatefulSet,
  type NodeRecord,
  type OwnerRecord,
  type PodRecord,
} from './project';
import { claimsOf, labelKeysNamed, labelsNamed, placementOf, projectClaim, projectVolume, volumeZonesOf } from './placement';
import { Reflector, type ReflectorStats } from './reflector';
import { Shared, sharePod } from './share';

export interface ClusterSnapshot {
  readonly nodes: readonly NodeRecord[];
  /** Every pod, its workload resolved, without usage (that comes from the kubelets). */
  readonly pods: readonly Pod[];
  readonly workloads: readonly WorkloadStatus[];
  /** Karpenter's NodePools and the NodeClaims that need a look; absent without Karpenter. */
  readonly karpenter?: KarpenterState;
  /** Every namespace with its labels; absent until they are listed (or when RBAC predating them refuses). */
  readonly namespaces?: readonly NamespaceInfo[];
}

export interface ResourceHealth {
  readonly resource: string;
  readonly synced: boolean;
  /** Since its data was last known current (see `Reflector.dataAgeMs`); absent before the first list. */
  readonly dataAgeMs?: number;
  readonly stats: ReflectorStats;
  readonly lastError?: string;
}

export interface ClusterStateOptions {
  readonly api: KubeApi;
  readonly logger: Logger;
  readonly pageSize?: number;
  readonly watchTimeoutSeconds?: number;
  readonly random?: () => number;
  /** @default Date.now */
  readonly now?: () => number;
  /** How often the agent asks again whether Karpenter's API is served. @default 10 minutes */
  readonly karpenterRecheckMs?: number;
}

/** The pod with its spec's placement, and the claims whose volumes may pin it to zones. */
function withPlacement(r: PodRecord | undefined, o: PodObject): PodRecord | undefined {
  if (!r) return undefined;
  const placement = placementOf(o.spec);
  const claims = claimsOf(o);
  return { ...r, ...(placement ? { pod: { ...r.pod, placement } } : {}), ...(claims.length ? { claims } : {}) };
}

/** What makes a node "changed" for an immediate batch: a condition's status, or a cordon. */
function nodeSignature(r: NodeRecord): string {
  return `${r.node.unschedulable}|${r.node.conditions.map((c) => `${c.type}=${c.status}`).join(',')}`;
}

export class ClusterState {
  private readonly nodes: Reflector<NodeRecord>;
  private readonly pods: Reflector<PodRecord>;
  private readonly deployments: Reflector<WorkloadStatus>;
  private readonly statefulSets: Reflector<WorkloadStatus>;
  private readonly daemonSets: Reflector<WorkloadStatus>;
  private readonly replicaSets: Reflector<OwnerRecord>;
  private readonly jobs: Reflector<OwnerRecord>;
  private readonly warningEvents: Reflector<KubeEvent>;
  private readonly nodeEvents: Reflector<KubeEvent>;
  /** Claim → bound volume, and volume → the zones it allows: the zones a pod's volumes pin it to. */
  private readonly claims: Reflector<string>;
  private readonly volumes: Reflector<readonly string[]>;
  /** Namespace labels, for routes (`team`): name and labels only. */
  private readonly namespaces: Reflector<NamespaceInfo>;
  /** Followed on their own: a cluster whose RBAC predates them (403) still gets batches. */
  private readonly optional: ReadonlySet<Reflector<unknown>>;
  private readonly watched: readonly Reflector<unknown>[];
  /** NodePools and NodeClaims, only while the cluster serves them. */
  private readonly karpenter: KarpenterWatch;
  private readonly tracker = new EventTracker();
  private readonly listeners: ((node: string) => void)[] = [];

  constructor(opts: ClusterStateOptions) {
    const common = {
      api: opts.api,
      logger: opts.logger,
      pageSize: opts.pageSize,
      watchTimeoutSeconds: opts.watchTimeoutSeconds,
      random: opts.random,
      now: opts.now,
    };
    const shared = new Shared();
    const changed = (node: string | undefined) => {
      if (node && this.synced) for (const l of this.listeners) l(node);
    };
    this.nodes = new Reflector<NodeRecord>({
      ...common,
      resource: 'nodes',
      path: '/api/v1/nodes',
      project: (o) => projectNode(o as NodeObject),
      onChange: (type, _key, next, prev) => {
        if (type === 'modified' && next && prev && nodeSignature(next) !== nodeSignature(prev)) changed(next.node.name);
      },
    });
    this.pods = new Reflector<PodRecord>({
      ...common,
      resource: 'pods',
      path: '/api/v1/pods',
      project: (o) => {
        const r = withPlacement(projectPod(o as PodObject), o as PodObject);
        return r && sharePod(r, shared);
      },
      onChange: (type, _key, next, prev) => {
        if (type === 'modified' && next && prev && next.pod.phase !== prev.pod.phase) changed(next.pod.node ?? prev.pod.node);
      },
    });
    this.deployments = new Reflector({
      ...common,
      resource: 'deployments',
      path: '/apis/apps/v1/deployments',
      project: (o) => projectDeployment(o as ReplicatedObject),
    });
    this.statefulSets = new Reflector({
      ...common,
      resource: 'statefulsets',
      path: '/apis/apps/v1/statefulsets',
      project: (o) => projectStatefulSet(o as ReplicatedObject),
    });
    this.daemonSets = new Reflector({
      ...common,
      resource: 'daemonsets',
      path: '/apis/apps/v1/daemonsets',
      project: (o) => projectDaemonSet(o as DaemonSetObject),
    });
    this.replicaSets = new Reflector({ ...common, resource: 'replicasets', path: '/apis/apps/v1/replicasets', project: projectOwner });
    this.jobs = new Reflector({ ...common, resource: 'jobs', path: '/apis/batch/v1/jobs', project: projectOwner });
    const eventReflector = (resource: string, fieldSelector: string) =>
      new Reflector<KubeEvent>({
        ...common,
        resource,
        path: '/api/v1/events',
        fieldSelector,
        // Deduplicated on our side: a consistent read of the events keyspace from etcd would buy nothing.
        listFromCache: true,
        keep: false,
        project: (o) => projectEvent(o as EventObject),
        onChange: (type, _key, next) => {
          if (next && type !== 'deleted') this.tracker.observe(next);
        },
      });
    this.warningEvents = eventReflector('events/warning', 'type=Warning');
    this.nodeEvents = eventReflector('events/node', 'type=Normal,involvedObject.kind=Node');
    this.claims = new Reflector({
      ...common,
      resource: 'persistentvolumeclaims',
      path: '/api/v1/persistentvolumeclaims',
      project: (o) => projectClaim(o as PersistentVolumeClaimObject),
    });
    this.volumes = new Reflector({
      ...common,
      resource: 'persistentvolumes',
      path: '/api/v1/persistentvolumes',
      project: (o) => projectVolume(o as PersistentVolumeObject),
    });
    this.namespaces = new Reflector({ ...common, resource: 'namespaces', path: '/api/v1/namespaces', project: projectNamespace });
    this.optional = new Set([this.warningEvents, this.nodeEvents, this.claims, this.volumes, this.namespaces] as Reflector<unknown>[]);
    this.karpenter = new KarpenterWatch({ api: opts.api, logger: opts.logger, reflector: common, recheckMs: opts.karpenterRecheckMs });
    this.watched = [
      this.nodes,
      this.pods,
      this.deployments,
      this.statefulSets,
      this.daemonSets,
      this.replicaSets,
      this.jobs,
      this.warningEvents,
      this.nodeEvents,
      this.claims,
      this.volumes,
      this.namespaces,
    ] as Reflector<unknown>[];
  }

  /**
   * Starts every list/watch; resolves when everything but events and volumes is listed (they follow on their own).
   * Batches need only nodes and pods (`synced`); workloads and owners complete them.
   */
  async start(): Promise<void> {
    const started = this.watched.map((r) => r.start());
    // Karpenter's discovery is asked before the first batch (one GET); its lists follow on their own.
    await Promise.all([...started.filter((_, i) => !this.optional.has(this.watched[i])), this.karpenter.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watched.map((r) => r.stop()), this.karpenter.stop()]);
  }

  /** Every reflector running: the core resources' and, while served, Karpenter's. */
  private get all(): readonly Reflector<unknown>[] {
    return [...this.watched, ...this.karpenter.reflectors];
  }

  /** `listener` hears of each node whose conditions, cordon, or pods' phases change (after the first sync). */
  onChange(listener: (node: string) => void): void {
    this.listeners.push(listener);
  }

  /** Nodes and pods have been listed at least once: a batch would describe the cluster. */
  get synced(): boolean {
    return this.nodes.synced && this.pods.synced;
  }

  snapshot(): ClusterSnapshot {
    const owners = {
      replicaSet: (ns: string, name: string) => this.replicaSets.items.get(`${ns}/${name}`),
      job: (ns: string, name: string) => this.jobs.items.get(`${ns}/${name}`),
    };
    const volumeOf = (claim: string) => this.claims.items.get(claim);
    const zonesOf = (volume: string) => this.volumes.items.get(volume);
    const pods: Pod[] = [];
    for (const r of this.pods.items.values()) {
      const volumeZones = r.claims && volumeZonesOf(r.claims, volumeOf, zonesOf);
      const pod: Pod = { ...r.pod, workload: workloadOf(r, owners) };
      pods.push(volumeZones ? { ...pod, placement: { ...pod.placement, volumeZones } } : pod);
    }
    const keys = labelKeysNamed(pods.map((p) => p.placement));
    const nodes = [...this.nodes.items.values()].map((r) => {
      const labels = r.labels && labelsNamed(r.labels, keys);
      return labels ? { ...r, node: { ...r.node, labels } } : r;
    });
    const karpenter = this.karpenter.snapshot();
    return {
      nodes: nodes.sort((a, b) => a.node.name.localeCompare(b.node.name)),
      pods,
      workloads: [...this.deployments.items.values(), ...this.statefulSets.items.values(), ...this.daemonSets.items.values()],
      ...(karpenter ? { karpenter } : {}),
      ...(this.namespaces.synced ? { namespaces: [...this.namespaces.items.values()] } : {}),
    };
  }

  /**
   * Whether every watch has seen resourceVersion `rv` (integer resourceVersions only; see
   * `Reflector.seen`) within `timeoutMs`: false when one is lagging or broken.
   */
  async caughtUp(rv: number, timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([Promise.all(this.all.map((r) => r.seen(rv))).then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Events new or changed since the last call, most recent first, at most `max`. */
  takeEvents(max: number, now: EpochMs): KubeEvent[] {
    return this.tracker.take(max, now);
  }

  /** Per resource: synced or not, how old its data is, list/watch counters and the last error. */
  health(): ResourceHealth[] {
    return this.all.map((r) => {
      const dataAgeMs = r.dataAgeMs();
      return {
        resource: r.resource,
        synced: r.synced,
        stats: r.stats,
        ...(dataAgeMs !== undefined ? { dataAgeMs } : {}),
        ...(r.lastError ? { lastError: r.lastError } : {}),
      };
    });
  }
}
