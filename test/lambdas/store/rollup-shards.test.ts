/**
 * A sharded agent's minute in the store: each shard's batch is a part of the minute, as the parts of a split
 * batch are. Written as ingest writes them (`putKubeBatch`), read back merged, on dynalite.
 */
import type { RollupPart } from '../../../lambdas/store/rollup-parts';
import type { VigilStore } from '../../../lambdas/store/store';
import type { AgentStatus, KubeRollup } from '../../../model/domain';
import { startTestStore, type TestStore } from '../../support/store';

const M = Date.UTC(2026, 11, 5, 4, 10);
const CLUSTER = 'prod';
const agent: AgentStatus = {
  version: '0.1.0',
  startedAt: M - 3_600_000,
  cycles: 1,
  batchesSent: 1,
  bytesSent: 1,
  buffered: 0,
  droppedBatches: 0,
  pushFailures: 0,
  scrapeErrors: {},
};
const w = {
  namespace: 'a',
  kind: 'Deployment' as const,
  name: 'x',
  pods: 1,
  readyPods: 1,
  restarts: 0,
  oomKilled: 0,
  cpuMilli: 10,
  memoryWorkingSetBytes: 5,
};
const node = (name: string) => ({
  name,
  key: name,
  ready: 'True' as const,
  problems: [],
  unschedulable: false,
  allocatable: {},
  requested: {},
  pods: 1,
});

let t: TestStore;
let store: VigilStore;
beforeEach(async () => {
  t = await startTestStore(undefined, M + 30_000);
  store = t.store();
});
afterEach(() => t.dynamo.close());

/** One shard's batch (or one part of it), collected `at` ms into the minute. */
function put(at: number, names: string[], shard: RollupPart, part: RollupPart = { index: 0, count: 1 }, over: Partial<KubeRollup> = {}) {
  const rollup: KubeRollup = {
    minute: M,
    collectedAt: M + at,
    nodes: names.map(node),
    workloads: names.length ? [{ ...w, pods: names.length }] : [],
    pendingPods: [],
    events: [],
    agent,
    scrapeErrors: [],
    ...over,
  };
  return store.putKubeBatch(CLUSTER, {
    minutes: [],
    rollup: { rollup, part, shard },
    events: [],
    heartbeat: { cluster: CLUSTER, lastSeen: M + at, agent },
  });
}
const read = async () => (await store.rollups(CLUSTER, M, M))[0]?.kube;

describe("a sharded agent's minute", () => {
  it('merges the shards, the cluster-wide fields from shard 0, the workloads counted once per pod', async () => {
    // Two replicas may collect in the same millisecond: the shard is in the key, so neither overwrites the other.
    await put(50_000, ['a', 'b'], { index: 0, count: 3 }, undefined, {
      workloads: [{ ...w, pods: 2, desired: 4 }],
      events: [
        {
          objectUid: 'u',
          objectKind: 'Pod',
          objectName: 'p',
          namespace: 'a',
          reason: 'BackOff',
          type: 'Warning',
          message: 'm',
          count: 1,
          firstSeen: M,
          lastSeen: M,
        },
      ],
    });
    await put(50_000, ['c'], { index: 1, count: 3 });
    // Shard 2 is large: split into two parts of its own.
    await put(50_200, ['d'], { index: 2, count: 3 }, { index: 0, count: 2 });
    await put(50_200, ['e'], { index: 2, count: 3 }, { index: 1, count: 2 });
    const r = await read();
    expect(r?.partial).toBeUndefined();
    expect(r?.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(r?.workloads).toMatchObject([{ ...w, pods: 5, readyPods: 4, cpuMilli: 40, memoryWorkingSetBytes: 20, desired: 4 }]);
    expect(r?.events).toHaveLength(1);
    expect(r?.collectedAt).toBe(M + 50_000);
  });

  it('reads as partial while a shard is missing (late, or its replica being replaced), and whole once it lands', async () => {
    await put(50_000, ['a'], { index: 0, count: 3 });
    await put(50_000, ['b'], { index: 1, count: 3 });
    expect(await read()).toMatchObject({ nodes: [{ name: 'a' }, { name: 'b' }], partial: { parts: 2, count: 3 } });
    // A shard with one of its two parts only is not complete either.
    await put(51_000, ['c'], { index: 2, count: 3 }, { index: 0, count: 2 });
    expect((await read())?.partial).toEqual({ parts: 2, count: 3 });
    await put(51_000, ['d'], { index: 2, count: 3 }, { index: 1, count: 2 });
    expect((await read())?.partial).toBeUndefined();
  });

  it('keeps one cycle per shard: a shard read twice in a minute (a takeover racing a slow push) counts its nodes once', async () => {
    await put(50_000, ['a'], { index: 0, count: 2 });
    await put(50_000, ['b'], { index: 1, count: 2 });
    await put(55_000, ['b'], { index: 1, count: 2 });
    expect((await read())?.nodes.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it("leaves the old layout out for the minute the replica count changes in, and an unsharded agent's too", async () => {
    await put(20_000, ['a', 'b', 'c'], { index: 0, count: 1 } as never);
    await put(50_000, ['a'], { index: 0, count: 3 });
    await put(50_000, ['b'], { index: 0, count: 2 });
    await put(51_000, ['c'], { index: 1, count: 2 });
    expect((await read())?.nodes.map((n) => n.name)).toEqual(['b', 'c']);
  });
});
