import { readFileSync } from 'fs';
import * as https from 'https';
import * as path from 'path';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';
import { SimKubelets } from '../../../sim/kube/kubelets';
import { summaryBody, summaryOf } from '../../../sim/kube/summary';
import { loopbackTls } from '../../../sim/kube/tls';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TOKEN = 'kubelet-test-token';
/** A Kubernetes 1.35 kubelet's summary (minikube, containerd; see test/fixtures/nri-kubernetes/README.md). */
const fixture = readFileSync(path.join(__dirname, '../../fixtures/nri-kubernetes/1_35_kubelet_stats_summary.json'), 'utf8');

/** Every path of a JSON value, array elements merged: `pods[].containers[].cpu.time`. */
function shape(v: unknown, at = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) shape(x, `${at}[]`, out);
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) shape(x, at ? `${at}.${k}` : k, out);
  else out.add(at);
  return out;
}

function cluster(clock = new ManualClock(T0)): SimCluster {
  const sim = new SimCluster({ clock });
  sim.addNode({
    name: 'ip-10-0-1-7.eu-west-1.compute.internal',
    instanceId: 'i-0aaaabbbbccccdddd',
    capacity: { cpuMilli: 4000, memoryBytes: 16 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 58 },
  });
  const node = 'ip-10-0-1-7.eu-west-1.compute.internal';
  sim.addPod({
    namespace: 'kube-system',
    owner: { kind: 'DaemonSet', name: 'kube-proxy' },
    node,
    hostNetwork: true,
    containers: [
      { name: 'kube-proxy', image: 'kube-proxy:1', requests: { cpuMilli: 100 }, usage: { cpuMilli: 5, memoryWorkingSetBytes: 30 * MiB } },
    ],
  });
  sim.addPod({
    namespace: 'monitoring',
    owner: { kind: 'Deployment', name: 'grafana' },
    node,
    containers: [
      {
        name: 'grafana',
        image: 'grafana:11',
        requests: { cpuMilli: 100, memoryBytes: 256 * MiB },
        limits: { memoryBytes: 512 * MiB },
        usage: { cpuMilli: 40, memoryWorkingSetBytes: 180 * MiB },
      },
      { name: 'sidecar', image: 'k8s-sidecar:1', usage: { cpuMilli: 1, memoryWorkingSetBytes: 60 * MiB } },
    ],
  });
  sim.addPod({
    namespace: 'data',
    owner: { kind: 'StatefulSet', name: 'postgres' },
    node,
    containers: [
      {
        name: 'postgres',
        image: 'postgres:16',
        requests: { cpuMilli: 250, memoryBytes: GiB },
        limits: { memoryBytes: GiB },
        usage: { cpuMilli: 0, memoryWorkingSetBytes: 0 },
      },
    ],
  });
  return sim;
}

function fetchSummary(port: number, node: string, token = TOKEN, ca: string = loopbackTls.ca()): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port,
          path: '/stats/summary',
          agent: false,
          ca,
          headers: { Authorization: `Bearer ${token}` },
          checkServerIdentity: () => undefined,
          servername: node,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      )
      .on('error', reject);
  });
}

describe('the simulated kubelet summary', () => {
  it("has, field by field, the shape of a 1.35 kubelet's /stats/summary", () => {
    const sim = cluster();
    const real = shape(JSON.parse(fixture));
    const ours = shape(summaryOf(sim, 'ip-10-0-1-7.eu-west-1.compute.internal'));
    // The 1.35 capture's pods mount no volume claim; a claim's `pvcRef` is as the 2020 capture shows it.
    const older = shape(JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/kubelet/summary-example.json'), 'utf8')));
    const claim = ['pods[].volume[].pvcRef.name', 'pods[].volume[].pvcRef.namespace'];
    for (const f of claim) expect(older.has(f)).toBe(true);
    expect([...ours].filter((p) => !real.has(p) && !claim.includes(p))).toEqual([]);
    expect([...real].filter((p) => !ours.has(p))).toEqual([]);
  });

  it("stamps each container's stats with its own time, and reports a static pod under its config hash with a mirror pod in the API", () => {
    const clock = new ManualClock(T0);
    const sim = cluster(clock);
    const node = 'ip-10-0-1-7.eu-west-1.compute.internal';
    sim.addPod({
      namespace: 'kube-system',
      name: `etcd-${node}`,
      owner: { kind: 'Node', name: node },
      node,
      hostNetwork: true,
      containers: [{ name: 'etcd', image: 'etcd:3.5', usage: { cpuMilli: 30, memoryWorkingSetBytes: 80 * MiB } }],
    });
    type C = { name: string; cpu: { time: string; usageCoreNanoSeconds: number } };
    type S = { node: { cpu: { time: string } }; pods: { podRef: { name: string; uid: string }; containers: C[] }[] };
    clock.advance(60_000);
    const a = summaryOf(sim, node) as S;
    const times = new Set(a.pods.flatMap((p) => p.containers.map((c) => c.cpu.time)));
    expect(times.has(a.node.cpu.time)).toBe(false);
    for (const t of times) expect(Date.parse(a.node.cpu.time) - Date.parse(t)).toBeGreaterThanOrEqual(2000);
    // Each counter is read at its own time: a minute later, 60 s of its rate.
    clock.advance(60_000);
    const b = summaryOf(sim, node) as S;
    const etcd = (s: S) => s.pods.find((p) => p.podRef.name.startsWith('etcd-'))!;
    const [ca, cb] = [etcd(a).containers[0], etcd(b).containers[0]];
    expect(Date.parse(cb.cpu.time) - Date.parse(ca.cpu.time)).toBe(60_000);
    expect(cb.cpu.usageCoreNanoSeconds - ca.cpu.usageCoreNanoSeconds).toBe(30 * 1e3 * 60_000);
    const mirror = (sim.list('pods') as { metadata: { name: string; uid: string; annotations?: Record<string, string> } }[]).find((p) =>
      p.metadata.name.startsWith('etcd-'),
    )!;
    expect(etcd(b).podRef.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(etcd(b).podRef.uid).not.toBe(mirror.metadata.uid);
    expect(mirror.metadata.annotations).toMatchObject({
      'kubernetes.io/config.mirror': etcd(b).podRef.uid,
      'kubernetes.io/config.source': 'file',
    });
  });

  it("is served with the kubelet's one-space indent", () => {
    const body = summaryBody(cluster(), 'ip-10-0-1-7.eu-west-1.compute.internal') as string;
    expect(body.startsWith('{\n "node": {\n  "nodeName": "ip-10-0-1-7.eu-west-1.compute.internal"')).toBe(true);
    expect(fixture.startsWith('{\n "node": {\n  "nodeName"')).toBe(true);
  });

  it('adds up: node working set and CPU include every running container, counters grow with the clock', () => {
    const clock = new ManualClock(T0);
    const sim = cluster(clock);
    const node = 'ip-10-0-1-7.eu-west-1.compute.internal';
    type S = {
      node: { cpu: { usageCoreNanoSeconds: number; time: string }; memory: { workingSetBytes: number; availableBytes: number } };
      pods: {
        podRef: { name: string };
        network: { name: string; interfaces: unknown[] };
        containers: { name: string; memory: { availableBytes?: number } }[];
      }[];
    };
    const a = summaryOf(sim, node) as S;
    expect(a.node.memory.workingSetBytes).toBe(600 * MiB + 270 * MiB);
    expect(a.node.memory.availableBytes).toBe(16 * GiB - 870 * MiB);
    clock.advance(60_000);
    const b = summaryOf(sim, node) as S;
    // 120 m of system + 46 m of containers, for 60 s
    expect(b.node.cpu.usageCoreNanoSeconds - a.node.cpu.usageCoreNanoSeconds).toBe((120 + 46) * 1e3 * 60_000);
    expect(b.node.cpu.time).toBe('2026-11-23T12:01:00Z');
    const proxy = b.pods.find((p) => p.podRef.name.startsWith('kube-proxy'));
    expect(proxy?.network.name).toBe('');
    expect(proxy?.network.interfaces).toHaveLength(4); // eth0, eth1, and an ENI each for grafana and postgres
    const grafana = b.pods.find((p) => p.podRef.name.startsWith('grafana'));
    expect(grafana?.containers.find((c) => c.name === 'grafana')?.memory.availableBytes).toBe(332 * MiB);
    expect(grafana?.containers.find((c) => c.name === 'sidecar')?.memory.availableBytes).toBeUndefined();
  });
});

describe('the loopback kubelets', () => {
  let sim: SimCluster;
  let kubelets: SimKubelets;
  const node = 'ip-10-0-1-7.eu-west-1.compute.internal';
  beforeEach(async () => {
    sim = cluster();
    kubelets = await SimKubelets.start({ cluster: sim, token: TOKEN });
  });
  afterEach(() => kubelets.close());

  it('listen on HTTPS with a certificate from the cluster CA, and publish their port in the node status', async () => {
    const port = kubelets.portOf(node) as number;
    const nodeObject = sim.get('nodes', node) as { status: { daemonEndpoints: { kubeletEndpoint: { Port: number } } } };
    expect(nodeObject.status.daemonEndpoints.kubeletEndpoint.Port).toBe(port);
    const r = await fetchSummary(port, node);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).node.nodeName).toBe(node);
    await expect(fetchSummary(port, node, TOKEN, loopbackTls.kubelet('selfsigned').cert)).rejects.toThrow();
  });

  it('check the bearer token, and nodes/stats', async () => {
    expect((await fetchSummary(kubelets.portOf(node) as number, node, 'wrong')).status).toBe(401);
    await kubelets.close();
    kubelets = await SimKubelets.start({ cluster: sim, token: TOKEN, nodesStats: false });
    expect((await fetchSummary(kubelets.portOf(node) as number, node)).status).toBe(403);
  });

  it('fail as told, for a number of requests', async () => {
    const port = kubelets.portOf(node) as number;
    kubelets.setFault(node, { status: 500, times: 1 });
    expect((await fetchSummary(port, node)).status).toBe(500);
    expect((await fetchSummary(port, node)).status).toBe(200);
    kubelets.setFault(node, { garbage: true, times: 1 });
    expect((await fetchSummary(port, node)).body).toContain('<html>');
    kubelets.setFault(node, { reset: true, times: 1 });
    await expect(fetchSummary(port, node)).rejects.toThrow();
    expect(kubelets.requests.get(node)).toBe(4);
  });

  it('serve, when told to cache, what they rendered up to that long ago (as from a housekeeping cache)', async () => {
    const clock = new ManualClock(T0);
    sim = cluster(clock);
    await kubelets.close();
    kubelets = await SimKubelets.start({ cluster: sim, token: TOKEN, cacheMs: 20_000 });
    const port = kubelets.portOf(node) as number;
    const time = async () => JSON.parse((await fetchSummary(port, node)).body).node.cpu.time as string;
    kubelets.warm(node);
    clock.advance(19_000);
    expect(await time()).toBe(new Date(T0).toISOString().replace('.000', ''));
    clock.advance(1_000);
    expect(await time()).toBe(new Date(T0 + 20_000).toISOString().replace('.000', ''));
  });

  it('start for nodes added later and stop for nodes removed', async () => {
    sim.addNode({
      name: 'ip-10-0-1-8.eu-west-1.compute.internal',
      capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 },
    });
    await kubelets.ready();
    const port = kubelets.portOf('ip-10-0-1-8.eu-west-1.compute.internal') as number;
    expect((await fetchSummary(port, 'ip-10-0-1-8.eu-west-1.compute.internal')).status).toBe(200);
    sim.removeNode('ip-10-0-1-8.eu-west-1.compute.internal');
    await kubelets.ready();
    await expect(fetchSummary(port, 'ip-10-0-1-8.eu-west-1.compute.internal')).rejects.toThrow(/ECONNREFUSED/);
  });
});
