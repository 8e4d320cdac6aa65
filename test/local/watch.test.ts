/**
 * `vigil local --kubeconfig`: the pipeline in real time against a cluster reached through a kubeconfig —
 * here the loopback simulated cluster, reached exactly as a real one would be (HTTPS, CA, token, the node
 * proxy for kubelet summaries) — with its AWS side simulated from the nodes the agent reported.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LOCAL_TABLE, localDbDir, startDynalite } from '../../local/dynalite';
import { watchCluster } from '../../local/watch';
import { CallCounter } from '../../lambdas/aws/calls';
import { VigilStore } from '../../lambdas/store/store';
import type { KubeNodeMinute } from '../../model/domain';
import { MINUTE_MS, ManualClock } from '../../model/time';
import { mirroredAccount, mirroredGroupName } from '../../sim/aws/mirror';
import { simClusterFrom } from '../../sim/kube/from-synthetic';
import { startSimKube } from '../../sim/kube/env';
import { syntheticCluster } from '../../sim/synthetic';

test("watches the kubeconfig's cluster: the agent pushes through the node proxy, the collector reads the simulated AWS side, and the end writes the report", async () => {
  const now = Date.now();
  const synthetic = syntheticCluster({ cluster: 'laptop', nodes: 3, podsPerNode: 6, now });
  const kube = await startSimKube({
    cluster: simClusterFrom(synthetic, { now: () => Date.now() }),
    permissions: { nodesStats: true, nodesProxy: true },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-watch-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kube.kubeconfigFile());
  const printed: string[] = [];
  let result;
  try {
    result = await watchCluster({
      kubeconfig,
      cluster: 'laptop',
      aws: false,
      duration: '3s',
      outDir: dir,
      print: (t) => printed.push(t),
      intervalSeconds: 10,
    });
  } finally {
    await kube.close();
  }
  expect(printed[0]).toMatch(/^Watching cluster laptop through .*kubeconfig\. Its AWS side is SIMULATED from its nodes/);
  // Summaries came through the API server's node proxy, as from a laptop that cannot reach node IPs.
  expect(kube.api.requests.some((r) => /^\/api\/v1\/nodes\/[^/]+\/proxy\/stats\/summary$/.test(r.path) && r.status === 200)).toBe(true);

  // The end of the watch: a record of the watched cluster and its report, timed from the start of the watch.
  const nodeNames = new Set(synthetic.reports.map((r) => r.node.name));
  expect(result.record).toMatchObject({ cluster: 'laptop', scenario: { name: 'laptop (watched)' }, happenings: [] });
  expect(result.record.onset).toBe(result.record.start);
  expect(new Set(result.record.nodes.map((n) => n.name))).toEqual(nodeNames);
  expect(result.outboxPath).toBe(path.join(dir, 'outbox-laptop.jsonl'));
  expect(fs.readFileSync(result.reportPath, 'utf8')).toContain('SIMULATED from its nodes');

  const dynamo = await startDynalite({ path: localDbDir(dir) });
  try {
    const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock: new ManualClock(Date.now()) });
    const nodes = await store.nodeMinutes('laptop', now - 120_000, Date.now());
    expect(new Set(nodes.map((n) => n.kube?.node.name))).toEqual(nodeNames);
    expect(nodes.every((n) => n.kube?.stats?.memoryWorkingSetBytes !== undefined)).toBe(true);
    expect((await store.heartbeat('laptop'))?.lastSeen).toBeGreaterThanOrEqual(now);
    // The collector read the simulated side without a failure: one instance per node, one group per node group.
    const cloud = (await store.rollups('laptop', now - 120_000, Date.now())).flatMap((r) => (r.cloud ? [r.cloud] : []));
    expect(cloud.length).toBeGreaterThan(0);
    const last = cloud[cloud.length - 1];
    expect(last.failures).toEqual([]);
    expect(last.cluster).toMatchObject({ name: 'laptop', status: 'ACTIVE', version: '1.33', platformVersion: 'SIMULATED' });
    expect(new Set(last.hosts.map((h) => h.instanceId))).toEqual(new Set(synthetic.reports.map((r) => r.node.instanceId)));
    expect(last.autoScalingGroups.map((g) => [g.name, g.nodeGroup, g.inService])).toEqual([[mirroredGroupName('general'), 'general', 3]]);
  } finally {
    await dynamo.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

describe('the simulated AWS side of a watched cluster', () => {
  const start = Date.UTC(2026, 10, 23, 12, 0);
  const synthetic = syntheticCluster({ cluster: 'laptop', nodes: 3, podsPerNode: 4, now: start });
  const [a, b, c] = synthetic.reports;
  // Twelve minutes of a, b and c; c stopped reporting after minute 6 (its instance went away).
  const minutes: KubeNodeMinute[] = Array.from({ length: 12 }, (_, i) => start + i * MINUTE_MS).flatMap((minute, i) =>
    [a, b, ...(i <= 6 ? [c] : [])].map((r) => ({
      minute,
      collectedAt: minute + 30_000,
      node: r.node,
      // a's CPU climbs 40 millicores a minute.
      stats: r === a ? { ...r.stats!, cpuMilli: 1000 + 40 * i } : r.stats,
      pods: [],
    })),
  );
  const account = () =>
    mirroredAccount({ cluster: 'laptop', nodeMinutes: minutes, now: start + 12 * MINUTE_MS + 10_000 }, new CallCounter());

  test("instances from the nodes' provider ids and labels; nodes gone are terminated; groups hold the current nodes", async () => {
    const aws = account();
    const instances = await aws.ec2.describeClusterInstances('laptop');
    expect(instances.map((i) => [i.host.instanceId, i.host.instanceType, i.host.zone, i.host.state]).sort()).toEqual(
      [a, b, c].map((r) => [r.node.instanceId, 'm6i.xlarge', r.node.zone, r === c ? 'terminated' : 'running']).sort(),
    );
    expect(await aws.eks.listNodegroups('laptop')).toEqual(['general']);
    expect(await aws.eks.describeNodegroup('laptop', 'general')).toMatchObject({
      kind: 'managed',
      status: 'ACTIVE',
      scaling: { desired: 2 },
      autoScalingGroups: [mirroredGroupName('general')],
      healthIssues: [],
    });
    const [group] = await aws.autoScaling.describeGroups({ clusterTag: 'laptop' });
    expect(group.instances.map((i) => i.instanceId).sort()).toEqual([a.node.instanceId, b.node.instanceId].sort());
    await expect(aws.eks.describeCluster('other')).rejects.toThrow('No cluster found');
  });

  test('CloudWatch follows the node figures: periods that are over, averaged; status checks pass', async () => {
    const aws = account();
    const q = { namespace: 'AWS/EC2', dimensions: { InstanceId: a.node.instanceId! }, periodSeconds: 300 } as const;
    const [cpu, status] = await aws.cloudWatch.getMetricData(
      [
        { ...q, id: 'cpu', metricName: 'CPUUtilization', stat: 'Average' },
        { ...q, id: 'status', metricName: 'StatusCheckFailed', stat: 'Maximum' },
      ],
      start,
      start + 15 * MINUTE_MS,
    );
    // Minutes 0-4 and 5-9 (the period from minute 10 is not over): 1080m and 1280m of 4000m.
    expect(cpu.points).toEqual([
      { t: start, value: 27 },
      { t: start + 5 * MINUTE_MS, value: 32 },
    ]);
    expect(status.points.map((p) => p.value)).toEqual([0, 0]);
    const memory = await aws.cloudWatch.listMetrics('CWAgent', 'mem_used_percent');
    expect(memory.map((d) => d.InstanceId).sort()).toEqual([a.node.instanceId, b.node.instanceId].sort());
    const [mem] = await aws.cloudWatch.getMetricData(
      [
        {
          id: 'mem',
          namespace: 'CWAgent',
          metricName: 'mem_used_percent',
          dimensions: memory.find((d) => d.InstanceId === b.node.instanceId)!,
          stat: 'Average',
          periodSeconds: 300,
        },
      ],
      start,
      start + 10 * MINUTE_MS,
    );
    expect(mem.points[0].value).toBeCloseTo((b.stats!.memoryWorkingSetBytes! / b.node.capacity.memoryBytes!) * 100, 1);
  });
});
