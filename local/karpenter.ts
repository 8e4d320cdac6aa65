/**
 * Karpenter in the local world: a NodePool for each Karpenter or EKS Auto Mode node group, a Ready NodeClaim
 * for each of its nodes, and launches that fail the way Karpenter's do (`pkg/controllers/nodeclaim/lifecycle`):
 * - `insufficient-capacity`: each attempt's NodeClaim gets a Warning `InsufficientCapacityError` event and is
 *   deleted at once (Karpenter then tries again for the Pending pods);
 * - `never-ready`: the instance launches but its node never joins; Karpenter deletes the NodeClaim after its
 *   15-minute registration TTL and launches another.
 * When the failure ends, Karpenter launches a node for the Pending pods (one a minute, within the NodePool's size).
 */
import type { EpochMs } from '../model/time';
import { MINUTE_MS } from '../model/time';
import type { SimCluster } from '../sim/kube/cluster';
import { SimKarpenter, type SimNodePoolSpec } from '../sim/kube/karpenter';

/** Karpenter deletes a NodeClaim whose node has not registered after this (`liveness.go`). */
const REGISTRATION_TTL_MS = 15 * MINUTE_MS;

export type LaunchFailure = 'insufficient-capacity' | 'never-ready';

export interface KarpenterPool {
  readonly name: string;
  readonly kind: 'karpenter' | 'auto-mode';
  readonly instanceType: string;
  readonly capacityType?: 'on-demand' | 'spot';
  readonly maxNodes: number;
}

export interface KarpenterWorldDeps {
  readonly kube: SimCluster;
  /** How many Pending pods the NodePool could take. */
  readonly pendingFor: (pool: string) => number;
  /** Running nodes of the NodePool. */
  readonly running: (pool: string) => number;
  /** Launches one instance in the NodePool (its node joins as the world's nodes do). */
  readonly launch: (pool: string) => void;
  readonly note: (text: string) => void;
}

export class KarpenterWorld {
  private readonly sim: SimKarpenter;
  private readonly pools = new Map<string, KarpenterPool>();
  private readonly claimOfNode = new Map<string, string>();
  private readonly failures = new Map<string, { mode: LaunchFailure; until: EpochMs; attempt?: { name: string; at: EpochMs } }>();
  /** NodePools recovering from a launch failure: Karpenter launches for their Pending pods. */
  private readonly recovering = new Set<string>();
  private seq = 0;

  constructor(
    private readonly deps: KarpenterWorldDeps,
    pools: readonly KarpenterPool[],
  ) {
    this.sim = new SimKarpenter(deps.kube);
    this.sim.install();
    for (const p of pools) {
      this.pools.set(p.name, p);
      this.sim.nodePool(poolSpec(p));
    }
  }

  /** A node of a NodePool joined: its NodeClaim is launched, registered and initialized. */
  joined(node: string, pool: string, instanceId: string, zone: string, instanceType: string): void {
    if (!this.pools.has(pool)) return;
    const name = this.sim.create(pool, { name: this.nextName(pool), zone, instanceType });
    this.sim.launched(name, instanceId);
    this.sim.registered(name, node);
    this.sim.initialized(name);
    this.claimOfNode.set(node, name);
    this.countNodes(pool);
  }

  left(node: string): void {
    const name = this.claimOfNode.get(node);
    if (!name) return;
    const pool = this.sim.get(name)?.nodePool;
    this.claimOfNode.delete(node);
    this.sim.remove(name);
    if (pool) this.countNodes(pool);
  }

  /** The NodePool's `status.resources.nodes`: its NodeClaims with a node. */
  private countNodes(pool: string): void {
    const nodes = [...this.claimOfNode.values()].filter((name) => this.sim.get(name)?.nodePool === pool).length;
    this.sim.poolResources(pool, { nodes: String(nodes) });
  }

  /**
   * The NodePool's template changed (a new AMI, a NodeClass edit): its NodeClaims are Drifted. With `budget`,
   * its disruption budgets allow that many nodes for Drifted (e.g. "0"), which keeps them; this world does
   * not replace drifted nodes in any case.
   */
  drift(pool: string, budget?: string): void {
    const p = this.pools.get(pool);
    if (!p) throw new Error(`karpenter-drift: ${pool} is not a Karpenter or EKS Auto Mode NodePool of the cluster`);
    if (budget !== undefined) {
      this.sim.nodePool({ ...poolSpec(p), budgets: [{ nodes: budget, reasons: ['Drifted'] }, { nodes: '10%' }] });
      this.countNodes(pool);
    }
    for (const name of this.claimOfNode.values()) if (this.sim.get(name)?.nodePool === pool) this.sim.drifted(name);
  }

  failLaunches(pool: string, mode: LaunchFailure, until: EpochMs): void {
    if (!this.pools.has(pool))
      throw new Error(`karpenter-launch-failure: ${pool} is not a Karpenter or EKS Auto Mode NodePool of the cluster`);
    this.failures.set(pool, { mode, until });
  }

  /** One minute of Karpenter's provisioning for the NodePools whose launches fail or just recovered. */
  step(now: EpochMs): void {
    for (const [pool, f] of this.failures) {
      if (now >= f.until) {
        if (f.attempt) this.sim.remove(f.attempt.name);
        this.failures.delete(pool);
        this.recovering.add(pool);
        this.deps.note(`Karpenter's launches for NodePool ${pool} work again`);
        continue;
      }
      if (this.deps.pendingFor(pool) === 0) continue;
      if (f.mode === 'insufficient-capacity') this.insufficientCapacity(pool);
      else f.attempt = this.neverReady(pool, f.attempt, now);
    }
    for (const pool of this.recovering) {
      const p = this.pools.get(pool)!;
      if (this.deps.pendingFor(pool) === 0 || this.deps.running(pool) >= p.maxNodes) this.recovering.delete(pool);
      else this.deps.launch(pool);
    }
  }

  private insufficientCapacity(pool: string): void {
    const p = this.pools.get(pool)!;
    const zone = `${this.deps.kube.region}a`;
    const name = this.sim.create(pool, { name: this.nextName(pool), zone });
    // The EC2 Fleet error Karpenter reports (the EC2 API's InsufficientInstanceCapacity message), then the NodeClaim is deleted.
    const message = `NodeClaim ${name} event: creating instance, insufficient capacity, with fleet error(s), InsufficientInstanceCapacity: We currently do not have sufficient ${p.instanceType} capacity in the Availability Zone you requested (${zone}).`;
    this.deps.kube.emitEvent({
      involvedObject: { kind: 'NodeClaim', name, uid: `nodeclaim-${name}` },
      reason: 'InsufficientCapacityError',
      type: 'Warning',
      message,
      source: { component: 'karpenter' },
    });
    this.sim.remove(name);
  }

  private neverReady(
    pool: string,
    attempt: { name: string; at: EpochMs } | undefined,
    now: EpochMs,
  ): { name: string; at: EpochMs } | undefined {
    if (attempt && now - attempt.at < REGISTRATION_TTL_MS) return attempt;
    if (attempt) {
      this.sim.remove(attempt.name);
      this.deps.note(`Karpenter deletes NodeClaim ${attempt.name}: its node did not register within 15 minutes`);
    }
    const name = this.sim.create(pool, { name: this.nextName(pool) });
    this.sim.launched(name, `i-0${(0xbad0000 + ++this.seq).toString(16).padStart(16, '0')}`);
    return { name, at: now };
  }

  /** `<nodepool>-<5 characters>`, as Karpenter names NodeClaims. */
  private nextName(pool: string): string {
    return `${pool}-${(++this.seq).toString(36).padStart(5, '0')}`;
  }
}

function poolSpec(p: KarpenterPool): SimNodePoolSpec {
  return {
    name: p.name,
    nodeClass: p.kind === 'auto-mode' ? 'auto' : 'ec2',
    instanceTypes: [p.instanceType],
    capacityType: p.capacityType,
    limits: { nodes: String(p.maxNodes) },
  };
}
