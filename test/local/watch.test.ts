/**
 * `vigil local --kubeconfig`: the pipeline in real time against a cluster reached through a kubeconfig —
 * here the loopback simulated cluster, reached exactly as a real one would be (HTTPS, CA, token, the node
 * proxy for kubelet summaries).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LOCAL_TABLE } from '../../local/run';
import { startDynalite } from '../../local/dynalite';
import { watchCluster } from '../../local/watch';
import { VigilStore } from '../../lambdas/store/store';
import { ManualClock } from '../../model/time';
import { simClusterFrom } from '../../sim/kube/from-synthetic';
import { startSimKube } from '../../sim/kube/env';
import { syntheticCluster } from '../../sim/synthetic';

test('watches the kubeconfig\'s cluster: the agent pushes through the node proxy, ingest stores, the evaluator runs', async () => {
  const now = Date.now();
  const synthetic = syntheticCluster({ cluster: 'laptop', nodes: 3, podsPerNode: 6, now });
  const kube = await startSimKube({ cluster: simClusterFrom(synthetic, { now: () => Date.now() }), permissions: { nodesStats: true, nodesProxy: true } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-watch-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kube.kubeconfigFile());
  const printed: string[] = [];
  try {
    const code = await watchCluster({ kubeconfig, cluster: 'laptop', aws: false, duration: '3s', outDir: dir, print: (t) => printed.push(t), intervalSeconds: 10 });
    expect(code).toBe(0);
  } finally {
    await kube.close();
  }
  expect(printed[0]).toMatch(/^Watching cluster laptop through .*kubeconfig \(AWS side off: pass --aws/);
  // Summaries came through the API server's node proxy, as from a laptop that cannot reach node IPs.
  expect(kube.api.requests.some((r) => /^\/api\/v1\/nodes\/[^/]+\/proxy\/stats\/summary$/.test(r.path) && r.status === 200)).toBe(true);
  const dynamo = await startDynalite({ path: path.join(dir, 'db') });
  try {
    const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock: new ManualClock(Date.now()) });
    const nodes = await store.nodeMinutes('laptop', now - 120_000, Date.now());
    expect(new Set(nodes.map((n) => n.kube?.node.name))).toEqual(new Set(synthetic.reports.map((r) => r.node.name)));
    expect(nodes.every((n) => n.kube?.stats?.memoryWorkingSetBytes !== undefined)).toBe(true);
    expect((await store.heartbeat('laptop'))?.lastSeen).toBeGreaterThanOrEqual(now);
  } finally {
    await dynamo.close();
  }
}, 60_000);
