/**
 * The real agent over a captured cluster: the loopback API server replays captured nodes and pods, each
 * node's loopback kubelet answers its captured summary (replaceable between cycles), the agent pushes to the
 * real ingest handler, which stores into dynalite.
 */
import { readFileSync } from 'fs';
import { load } from 'js-yaml';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import type { AgentConfig } from '../../agent/config';
import { createAgentRuntime } from '../../agent/runtime';
import { silentLogger } from '../../common/log';
import { LOCAL_REGION } from '../../local/dynalite';
import { startLocalIngest, type LocalIngest } from '../../local/ingest';
import { SimCluster, type Json } from '../../sim/kube/cluster';
import { startSimKube } from '../../sim/kube/env';
import { startTestStore, type TestStore } from '../support/store';

export const FIXTURES = path.join(__dirname, '../fixtures');
export const readFixture = (f: string) => readFileSync(path.join(FIXTURES, f), 'utf8');
/** The `items` of a captured `kubectl get -o yaml` list. */
export const items = (f: string) => (load(readFixture(f)) as { items: Json[] }).items;

export interface CaptureRun {
  readonly t: TestStore;
  /** Each node's summary body, by node name: set another one before the next cycle. */
  readonly summaries: Map<string, string>;
  /** One agent cycle (scrape, push, ingest). */
  cycle(): Promise<void>;
  close(): Promise<void>;
}

/** An agent's configuration for pushing `cluster` to a local ingest: 60-s interval, short timeouts. */
export function agentConfigFor(cluster: string, ingest: LocalIngest): AgentConfig {
  return {
    cluster,
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
  };
}

/** Starts the store, ingest, the replayed cluster and the agent at `now`; the first summary of each node is in `summaries`. */
export async function startCaptureRun(opts: {
  readonly cluster: string;
  readonly now: number;
  readonly nodesFile: string;
  readonly podsFile: string;
  readonly summaryFiles: readonly string[];
}): Promise<CaptureRun> {
  const t = await startTestStore(undefined, opts.now);
  const ingest = await startLocalIngest({ store: t.store(), clock: t.clock, logger: silentLogger, cluster: opts.cluster });
  const cluster = new SimCluster({ clock: t.clock });
  cluster.replay('nodes', items(opts.nodesFile));
  cluster.replay('pods', items(opts.podsFile));
  const summaries = new Map(
    opts.summaryFiles.map((f) => {
      const body = readFixture(f);
      return [(JSON.parse(body) as { node: { nodeName: string } }).node.nodeName, body];
    }),
  );
  const kube = await startSimKube({ cluster, summaries, bookmarkIntervalMs: 200 });
  const kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
  const agent = createAgentRuntime(agentConfigFor(opts.cluster, ingest), {
    kubeConfig: kc,
    credentials: ingest.agentCredentials,
    clock: t.clock,
    logger: silentLogger,
  });
  await agent.watch();
  return {
    t,
    summaries,
    cycle: () => agent.cycle(),
    async close() {
      await agent.stop();
      await kube.close();
      await ingest.functionUrl.close();
      await t.dynamo.close();
    },
  };
}
