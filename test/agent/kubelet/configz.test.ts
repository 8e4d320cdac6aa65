import { evictionOf, KubeletConfigs } from '../../../agent/kubelet/configz';
import { DirectKubeletSource } from '../../../agent/kubelet/scraper';
import { parseBatch } from '../../../model/batch';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../../sim/kube/env';
import { loopbackTls } from '../../../sim/kube/tls';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;
const NODES = ['ip-10-0-0-1.eu-west-1.compute.internal', 'ip-10-0-0-2.eu-west-1.compute.internal'];

let kube: SimKube | undefined;
afterEach(() => kube?.close());

async function start(nodesConfigz: boolean) {
  const sim = new SimCluster({ clock: new ManualClock(T0) });
  sim.addNode({
    name: NODES[0],
    capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 },
    evictionHard: { 'memory.available': '500Mi' },
  });
  sim.addNode({ name: NODES[1], capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 } });
  const k = (kube = await startSimKube({ cluster: sim, permissions: { nodesConfigz } }));
  const source = new DirectKubeletSource({ ca: loopbackTls.ca(), authorization: async () => `Bearer ${k.token}` });
  const targets = NODES.map((node) => ({ node, address: '127.0.0.1', port: k.kubelets.portOf(node) as number }));
  return { source, targets };
}

test('a /configz answer gives the thresholds: amounts, shares, PIDs as a count, soft ones apart', () => {
  const e = evictionOf({
    kubeletconfig: {
      evictionHard: { 'memory.available': '500Mi', 'nodefs.available': '10%', 'pid.available': '1k', 'imagefs.available': 'junk' },
      evictionSoft: { 'memory.available': '1Gi' },
      evictionSoftGracePeriod: { 'memory.available': '1m30s' },
    },
  });
  expect(e).toEqual({
    hard: { 'memory.available': { quantity: 500 * 2 ** 20 }, 'nodefs.available': { pct: 10 }, 'pid.available': { quantity: 1000 } },
    soft: { 'memory.available': { quantity: GiB } },
  });
  expect(evictionOf({ kind: 'Status' })).toBeUndefined();
});

test("each kubelet's thresholds are read over nodes/configz, cached per node, and valid in a batch", async () => {
  const { source, targets } = await start(true);
  const now = { t: T0 };
  const configs = new KubeletConfigs({ source, now: () => now.t, refreshMs: 3_600_000 });
  await configs.refresh(targets);
  expect(configs.get(NODES[0])?.hard['memory.available']).toEqual({ quantity: 500 * 2 ** 20 });
  expect(configs.get(NODES[1])?.hard['memory.available']).toEqual({ quantity: 100 * 2 ** 20 });
  // Cached: nothing is asked within the hour.
  let asked = 0;
  const counting = { fetch: (...a: Parameters<typeof source.fetch>) => (asked++, source.fetch(...a)) };
  const cached = new KubeletConfigs({ source: counting, now: () => now.t });
  await cached.refresh(targets);
  await cached.refresh(targets);
  expect(asked).toBe(2);
  now.t += 3_600_000;
  await cached.refresh(targets);
  expect(asked).toBe(4);
  const node = {
    name: NODES[0],
    conditions: [],
    capacity: {},
    allocatable: {},
    taints: [],
    unschedulable: false,
    eviction: configs.get(NODES[0]),
  };
  const batch = {
    v: 1,
    cluster: 'c',
    kind: 'full',
    seq: 1,
    collectedAt: T0,
    agent: {
      version: '1',
      startedAt: T0,
      cycles: 1,
      batchesSent: 0,
      bytesSent: 0,
      buffered: 0,
      droppedBatches: 0,
      pushFailures: 0,
      scrapeErrors: {},
    },
    nodes: [{ node, pods: [] }],
    unscheduledPods: [],
    workloads: [],
    events: [],
    scrapeErrors: [],
  };
  expect(parseBatch(batch)).toMatchObject({ ok: true });
});

test('where nodes/configz is refused (before 1.33, or no grant) the node has no thresholds, no error, and is asked again an hour later', async () => {
  const { source, targets } = await start(false);
  const outcomes: string[] = [];
  const configs = new KubeletConfigs({ source, now: () => T0, onOutcome: (node, outcome) => outcomes.push(`${node} ${outcome}`) });
  await expect(configs.refresh(targets)).resolves.toBeUndefined();
  expect(configs.get(NODES[0])).toBeUndefined();
  expect(outcomes).toEqual(NODES.map((n) => `${n} denied`));
});
