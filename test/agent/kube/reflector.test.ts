import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigApi } from '../../../agent/kube/api';
import { ApiMeter } from '../../../agent/kube/meter';
import { projectNode, type NodeRecord } from '../../../agent/kube/project';
import { Reflector } from '../../../agent/kube/reflector';
import type { NodeObject } from '../../../agent/kube/objects';
import { silentLogger } from '../../../common/log';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../../sim/kube/env';
import { eventually } from '../eventually';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;
let sim: SimCluster;
let kube: SimKube;
let meter: ApiMeter;
let reflector: Reflector<NodeRecord> | undefined;
const changes: string[] = [];

async function start(opts: { bookmarkIntervalMs?: number; idleTimeoutMs?: number; pageSize?: number } = {}) {
  kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 100 });
  const kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
  meter = new ApiMeter();
  reflector = new Reflector<NodeRecord>({
    api: new KubeConfigApi(kc, meter),
    resource: 'nodes',
    path: '/api/v1/nodes',
    project: (o) => projectNode(o as NodeObject),
    onChange: (type, key) => changes.push(`${type} ${key}`),
    logger: silentLogger,
    pageSize: opts.pageSize ?? 2,
    backoff: { baseMs: 10, capMs: 50 },
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
  });
  await reflector.start();
  return reflector;
}

const unschedulable = (r: Reflector<NodeRecord>, name: string) => r.items.get(name)?.node.unschedulable;

beforeEach(() => {
  changes.length = 0;
  sim = new SimCluster({ clock: new ManualClock(T0) });
  for (const n of ['a', 'b', 'c', 'd', 'e']) sim.addNode({ name: n, capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 } });
});
afterEach(async () => {
  await reflector?.stop();
  reflector = undefined;
  await kube.close();
});

describe('Reflector (list, then watch, with the real client-node Watch)', () => {
  it('lists page by page, then follows changes', async () => {
    const r = await start();
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(kube.api.requests.filter((q) => !q.watch && q.path === '/api/v1/nodes')).toHaveLength(3);
    sim.cordon('c');
    sim.removeNode('e');
    await eventually(() => {
      expect(unschedulable(r, 'c')).toBe(true);
      expect(r.items.has('e')).toBe(false);
    });
    expect(changes).toEqual(expect.arrayContaining(['added a', 'modified c', 'deleted e']));
  });

  it('watches again from the last resourceVersion when the connection drops, missing nothing', async () => {
    const r = await start();
    await eventually(() => expect(kube.api.faults.watches.size).toBe(1));
    kube.api.faults.dropWatches();
    sim.cordon('a'); // while no watch is open
    await eventually(() => expect(unschedulable(r, 'a')).toBe(true));
    expect(r.stats.lists).toBe(1);
    expect(r.stats.failures + r.stats.watchRestarts).toBeGreaterThanOrEqual(1);
  });

  it('lists again after 410 Gone, and reports what changed meanwhile', async () => {
    const r = await start();
    await eventually(() => expect(kube.api.faults.watches.size).toBe(1));
    kube.api.faults.dropWatches();
    sim.cordon('b');
    sim.compact();
    await eventually(() => expect(unschedulable(r, 'b')).toBe(true));
    expect(r.stats).toMatchObject({ lists: 2, relistsAfterGone: 1 });
  });

  it('lists again when the server answers 410 as an HTTP status too', async () => {
    const r = await start();
    kube.api.faults.goneAsHttpStatus = true;
    kube.api.faults.dropWatches();
    sim.cordon('d');
    sim.compact();
    await eventually(() => expect(unschedulable(r, 'd')).toBe(true));
    expect(r.stats.relistsAfterGone).toBe(1);
  });

  it('waits out 429s (Retry-After), counting them as throttled calls, and still syncs', async () => {
    sim.compact();
    const started = Date.now();
    kube = await startSimKube({ cluster: sim });
    kube.api.faults.throttle(2, /\/api\/v1\/nodes\?limit/, 1);
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    meter = new ApiMeter();
    reflector = new Reflector<NodeRecord>({ api: new KubeConfigApi(kc, meter), resource: 'nodes', path: '/api/v1/nodes', project: (o) => projectNode(o as NodeObject), logger: silentLogger, backoff: { baseMs: 10, capMs: 50 } });
    await reflector.start();
    expect(reflector.items.size).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(meter.take()).toMatchObject({ apiThrottled: 2, apiErrors: 2 });
    expect(reflector.stats.failures).toBe(2);
    await kube.close();
  });

  it('restarts a watch that goes silent (no event, no bookmark)', async () => {
    const r = await start({ bookmarkIntervalMs: 60_000, idleTimeoutMs: 300 });
    await eventually(() => expect(r.stats.watchRestarts).toBeGreaterThanOrEqual(1), 3000);
    sim.cordon('a');
    await eventually(() => expect(unschedulable(r, 'a')).toBe(true));
    expect(r.stats.lists).toBe(1);
  });

  it('gives up on a watch whose server never answers, and opens another', async () => {
    sim.compact();
    kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: 50 });
    kube.api.faults.delay(1, 3000, /watch=true/);
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    reflector = new Reflector<NodeRecord>({ api: new KubeConfigApi(kc, new ApiMeter()), resource: 'nodes', path: '/api/v1/nodes', project: (o) => projectNode(o as NodeObject), logger: silentLogger, idleTimeoutMs: 300, backoff: { baseMs: 10, capMs: 50 } });
    await reflector.start();
    const r = reflector;
    sim.cordon('e');
    await eventually(() => expect(unschedulable(r, 'e')).toBe(true), 2500);
    expect(r.stats.watchRestarts).toBeGreaterThanOrEqual(1);
  });
});
