/**
 * Real captures (Kubernetes 1.31 and 1.35, test/fixtures/nri-kubernetes) through the agent's own code: the
 * API's nodes and pods projected as the reflectors do, the kubelet summary read and joined as a cycle does,
 * the result validated by the ingest schema. Expected figures are read by hand from the raw JSON.
 */
import { readFileSync } from 'fs';
import { load } from 'js-yaml';
import * as path from 'path';
import { asSummary, CpuTracker, usageOf, withUsage } from '../../../agent/kubelet/summary';
import { workloadOf } from '../../../agent/kube/owners';
import { projectNode, projectPod } from '../../../agent/kube/project';
import type { NodeObject, PodObject } from '../../../agent/kube/objects';
import { BATCH_VERSION, parseBatch, type AgentBatch } from '../../../model/batch';
import type { Pod } from '../../../model/domain';

const dir = path.join(__dirname, '../../fixtures/nri-kubernetes');
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');

/** The batch a cycle would build from one capture, and its pods by name. */
function batchOf(version: '1_31' | '1_35') {
  const nodes = (load(read(`${version}_nodes.yaml`)) as { items: NodeObject[] }).items.map((o) => projectNode(o)!);
  const records = (load(read(`${version}_pods.yaml`)) as { items: PodObject[] }).items.map((o) => projectPod(o)!);
  const usage = usageOf(asSummary(JSON.parse(read(`${version}_kubelet_stats_summary.json`))), new CpuTracker());
  // No ReplicaSets or Jobs in the captures: their pods name the workload from `pod-template-hash` or not at all.
  const owners = { replicaSet: () => undefined, job: () => undefined };
  const pods: Pod[] = records.map((r) => ({ ...r.pod, workload: workloadOf(r, owners) }));
  const batch: AgentBatch = {
    v: BATCH_VERSION,
    cluster: 'captures',
    kind: 'full',
    seq: 1,
    collectedAt: Date.UTC(2026, 5, 26, 10, 15),
    agent: { version: 'test', startedAt: Date.UTC(2026, 5, 26, 10), cycles: 1, batchesSent: 0, bytesSent: 0, buffered: 0, droppedBatches: 0, pushFailures: 0, scrapeErrors: {} },
    nodes: nodes.map(({ node }) => ({ node, stats: usage.stats, pods: pods.filter((p) => p.node === node.name).map((p) => withUsage(p, usage)) })),
    unscheduledPods: pods.filter((p) => !p.node),
    workloads: [],
    events: [],
    scrapeErrors: [],
  };
  const parsed = parseBatch(JSON.parse(JSON.stringify(batch)));
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const byName = new Map(parsed.batch.nodes[0].pods.map((p) => [p.name, p]));
  return { batch: parsed.batch, byName, summaryPods: usage.pods.size };
}

const workingSet = (p: Pod | undefined) => p?.containers.reduce((a, c) => a + (c.usage?.memoryWorkingSetBytes ?? 0), 0);

describe.each([
  {
    version: '1_35' as const,
    etcd: { name: 'etcd-datagen-1-35', uid: '0a29c6e7-a93e-426e-9148-c4186efc55c4', hash: 'eaf7d48161d81d9c3359e1c008571fd6' },
    etcdUsage: { memoryWorkingSetBytes: 44290048, memoryRssBytes: 42565632, rootfsUsedBytes: 40960, logsUsedBytes: 20480, swapUsageBytes: 0, psiMemoryFullAvg10: 0, psiCpuSomeAvg10: 0 },
    apiserverWorkingSet: 221794304,
    containersWorkingSet: 523374592,
    stats: {
      memoryWorkingSetBytes: 917110784,
      memoryAvailableBytes: 7299776512,
      memoryRssBytes: 710361088,
      fsAvailableBytes: 821203210240,
      fsCapacityBytes: 977896124416,
      fsInodesFree: 59206606,
      fsInodes: 60710912,
      imageFsAvailableBytes: 821203210240,
      imageFsCapacityBytes: 977896124416,
      imageFsInodesFree: 59206606,
      imageFsInodes: 60710912,
      containerFsAvailableBytes: 821203210240,
      containerFsCapacityBytes: 977896124416,
      swapUsageBytes: 0,
      swapAvailableBytes: 1073737728,
      psiMemorySomeAvg10: 0,
      psiMemoryFullAvg10: 0,
      psiCpuSomeAvg10: 75.83,
      processes: 814,
      maxPid: 62639,
    },
  },
  {
    version: '1_31' as const,
    etcd: { name: 'etcd-datagen-1-31', uid: 'a932833e-a19c-4208-9984-99baade65186', hash: 'a9d723c948f6e052b5e5f90c6d73d3ef' },
    // 1.31 has no PSI: the figures are absent, not zero.
    etcdUsage: { memoryWorkingSetBytes: 33058816, memoryRssBytes: 32104448, rootfsUsedBytes: 36864, logsUsedBytes: 16384, swapUsageBytes: 0 },
    apiserverWorkingSet: 222912512,
    containersWorkingSet: 505085952,
    stats: undefined,
  },
])('the $version capture through the agent', ({ version, etcd, etcdUsage, apiserverWorkingSet, containersWorkingSet, stats }) => {
  const { batch, byName, summaryPods } = batchOf(version);

  it('gives a static pod (etcd) its usage: the mirror pod found by its config hash', () => {
    const pod = byName.get(etcd.name);
    expect(pod).toMatchObject({ uid: etcd.uid, configHash: etcd.hash, workload: { kind: 'Node' } });
    expect(pod?.containers[0].usage).toEqual(etcdUsage);
    expect(workingSet(byName.get(`kube-apiserver-datagen-${version.replace('_', '-')}`))).toBe(apiserverWorkingSet);
  });

  it('joins every pod of the summary to an API pod, so the node total is the summary total', () => {
    const withUsage = batch.nodes[0].pods.filter((p) => p.containers.some((c) => c.usage));
    expect(withUsage).toHaveLength(summaryPods);
    expect(batch.nodes[0].pods.reduce((a, p) => a + (workingSet(p) ?? 0), 0)).toBe(containersWorkingSet);
  });

  if (stats) {
    it('reads the node figures of a 1.35 kubelet: containerFs, swap and PSI included', () => {
      expect(batch.nodes[0].stats).toEqual(stats);
    });
  }
});
