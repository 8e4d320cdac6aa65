/**
 * The agent, as wired by `createAgentRuntime`, against the loopback cluster (API server + HTTPS kubelets
 * serving `sim/synthetic.ts`'s cluster) and the loopback ingest endpoint (SigV4 checked). All on one manual
 * clock, so each test decides when a minute passes.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Agent } from '../../agent/agent';
import type { AgentConfig } from '../../agent/config';
import { createAgentRuntime, type RuntimeOptions } from '../../agent/runtime';
import { createLogger } from '../../common/log';
import type { AgentBatch } from '../../model/batch';
import { ManualClock } from '../../model/time';
import type { SimPermissions } from '../../sim/kube/api-server';
import type { SimCluster } from '../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../sim/kube/env';
import { simClusterFrom } from '../../sim/kube/from-synthetic';
import { startIngestEndpoint, type SimIngestEndpoint } from '../../sim/aws/ingest-endpoint';
import { syntheticCluster, type SyntheticCluster } from '../../sim/synthetic';

export const T0 = Date.UTC(2026, 10, 23, 12, 0, 10);
export const KEYS = { accessKeyId: 'AKIDAGENTTEST', secretAccessKey: 'agent-test-secret' };
export const REGION = 'eu-west-1';

export interface Harness {
  readonly clock: ManualClock;
  readonly synthetic: SyntheticCluster;
  readonly sim: SimCluster;
  readonly kube: SimKube;
  readonly ingest: SimIngestEndpoint;
  readonly agent: Agent;
  readonly logs: Record<string, unknown>[];
  /** Batches the endpoint stored, in arrival order. */
  batches(): AgentBatch[];
  /** The next minute: advance the clock, run a cycle. */
  minute(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly nodes?: number;
  readonly podsPerNode?: number;
  readonly config?: Partial<AgentConfig>;
  readonly runtime?: Partial<RuntimeOptions>;
  readonly permissions?: SimPermissions;
  /** The simulated API server's periodic bookmarks. @default 200 ms */
  readonly bookmarkIntervalMs?: number;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const synthetic = syntheticCluster({ nodes: o.nodes ?? 3, podsPerNode: o.podsPerNode ?? 8, now: T0 });
  const sim = simClusterFrom(synthetic, clock);
  sim.compact();
  const kube = await startSimKube({
    cluster: sim,
    bookmarkIntervalMs: o.bookmarkIntervalMs ?? 200,
    ...(o.permissions ? { permissions: o.permissions } : {}),
  });
  const ingest = await startIngestEndpoint({ credentials: KEYS, region: REGION });
  const kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
  const logs: Record<string, unknown>[] = [];
  const config: AgentConfig = {
    cluster: synthetic.cluster,
    ingestUrl: ingest.url,
    region: REGION,
    intervalMs: 60_000,
    kubeletTransport: 'direct',
    kubeletTimeoutMs: 1000,
    kubeletConcurrency: 4,
    kubeletInsecureTls: false,
    changeDebounceMs: 50,
    bufferMaxBatches: 20,
    bufferMaxBytes: 64 * 1024 * 1024,
    pushTimeoutMs: 1000,
    unreadyAfterFailures: 2,
    healthPort: 0,
    logLevel: 'debug',
    ...o.config,
  };
  const agent = createAgentRuntime(config, {
    kubeConfig: kc,
    credentials: KEYS,
    clock,
    logger: createLogger({ service: 'vigil-agent', level: config.logLevel, sink: (l) => logs.push(JSON.parse(l)), now: () => clock.now() }),
    ...o.runtime,
  });
  return {
    clock,
    synthetic,
    sim,
    kube,
    ingest,
    agent,
    logs,
    batches: () => ingest.received.map((r) => r.batch),
    minute: async () => {
      clock.advance(60_000);
      await agent.cycle();
    },
    close: async () => {
      await agent.stop();
      await kube.close();
      await ingest.close();
    },
  };
}
