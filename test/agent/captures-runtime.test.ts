/**
 * Real kubelet and API captures (Kubernetes 1.31 and 1.35, test/fixtures/nri-kubernetes) through the
 * agent's whole HTTP runtime: the loopback API server replays the captured nodes and pods, the node's
 * loopback kubelet answers the captured summary, the real agent (client-node watches, HTTPS scrape, SigV4
 * push) sends its batch to the real ingest handler, which stores it in dynalite. The stored node-minute must
 * hold the figures the captures say (test/agent/kubelet/capture-figures.ts).
 */
import { readFileSync } from 'fs';
import { load } from 'js-yaml';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { createAgentRuntime } from '../../agent/runtime';
import { silentLogger } from '../../common/log';
import { LOCAL_REGION } from '../../local/dynalite';
import { startLocalIngest } from '../../local/ingest';
import type { Pod } from '../../model/domain';
import { SimCluster, type Json } from '../../sim/kube/cluster';
import { startSimKube } from '../../sim/kube/env';
import { startTestStore } from '../support/store';
import { CAPTURES } from './kubelet/capture-figures';

const dir = path.join(__dirname, '../fixtures/nri-kubernetes');
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const items = (f: string) => (load(read(f)) as { items: Json[] }).items;
const workingSet = (p: Pod | undefined) => p?.containers.reduce((a, c) => a + (c.usage?.memoryWorkingSetBytes ?? 0), 0);
// The captures were taken on 2026-06-26 at 10:14:31; the agent runs on a clock just after.
const T = Date.UTC(2026, 5, 26, 10, 15, 10);

describe.each(CAPTURES)('the $version capture through the agent\'s HTTP runtime, into the store', ({ version, etcd, etcdUsage, apiserverWorkingSet, containersWorkingSet, stats }) => {
  it('stores what the capture says: the static pod\'s usage by its config hash, every summary pod joined, the node\'s figures', async () => {
    const t = await startTestStore(undefined, T);
    const ingest = await startLocalIngest({ store: t.store(), clock: t.clock, logger: silentLogger, cluster: 'captures' });
    const cluster = new SimCluster({ clock: t.clock });
    cluster.replay('nodes', items(`${version}_nodes.yaml`));
    cluster.replay('pods', items(`${version}_pods.yaml`));
    const summary = read(`${version}_kubelet_stats_summary.json`);
    const nodeName = (JSON.parse(summary) as { node: { nodeName: string } }).node.nodeName;
    const kube = await startSimKube({ cluster, summaries: new Map([[nodeName, summary]]), bookmarkIntervalMs: 200 });
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    const agent = createAgentRuntime(
      {
        cluster: 'captures',
        ingestUrl: ingest.functionUrl.url,
        region: LOCAL_REGION,
        intervalMs: 60_000,
        kubeletTransport: 'direct',
        kubeletTimeoutMs: 5000,
        kubeletConcurrency: 4,
        kubeletInsecureTls: false,
        changeDebounceMs: 50,
        bufferMaxBatches: 20,
        bufferMaxBytes: 64 * 1024 * 1024,
        pushTimeoutMs: 5000,
        unreadyAfterFailures: 2,
        healthPort: 0,
        logLevel: 'error',
      },
      { kubeConfig: kc, credentials: ingest.agentCredentials, clock: t.clock, logger: silentLogger },
    );
    try {
      await agent.watch();
      await agent.cycle();
      const [minute] = await t.store().nodeMinutes('captures', T - 60_000, T);
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
      await agent.stop();
      await kube.close();
      await ingest.functionUrl.close();
      await t.dynamo.close();
    }
  });
});
