/**
 * Sharding: N agent replicas split the nodes between them. Nodes belong to one of `count` fixed shards by a
 * stable hash of their name; each shard is a Lease (coordination.k8s.io/v1) in the agent's namespace, held by
 * exactly one replica at a time (the API server's compare-and-swap on resourceVersion decides every race).
 * A replica reads and pushes only the nodes of the shards it holds; the holder of shard 0 also sends what is
 * cluster-wide (unscheduled pods, workloads, namespaces, events, Karpenter, `/readyz`), so that is sent once.
 *
 * Takeover: a lease its holder stopped renewing is taken after `leaseDurationMs`, measured on this replica's
 * own clock from the last change it saw (as client-go's leader election does: no clock is compared with
 * another's). A replica that stops releases its leases at once, so a rolled replica's nodes move within a
 * renew period. A replica holding nothing takes an orphaned shard at once; one already holding shards waits a
 * further half lease, so idle replicas go first, and takes only while it holds no more than any other holder.
 * An idle replica holds the standby Lease; while one does, the replica holding the most shards gives one up,
 * so a replica replacing a dead one gets its share back.
 */
import type { Logger } from '../common/log';
import { BATCH_LIMITS } from '../model/batch-constants';
import type { EpochMs } from '../model/time';
import type { BatchContent } from './push/batches';

/** The Lease fields sharding reads and writes (`coordination.k8s.io/v1`). */
export interface Lease {
  readonly apiVersion: 'coordination.k8s.io/v1';
  readonly kind: 'Lease';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    /** MicroTime: RFC 3339 with microseconds. */
    readonly acquireTime?: string;
    readonly renewTime?: string;
    readonly leaseTransitions?: number;
  };
}

/** The three Lease calls sharding makes. Each answers undefined where the API says no (404 on get, 409 on writes). */
export interface LeaseStore {
  get(name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease | undefined>;
  replace(lease: Lease): Promise<Lease | undefined>;
}

/** The most shards a cluster may be split into (and replicas the manifest runs). */
export const MAX_SHARDS = BATCH_LIMITS.maxShards;

/** The Lease of a shard, or the standby Lease idle replicas hold (the manifest's Role names each). */
export function shardLeaseName(shard: number | 'standby', agent = 'vigil-agent'): string {
  return `${agent}-${shard === 'standby' ? 'standby' : `shard-${shard}`}`;
}

/** FNV-1a of the node name: the same shard on every replica and across restarts. */
export function shardOf(node: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < node.length; i++) {
    h ^= node.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/**
 * Where in the interval sharded replicas tick: the same point for all of them (a stable hash of the cluster,
 * kept 10 % from the edges), so the shards of one minute reach ingest together, as the parts of a split batch do.
 */
export function shardedPhaseMs(cluster: string, intervalMs: number): number {
  const at = shardOf(cluster, 1_000_000) / 1_000_000;
  return Math.floor(intervalMs * (0.1 + 0.8 * at));
}

export interface ShardLeaseOptions {
  readonly store: LeaseStore;
  /** This replica: its pod's name. */
  readonly identity: string;
  readonly count: number;
  readonly namespace: string;
  /** A lease not renewed for this long is taken over. */
  readonly leaseDurationMs: number;
  readonly now: () => EpochMs;
  readonly logger: Logger;
  /** @default 'vigil-agent' */
  readonly name?: string;
}

/** The shard leases a replica holds and what it makes of the others'. One `sync()` per renew period. */
export class ShardLeases {
  readonly count: number;
  readonly renewEveryMs: number;
  private readonly o: ShardLeaseOptions;
  /** Per lease name: its last resourceVersion seen, and when this replica first saw it. */
  private readonly seen = new Map<string, { readonly version: string; readonly at: EpochMs }>();
  /** Held shards: the lease as last written, and when. */
  private readonly mine = new Map<number, { readonly lease: Lease; readonly renewedAt: EpochMs }>();
  private standby?: Lease;

  constructor(o: ShardLeaseOptions) {
    if (!Number.isInteger(o.count) || o.count < 2 || o.count > MAX_SHARDS)
      throw new Error(`shards: expected 2 to ${MAX_SHARDS}, got ${o.count}`);
    if (!o.identity) throw new Error('shards: the replica needs an identity (its pod name)');
    this.o = o;
    this.count = o.count;
    this.renewEveryMs = Math.floor(o.leaseDurationMs / 3);
  }

  /**
   * The shards this replica may read now: renewed within two thirds of the lease, so no other replica can
   * have taken them over (it waits the whole lease from a change it saw after that renew).
   */
  held(): number[] {
    const now = this.o.now();
    return [...this.mine]
      .filter(([, m]) => now - m.renewedAt < (2 * this.o.leaseDurationMs) / 3)
      .map(([s]) => s)
      .sort((a, b) => a - b);
  }

  /** Reads every lease, renews this replica's, takes orphaned shards and gives one back to an idle replica. */
  async sync(): Promise<void> {
    const { store, identity } = this.o;
    const now = this.o.now();
    const leases = await Promise.all(this.shards().map((s) => store.get(this.leaseName(s))));
    const holders = new Map<string, number>();
    const orphaned: { shard: number; since: EpochMs }[] = [];
    for (const s of this.shards()) {
      const lease = leases[s];
      const holder = lease?.spec.holderIdentity || undefined;
      const since = this.observe(this.leaseName(s), lease, now);
      if (holder === identity && lease) {
        const renewed = await store.replace(this.stamp(lease, now));
        if (renewed) this.mine.set(s, { lease: renewed, renewedAt: now });
        else this.lose(s, 'renewal refused: the lease changed');
        continue;
      }
      if (this.mine.has(s)) this.lose(s, holder ? `now held by ${holder}` : 'released by someone else');
      if (!holder) orphaned.push({ shard: s, since });
      else if (now - since >= this.o.leaseDurationMs) orphaned.push({ shard: s, since: since + this.o.leaseDurationMs });
      else holders.set(holder, (holders.get(holder) ?? 0) + 1);
    }
    const fewestElsewhere = Math.min(...holders.values());
    for (const { shard, since } of orphaned) {
      const idle = this.mine.size === 0;
      if (!idle && (now - since < this.o.leaseDurationMs / 2 || this.mine.size > fewestElsewhere)) continue;
      if (await this.take(shard, leases[shard], now)) break;
    }
    await this.balance(holders, now);
  }

  /** Gives every lease up (the replica is stopping): the others take its shards at their next sync. */
  async release(): Promise<void> {
    const now = this.o.now();
    const held = [...this.mine.values()].map((m) => m.lease);
    if (this.standby) held.push(this.standby);
    this.mine.clear();
    this.standby = undefined;
    await Promise.all(
      held.map((l) =>
        this.o.store
          .replace(this.stamp(l, now, ''))
          .catch((e) => this.o.logger.warn('shard lease not released', { lease: l.metadata.name, error: e })),
      ),
    );
  }

  // -------------------------------------------------------------------------------------------------

  private shards(): number[] {
    return Array.from({ length: this.count }, (_, s) => s);
  }

  private leaseName(shard: number | 'standby'): string {
    return shardLeaseName(shard, this.o.name);
  }

  /** When this replica first saw the lease as it is now (absent counts as a state). */
  private observe(name: string, lease: Lease | undefined, now: EpochMs): EpochMs {
    const version = lease?.metadata.resourceVersion ?? 'absent';
    const prev = this.seen.get(name);
    if (prev?.version === version) return prev.at;
    this.seen.set(name, { version, at: now });
    return now;
  }

  private lose(shard: number, why: string): void {
    this.mine.delete(shard);
    this.o.logger.warn('shard lost', { shard, why });
  }

  /** The lease renewed now by `holder` (this replica; '' releases it, as client-go does). */
  private stamp(lease: Lease, now: EpochMs, holder = this.o.identity): Lease {
    const taking = lease.spec.holderIdentity !== holder;
    return {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: holder,
        leaseDurationSeconds: holder ? Math.ceil(this.o.leaseDurationMs / 1000) : 1,
        renewTime: microTime(now),
        ...(taking ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (holder ? 1 : 0) } : {}),
      },
    };
  }

  private blank(name: string): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: this.o.namespace, labels: { 'app.kubernetes.io/name': this.o.name ?? 'vigil-agent' } },
      spec: {},
    };
  }

  private async take(shard: number, lease: Lease | undefined, now: EpochMs): Promise<boolean> {
    const from = lease?.spec.holderIdentity || undefined;
    const next = this.stamp(lease ?? this.blank(this.leaseName(shard)), now);
    const taken = lease ? await this.o.store.replace(next) : await this.o.store.create(next);
    if (!taken) return false;
    this.mine.set(shard, { lease: taken, renewedAt: now });
    this.o.logger.info('shard taken', { shard, ...(from ? { from } : {}) });
    return true;
  }

  /**
   * An idle replica holds the standby lease; the replica holding the most shards (ties: the first identity)
   * gives one up while the standby lease is held by someone live, and the idle replica takes it at once.
   */
  private async balance(holders: ReadonlyMap<string, number>, now: EpochMs): Promise<void> {
    const { store, identity } = this.o;
    const name = this.leaseName('standby');
    const standby = await store.get(name);
    const since = this.observe(name, standby, now);
    const waiting = standby?.spec.holderIdentity || undefined;
    const live = waiting !== undefined && now - since < this.o.leaseDurationMs;
    if (this.mine.size === 0) {
      if (waiting === identity || !live)
        this.standby =
          (await (standby ? store.replace(this.stamp(standby, now)) : store.create(this.stamp(this.blank(name), now)))) ?? undefined;
      return;
    }
    if (this.standby) {
      const released = await store.replace(this.stamp(standby ?? this.standby, now, ''));
      if (released) this.standby = undefined;
      return;
    }
    const most = Math.max(0, ...holders.values());
    const first = [...holders].filter(([, n]) => n === this.mine.size).every(([h]) => identity < h);
    if (!live || waiting === identity || this.mine.size < 2 || this.mine.size < most || (this.mine.size === most && !first)) return;
    const shard = Math.max(...this.mine.keys());
    const lease = this.mine.get(shard)!.lease;
    this.mine.delete(shard);
    await store.replace(this.stamp(lease, now, ''));
    this.o.logger.info('shard handed over to an idle replica', { shard, to: waiting });
  }
}

/** Kubernetes MicroTime: RFC 3339 with six fractional digits. */
export function microTime(t: EpochMs): string {
  return new Date(t).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * One replica's full batch as one batch per shard it holds, each with that shard's nodes and their scrape
 * errors; what is cluster-wide rides in shard 0 only, so it is sent once whatever the replica count.
 */
export function shardContents(c: BatchContent, held: readonly number[], count: number): BatchContent[] {
  const { unscheduledPods, workloads, namespaces, events, controlPlane, karpenter, ...common } = c;
  const clusterWide = {
    unscheduledPods,
    workloads,
    events,
    ...(namespaces ? { namespaces } : {}),
    ...(controlPlane ? { controlPlane } : {}),
    ...(karpenter ? { karpenter } : {}),
  };
  return held.map((index) => {
    const nodes = c.nodes.filter((n) => shardOf(n.node.name, count) === index);
    const names = new Set(nodes.map((n) => n.node.name));
    const own = { ...common, shard: { index, count }, nodes, scrapeErrors: c.scrapeErrors.filter((e) => names.has(e.node)) };
    return index === 0 ? { ...own, ...clusterWide } : { ...own, unscheduledPods: [], workloads: [], events: [] };
  });
}
