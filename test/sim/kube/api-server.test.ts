import * as https from 'https';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../../sim/kube/env';
import { loopbackTls } from '../../../sim/kube/tls';
import { validateObject } from './k8s-schema';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;

let kube: SimKube;
let kc: KubeConfig;
let sim: SimCluster;

function get(path: string, token = kube.token): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${kube.api.url}${path}`, { ca: loopbackTls.ca(), headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** Watches `path` with client-node's Watch; collects events until `until` says stop (or the stream ends). */
async function watchUntil(
  path: string,
  params: Record<string, string>,
  until: (events: { type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } }[]) => boolean,
) {
  const events: { type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } }[] = [];
  let ctl: AbortController | undefined;
  const ended = new Promise<unknown>((resolve) => {
    void new Watch(kc)
      .watch(
        path,
        params,
        (type, object) => {
          events.push({ type, object });
          if (until(events)) ctl?.abort();
        },
        resolve,
      )
      .then((c) => {
        ctl = c;
        if (until(events)) c.abort();
      });
  });
  return { events, ended };
}

beforeEach(async () => {
  sim = new SimCluster({ clock: new ManualClock(T0) });
  for (const n of ['node-a', 'node-b', 'node-c']) {
    sim.addNode({
      name: n,
      instanceId: 'i-0123456789abcdef0',
      capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 },
    });
  }
  sim.addWorkload({
    kind: 'Deployment',
    namespace: 'web',
    name: 'web',
    replicas: 7,
    containers: [{ name: 'web', image: 'web:1', requests: { cpuMilli: 100 } }],
  });
  kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: 50 });
  kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
});
afterEach(() => kube.close());

describe('the loopback API server', () => {
  it('answers the real client over HTTPS with the cluster CA, and refuses a wrong token', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(nodes.items[0].status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(kube.kubelets.portOf('node-a'));
    expect((await get('/api/v1/nodes', 'stolen')).status).toBe(401);
  });

  it('pages lists from one consistent snapshot, and says 410 for an expired continue token', async () => {
    const first = JSON.parse((await get('/api/v1/pods?limit=3')).body);
    expect(first.kind).toBe('PodList');
    expect(first.items).toHaveLength(3);
    expect(first.items[0].kind).toBeUndefined(); // list items carry no kind, as on a real server
    sim.addPod({ namespace: 'web', owner: { kind: 'Deployment', name: 'web' }, containers: [{ name: 'web', image: 'web:1' }] });
    const names: string[] = first.items.map((p: { metadata: { name: string } }) => p.metadata.name);
    let cont: string | undefined = first.metadata.continue;
    while (cont) {
      const page = JSON.parse((await get(`/api/v1/pods?limit=3&continue=${cont}`)).body);
      expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      names.push(...page.items.map((p: { metadata: { name: string } }) => p.metadata.name));
      cont = page.metadata.continue;
    }
    expect(names).toHaveLength(7); // the pod added mid-list is not in this snapshot
    const again = JSON.parse((await get('/api/v1/pods?limit=3')).body);
    kube.api.faults.expireContinueTokens();
    const expired = await get(`/api/v1/pods?limit=3&continue=${again.metadata.continue}`);
    expect(expired.status).toBe(410);
    expect(JSON.parse(expired.body)).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('filters by field selector and refuses fields it does not index', async () => {
    const pods = JSON.parse((await get(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=node-b')}`)).body);
    expect(pods.items.length).toBeGreaterThan(0);
    expect(pods.items.every((p: { spec: { nodeName: string } }) => p.spec.nodeName === 'node-b')).toBe(true);
    expect((await get(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.schedulerName=x')}`)).status).toBe(400);
  });

  it('watches from a resourceVersion: the changes since, then live ones and bookmarks', async () => {
    const list = JSON.parse((await get('/api/v1/nodes')).body);
    sim.cordon('node-a');
    const { events, ended } = await watchUntil(
      '/api/v1/nodes',
      { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: 'true' },
      (ev) => ev.some((e) => e.type === 'BOOKMARK') && ev.filter((e) => e.type === 'MODIFIED').length >= 2,
    );
    setTimeout(() => sim.setNodeCondition('node-b', 'DiskPressure', 'True'), 20);
    await ended;
    const modified = events.filter((e) => e.type === 'MODIFIED');
    expect(modified.map((e) => e.object.metadata?.name)).toEqual(['node-a', 'node-b']);
    for (const e of modified) validateObject(e.object);
    expect(Number(events.find((e) => e.type === 'BOOKMARK')?.object.metadata?.resourceVersion)).toBeGreaterThan(
      Number(list.metadata.resourceVersion),
    );
  });

  it('answers a watch from a compacted resourceVersion with 410 Gone, as an ERROR event or an HTTP status', async () => {
    const rv = sim.resourceVersion;
    sim.cordon('node-a');
    sim.compact();
    const { events, ended } = await watchUntil('/api/v1/nodes', { resourceVersion: String(rv) }, () => false);
    await ended;
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ code: 410, reason: 'Expired' }) }]);
    kube.api.faults.goneAsHttpStatus = true;
    const r = await get(`/api/v1/nodes?watch=true&resourceVersion=${rv}`);
    expect(r.status).toBe(410);
  });

  it('ends a watch after timeoutSeconds, and drops open watches on demand', async () => {
    const started = Date.now();
    const { ended } = await watchUntil('/api/v1/pods', { resourceVersion: String(sim.resourceVersion), timeoutSeconds: '1' }, () => false);
    await ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // Wait on the server's count, not a fixed pause, which loses the race on a loaded machine: the ended watch
    // leaves it, then the second one joins.
    const openWatches = async (n: number) => {
      for (let i = 0; i < 500 && kube.api.faults.openWatches !== n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await openWatches(0);
    const second = await watchUntil('/api/v1/pods', { resourceVersion: String(sim.resourceVersion) }, () => false);
    await openWatches(1);
    expect(kube.api.faults.dropWatches()).toBe(1);
    await expect(second.ended).resolves.toBeInstanceOf(Error); // the client sees an error: the connection was cut
  });

  it('throttles with 429 and Retry-After when told to', async () => {
    kube.api.faults.throttle(2, /\/api\/v1\/nodes/, 3);
    const r = await get('/api/v1/nodes');
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('3');
    expect((await get('/api/v1/pods')).status).toBe(200);
    expect((await get('/api/v1/nodes')).status).toBe(429);
    expect((await get('/api/v1/nodes')).status).toBe(200);
  });

  it("proxies a node's kubelet summary only with nodes/proxy, decoding the path client-node encodes", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await expect(core.connectGetNodeProxyWithPath({ name: 'node-a', path: 'stats/summary' })).rejects.toMatchObject({ code: 403 });
    await kube.close();
    kube = await startSimKube({ cluster: sim, permissions: { nodesProxy: true } });
    kc.loadFromOptions(kube.kubeconfig);
    const summary = (await kc
      .makeApiClient(CoreV1Api)
      .connectGetNodeProxyWithPath({ name: 'node-a', path: 'stats/summary' })) as unknown as { node: { nodeName: string } };
    expect(summary.node.nodeName).toBe('node-a');
    expect(kube.api.requests.map((r) => r.path)).toContain('/api/v1/nodes/node-a/proxy/stats/summary');
  });

  it('serves /readyz?verbose, failing when a check fails', async () => {
    expect(await get('/readyz?verbose')).toMatchObject({ status: 200, body: expect.stringContaining('[+]etcd ok') });
    kube.api.faults.setReadyz('etcd', false);
    const r = await get('/readyz?verbose');
    expect(r.status).toBe(500);
    expect(r.body).toContain('[-]etcd failed: reason withheld');
    expect(r.body).toContain('readyz check failed');
  });
});
