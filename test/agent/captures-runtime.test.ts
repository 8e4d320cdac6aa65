/**
 * Real kubelet and API captures (Kubernetes 1.31 and 1.35, test/fixtures/nri-kubernetes) through the
 * agent's whole HTTP runtime: the loopback API server replays the captured nodes and pods, the node's
 * loopback kubelet answers the captured summary, the real agent (client-node watches, HTTPS scrape, SigV4
 * push) sends its batch to the real ingest handler, which stores it in dynalite. The stored node-minute must
 * hold the figures the captures say (test/agent/kubelet/capture-figures.ts).
 */
import type { Pod } from '../../model/domain';
import { startCaptureRun } from './capture-agent';
import { CAPTURES } from './kubelet/capture-figures';

const workingSet = (p: Pod | undefined) => p?.containers.reduce((a, c) => a + (c.usage?.memoryWorkingSetBytes ?? 0), 0);
// The captures were taken on 2026-06-26 at 10:14:31; the agent runs on a clock just after.
const T = Date.UTC(2026, 5, 26, 10, 15, 10);

describe.each(CAPTURES)(
  "the $version capture through the agent's HTTP runtime, into the store",
  ({ version, etcd, etcdUsage, apiserverWorkingSet, containersWorkingSet, stats }) => {
    it("stores what the capture says: the static pod's usage by its config hash, every summary pod joined, the node's figures", async () => {
      const run = await startCaptureRun({
        cluster: 'captures',
        now: T,
        nodesFile: `nri-kubernetes/${version}_nodes.yaml`,
        podsFile: `nri-kubernetes/${version}_pods.yaml`,
        summaryFiles: [`nri-kubernetes/${version}_kubelet_stats_summary.json`],
      });
      const [nodeName] = run.summaries.keys();
      try {
        await run.cycle();
        const [minute] = await run.t.store().nodeMinutes('captures', T - 60_000, T);
        expect(minute?.kube?.node.name).toBe(nodeName);
        const pods = new Map((minute?.kube?.pods ?? []).map((p) => [p.name, p]));
        expect(pods.get(etcd.name)).toMatchObject({ uid: etcd.uid, configHash: etcd.hash, workload: { kind: 'Node' } });
        expect(pods.get(etcd.name)?.containers[0].usage).toEqual(etcdUsage);
        expect(workingSet(pods.get(`kube-apiserver-datagen-${version.replace('_', '-')}`))).toBe(apiserverWorkingSet);
        expect([...pods.values()].reduce((a, p) => a + (workingSet(p) ?? 0), 0)).toBe(containersWorkingSet);
        // One reading: no CPU rate yet; every other node figure as captured.
        if (stats) expect(minute?.kube?.stats).toEqual(stats);
        expect(minute?.kube?.scrapeError).toBeUndefined();
      } finally {
        await run.close();
      }
    });
  },
);
