/**
 * The shard leases against the loopback API server's Leases (optimistic concurrency as the real server's):
 * replicas split the shards, a dead replica's shards are taken over once its lease runs out and never while
 * it may still read them, a stopping replica's are taken at once by an idle one, and a replica replacing a
 * dead one gets its share back.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../common/log';
import { ManualClock } from '../../model/time';
import { KubeConfigApi } from '../../agent/kube/api';
import { KubeLeaseStore } from '../../agent/kube/leases';
import { ApiMeter } from '../../agent/kube/meter';
import { microTime, ShardLeases, shardOf, shardedPhaseMs } from '../../agent/shard';
import { SimCluster } from '../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../sim/kube/env';
import { validateObject } from '../sim/kube/k8s-schema';

const T0 = Date.UTC(2026, 11, 5, 4, 0, 0);
const LEASE_MS = 30_000;

let kube: SimKube;
let clock: ManualClock;
let store: KubeLeaseStore;

beforeAll(async () => {
  clock = new ManualClock(T0);
  kube = await startSimKube({ cluster: new SimCluster({ clock }) });
  const kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
  store = new KubeLeaseStore(new KubeConfigApi(kc, new ApiMeter()), 'vigil');
});
afterAll(() => kube.close());

let prefix = 0;
/** Replicas of one agent whose leases no other test shares. */
function agentOf(count: number) {
  const name = `agent${++prefix}`;
  return (identity: string) =>
    new ShardLeases({
      store,
      identity,
      count,
      namespace: 'vigil',
      leaseDurationMs: LEASE_MS,
      now: () => clock.now(),
      logger: silentLogger,
      name,
    });
}

/** One renew period: every live replica syncs; no shard is ever read by two replicas. */
async function round(replicas: readonly ShardLeases[], all: readonly ShardLeases[] = replicas): Promise<number[][]> {
  for (const r of replicas) await r.sync();
  const held = all.map((r) => r.held());
  const flat = held.flat();
  expect(new Set(flat).size).toBe(flat.length);
  clock.advance(LEASE_MS / 3);
  return held;
}

describe('shard of a node', () => {
  it('is stable and spreads nodes evenly', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `ip-10-0-${Math.floor(i / 250)}-${i % 250}.eu-west-1.compute.internal`);
    const counts = [0, 0, 0];
    for (const n of names) counts[shardOf(n, 3)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(names.map((n) => shardOf(n, 3))).toEqual(names.map((n) => shardOf(n, 3)));
    expect(shardedPhaseMs('prod', 60_000)).toBe(shardedPhaseMs('prod', 60_000));
    expect(microTime(T0 + 123)).toBe('2026-12-05T04:00:00.123000Z');
  });
});

describe('shard leases', () => {
  it("keep off shards whose leases another replica renews (the bench's other replicas, `SimLeases.holdAs`)", async () => {
    const replica = agentOf(4)('measured');
    const name = `agent${prefix}`;
    const holdOthers = () => {
      for (const s of [1, 2, 3]) kube.api.leases.holdAs('vigil', `${name}-shard-${s}`, 'elsewhere', LEASE_MS / 1000);
    };
    for (let i = 0; i < 6; i++) {
      holdOthers();
      expect(await round([replica])).toEqual([[0]]);
    }
    // Left unrenewed for a whole lease, they are taken over.
    for (let i = 0; i < 8; i++) await round([replica]);
    expect(replica.held()).toEqual([0, 1, 2, 3]);
  });

  it('split the shards between replicas, one each, as valid Lease objects', async () => {
    const replica = agentOf(3);
    const [a, b, c] = ['a', 'b', 'c'].map(replica);
    expect(await round([a, b, c])).toEqual([[0], [1], [2]]);
    // Renewing keeps them where they are.
    expect(await round([a, b, c])).toEqual([[0], [1], [2]]);
    const leases = kube.api.leases.all().filter((l) => (l.metadata as { name: string }).name.startsWith(`agent${prefix}-`));
    expect(leases.map((l) => (l.spec as { holderIdentity: string }).holderIdentity).sort()).toEqual(['a', 'b', 'c']);
    for (const l of leases) validateObject(l);
    expect(leases[0].spec).toMatchObject({ leaseDurationSeconds: 30, leaseTransitions: 1 });
  });

  it("take over a dead replica's shard once its lease ran out, never while it may still read it, and one replica only", async () => {
    const replica = agentOf(3);
    const [a, b, c] = ['a', 'b', 'c'].map(replica);
    await round([a, b, c]);
    // c dies: it stops renewing. It stops reading its shard itself after two thirds of the lease.
    const heldByC: number[][] = [];
    let taken = -1;
    for (let i = 1; i <= 8; i++) {
      const held = await round([a, b], [a, b, c]);
      heldByC.push(held[2]);
      if (taken < 0 && held[0].length + held[1].length === 3) taken = i;
    }
    expect(heldByC[0]).toEqual([2]);
    expect(heldByC[2]).toEqual([]);
    // Taken over 40-50 s after c's last renew (the lease, then half a lease so an idle replica may go first).
    expect((taken * LEASE_MS) / 3).toBeGreaterThanOrEqual(LEASE_MS);
    expect((taken * LEASE_MS) / 3).toBeLessThanOrEqual(2 * LEASE_MS);
    const [heldA, heldB] = [a.held(), b.held()];
    expect([...heldA, ...heldB].sort()).toEqual([0, 1, 2]);
    expect(Math.abs(heldA.length - heldB.length)).toBe(1);
  });

  it("hand a stopping replica's shards to an idle one at its next sync", async () => {
    const replica = agentOf(2);
    const [a, b, spare] = ['a', 'b', 'spare'].map(replica);
    await round([a, b, spare]);
    expect(spare.held()).toEqual([]);
    // A rollout: b is stopped (SIGTERM) and releases its lease; the surge replica takes it in the next round.
    await b.release();
    expect(b.held()).toEqual([]);
    expect(await round([a, spare], [a, b, spare])).toEqual([[0], [], [1]]);
  });

  it('give a replica that replaces a dead one its share back, through the standby lease', async () => {
    const replica = agentOf(2);
    const [a, b] = ['a', 'b'].map(replica);
    await round([a, b]);
    for (let i = 0; i < 6; i++) await round([a]);
    expect(a.held()).toEqual([0, 1]);
    const b2 = replica('b2');
    let rounds = 0;
    while (b2.held().length === 0 && rounds < 5) {
      await round([a, b2]);
      rounds++;
    }
    expect([a.held(), b2.held()]).toEqual([[0], [1]]);
    expect(rounds).toBeLessThanOrEqual(3);
    // And it stays so.
    expect(await round([a, b2])).toEqual([[0], [1]]);
  });

  it("keep a replica's shards while the API server refuses lease writes only as long as they are safe to read", async () => {
    const replica = agentOf(2);
    const [a, b] = ['a', 'b'].map(replica);
    await round([a, b]);
    kube.api.leases.failWrites = 500;
    try {
      await expect(a.sync()).rejects.toThrow(/HTTP 500/);
      clock.advance((2 * LEASE_MS) / 3);
      expect(a.held()).toEqual([]);
    } finally {
      kube.api.leases.failWrites = undefined;
    }
    await round([a, b]);
    expect(a.held()).toEqual([0]);
  });
});
