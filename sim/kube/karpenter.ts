/**
 * Karpenter's custom resources in the simulated cluster: NodePools and NodeClaims (`karpenter.sh/v1`) shaped as
 * the CRDs define them (kubernetes-sigs/karpenter `pkg/apis/crds/karpenter.sh_{nodepools,nodeclaims}.yaml`), with
 * the NodeClaim lifecycle Karpenter drives: launched (the instance exists), registered (its node joined),
 * initialized (the node is Ready), or a launch that failed (`Launched=False`, reason `LaunchFailed`, as
 * `pkg/controllers/nodeclaim/lifecycle/launch.go` sets it). The API server serves them only once
 * `install()` has run, as a cluster without Karpenter answers 404.
 */
import type { EpochMs } from '../../model/time';
import type { Json, SimCluster } from './cluster';

export interface SimNodePoolSpec {
  readonly name: string;
  /** `auto`: EKS Auto Mode's built-in NodeClass (`eks.amazonaws.com`); else an EC2NodeClass (`karpenter.k8s.aws`). */
  readonly nodeClass?: 'ec2' | 'auto';
  readonly instanceTypes?: readonly string[];
  readonly capacityType?: 'on-demand' | 'spot';
  /** `spec.limits`, as Kubernetes quantities, e.g. `{ cpu: '16', memory: '64Gi' }`. */
  readonly limits?: Readonly<Record<string, string>>;
  readonly budgets?: readonly {
    readonly nodes: string;
    readonly reasons?: readonly string[];
    readonly schedule?: string;
    readonly duration?: string;
  }[];
}

export interface SimNodeClaimState {
  readonly name: string;
  readonly nodePool: string;
  readonly createdAt: EpochMs;
  readonly instanceType: string;
  readonly capacityType: string;
  readonly zone: string;
  /** Set once launched. */
  readonly instanceId?: string;
  /** Set once registered (its node joined). */
  readonly nodeName?: string;
  readonly initialized?: boolean;
  readonly launchFailure?: { readonly message: string; readonly at: EpochMs };
  readonly driftedAt?: EpochMs;
}

type Condition = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastTransitionTime: string };

const iso = (t: EpochMs) => new Date(t).toISOString();

function nodeClassRef(kind: SimNodePoolSpec['nodeClass']): Json {
  return kind === 'auto'
    ? { group: 'eks.amazonaws.com', kind: 'NodeClass', name: 'default' }
    : { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };
}

function requirements(p: SimNodePoolSpec): Json[] {
  return [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: [p.capacityType ?? 'on-demand'] },
    ...(p.instanceTypes?.length ? [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...p.instanceTypes] }] : []),
  ];
}

/** A condition as operatorpkg writes it; `reason` is the type itself when True (its convention). */
function condition(
  type: string,
  status: Condition['status'],
  since: EpochMs,
  reason = status === 'True' ? type : '',
  message = '',
): Condition {
  return { type, status, reason, message, lastTransitionTime: iso(since) };
}

export function nodePoolObject(p: SimNodePoolSpec, created: EpochMs, uid: string, resources: Readonly<Record<string, string>> = {}): Json {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: p.name, uid, generation: 1, creationTimestamp: iso(created) },
    spec: {
      template: { spec: { nodeClassRef: nodeClassRef(p.nodeClass), requirements: requirements(p), expireAfter: '720h' } },
      disruption: {
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '0s',
        budgets: (p.budgets ?? [{ nodes: '10%' }]).map((b) => ({ ...b })),
      },
      ...(p.limits ? { limits: { ...p.limits } } : {}),
    },
    status: {
      resources: { ...resources },
      conditions: ['ValidationSucceeded', 'NodeClassReady', 'Ready'].map((t) => condition(t, 'True', created)),
    },
  };
}

export function nodeClaimObject(nc: SimNodeClaimState, pool: SimNodePoolSpec, uid: string, now: EpochMs): Json {
  const launched: Condition = nc.launchFailure
    ? condition('Launched', 'False', nc.launchFailure.at, 'LaunchFailed', nc.launchFailure.message)
    : condition('Launched', nc.instanceId ? 'True' : 'Unknown', nc.createdAt);
  const registered = condition('Registered', nc.nodeName ? 'True' : 'Unknown', nc.createdAt);
  const initialized = condition('Initialized', nc.initialized ? 'True' : 'Unknown', nc.createdAt);
  const ready =
    nc.instanceId && nc.nodeName && nc.initialized
      ? condition('Ready', 'True', nc.createdAt)
      : condition('Ready', nc.launchFailure ? 'False' : 'Unknown', nc.createdAt, nc.launchFailure ? 'LaunchFailed' : '');
  const conditions = [
    launched,
    registered,
    initialized,
    ready,
    ...(nc.driftedAt ? [condition('Drifted', 'True', nc.driftedAt, 'NodePoolDrifted')] : []),
  ];
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: nc.name,
      uid,
      creationTimestamp: iso(nc.createdAt),
      finalizers: ['karpenter.sh/termination'],
      labels: {
        'karpenter.sh/nodepool': nc.nodePool,
        'karpenter.sh/capacity-type': nc.capacityType,
        'node.kubernetes.io/instance-type': nc.instanceType,
        'topology.kubernetes.io/zone': nc.zone,
      },
      ownerReferences: [
        { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: nc.nodePool, uid: `nodepool-${nc.nodePool}`, blockOwnerDeletion: true },
      ],
    },
    spec: {
      nodeClassRef: nodeClassRef(pool.nodeClass),
      requirements: requirements(pool),
      resources: { requests: { pods: '1' } },
      expireAfter: '720h',
    },
    status: {
      ...(nc.instanceId ? { providerID: `aws:///${nc.zone}/${nc.instanceId}` } : {}),
      ...(nc.nodeName ? { nodeName: nc.nodeName } : {}),
      conditions,
      lastPodEventTime: iso(now),
    },
  };
}

/** Karpenter in the simulated cluster: its NodePools, and NodeClaims moved through their lifecycle. */
export class SimKarpenter {
  private readonly pools = new Map<string, SimNodePoolSpec>();
  private readonly claims = new Map<string, SimNodeClaimState>();
  private seq = 0;

  constructor(private readonly cluster: SimCluster) {}

  /** Installs the CRDs: from now on the API server serves `karpenter.sh/v1`. */
  install(): void {
    this.cluster.servesKarpenter = true;
  }

  nodePool(p: SimNodePoolSpec): void {
    this.pools.set(p.name, p);
    this.cluster.putKarpenter('nodepools', nodePoolObject(p, this.cluster.clock.now(), `nodepool-${p.name}`));
  }

  /** Sets a NodePool's `status.resources` (what its NodeClaims hold). */
  poolResources(name: string, resources: Readonly<Record<string, string>>): void {
    const p = this.pool(name);
    this.cluster.putKarpenter('nodepools', nodePoolObject(p, this.cluster.clock.now(), `nodepool-${p.name}`, resources));
  }

  /** A new NodeClaim for `pool`, named as Karpenter names them (`<nodepool>-<5 characters>`); returns its name. */
  create(pool: string, o: { instanceType?: string; zone?: string; name?: string } = {}): string {
    const p = this.pool(pool);
    const name = o.name ?? `${pool}-${(++this.seq).toString(36).padStart(5, 'x')}`;
    this.put({
      name,
      nodePool: pool,
      createdAt: this.cluster.clock.now(),
      instanceType: o.instanceType ?? p.instanceTypes?.[0] ?? 'm6i.large',
      capacityType: p.capacityType ?? 'on-demand',
      zone: o.zone ?? `${this.cluster.region}a`,
    });
    return name;
  }

  launched(name: string, instanceId: string): void {
    this.put({ ...this.claim(name), instanceId });
  }

  failLaunch(name: string, message: string): void {
    this.put({ ...this.claim(name), launchFailure: { message, at: this.cluster.clock.now() } });
  }

  registered(name: string, nodeName: string): void {
    this.put({ ...this.claim(name), nodeName });
  }

  initialized(name: string): void {
    this.put({ ...this.claim(name), initialized: true });
  }

  drifted(name: string): void {
    this.put({ ...this.claim(name), driftedAt: this.cluster.clock.now() });
  }

  remove(name: string): void {
    this.claims.delete(name);
    this.cluster.deleteKarpenter('nodeclaims', name);
  }

  get(name: string): SimNodeClaimState | undefined {
    return this.claims.get(name);
  }

  private put(nc: SimNodeClaimState): void {
    this.claims.set(nc.name, nc);
    this.cluster.putKarpenter('nodeclaims', nodeClaimObject(nc, this.pool(nc.nodePool), `nodeclaim-${nc.name}`, this.cluster.clock.now()));
  }

  private pool(name: string): SimNodePoolSpec {
    const p = this.pools.get(name);
    if (!p) throw new Error(`no NodePool ${name} in the simulated cluster`);
    return p;
  }

  private claim(name: string): SimNodeClaimState {
    const c = this.claims.get(name);
    if (!c) throw new Error(`no NodeClaim ${name} in the simulated cluster`);
    return c;
  }
}
