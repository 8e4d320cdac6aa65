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
import { CAPTURES } from './capture-figures';

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
    agent: {
      version: 'test',
      startedAt: Date.UTC(2026, 5, 26, 10),
      cycles: 1,
      batchesSent: 0,
      bytesSent: 0,
      buffered: 0,
      droppedBatches: 0,
      pushFailures: 0,
      scrapeErrors: {},
    },
    nodes: nodes.map(({ node }) => ({
      node,
      stats: usage.stats,
      pods: pods.filter((p) => p.node === node.name).map((p) => withUsage(p, usage)),
    })),
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

describe.each(CAPTURES)(
  'the $version capture through the agent',
  ({ version, etcd, etcdUsage, apiserverWorkingSet, containersWorkingSet, stats }) => {
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
  },
);
