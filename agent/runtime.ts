/**
 * Wires a configured agent from real parts: client-node's `KubeConfig` (in-cluster service account, or
 * a kubeconfig file out of the cluster), the metered API client, the watches, the kubelet source the
 * configuration picks, and the SigV4-signed Function URL sink. `main.ts` runs it as a process; tests and
 * local mode pass a `KubeConfig` for the loopback cluster and their own clock and logger.
 */
import { readFileSync } from 'fs';
import type * as https from 'https';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { silentLogger, type Logger } from '../common/log';
import { systemClock, type Clock } from '../model/time';
import { Agent, type Timers } from './agent';
import type { AgentConfig } from './config';
import { KubeConfigApi } from './kube/api';
import { KubeLeaseStore } from './kube/leases';
import { ApiMeter } from './kube/meter';
import { readReadyz } from './kube/readyz';
import { ClusterState } from './kube/state';
import { ApiProxySource, DirectKubeletSource, type SummarySource } from './kubelet/scraper';
import { FunctionUrlSink } from './push/sink';
import { createSigner, type AwsCredentials } from './push/sigv4';
import { ShardLeases } from './shard';
import { AGENT_VERSION } from './version';

export interface RuntimeOptions {
  /** @default from `config.kubeconfig`, else the pod's service account */
  readonly kubeConfig?: KubeConfig;
  /** @default the AWS SDK's default credential chain */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly timers?: Timers;
  /** @default BATCH_LIMITS.maxCompressedBytes */
  readonly maxCompressedBytes?: number;
  /** Seconds asked of the API server per watch. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /** How often Karpenter's API discovery is asked again. @default 10 minutes */
  readonly karpenterRecheckMs?: number;
}

export function loadKubeConfig(config: Pick<AgentConfig, 'kubeconfig'>): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

/** The CA kubelet certificates are checked against: the configured file, else the cluster CA. */
function kubeletCa(config: AgentConfig, kc: KubeConfig): Buffer | undefined {
  if (config.kubeletCaFile) return readFileSync(config.kubeletCaFile);
  const cluster = kc.getCurrentCluster();
  if (cluster?.caFile) return readFileSync(cluster.caFile);
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64');
  return undefined;
}

export function createAgentRuntime(config: AgentConfig, o: RuntimeOptions = {}): Agent {
  const kc = o.kubeConfig ?? loadKubeConfig(config);
  const logger = o.logger ?? silentLogger;
  const meter = new ApiMeter();
  const api = new KubeConfigApi(kc, meter);
  const state = new ClusterState({
    api,
    logger,
    random: o.random,
    watchTimeoutSeconds: o.watchTimeoutSeconds,
    karpenterRecheckMs: o.karpenterRecheckMs,
  });
  const summaries: SummarySource =
    config.kubeletTransport === 'proxy'
      ? new ApiProxySource(api)
      : new DirectKubeletSource({
          ca: kubeletCa(config, kc),
          insecureSkipTlsVerify: config.kubeletInsecureTls,
          authorization: async () => {
            const opts: https.RequestOptions = { headers: {} };
            await kc.applyToHTTPSOptions(opts);
            const value = (opts.headers as Record<string, unknown>).Authorization;
            return typeof value === 'string' ? value : undefined;
          },
        });
  const clock = o.clock ?? systemClock;
  const shards =
    config.shards && config.shards > 1
      ? new ShardLeases({
          store: new KubeLeaseStore(api, config.namespace as string),
          identity: config.podName as string,
          count: config.shards,
          namespace: config.namespace as string,
          leaseDurationMs: config.leaseDurationMs ?? Math.min(30_000, config.intervalMs / 2),
          now: () => clock.now(),
          logger,
        })
      : undefined;
  return new Agent({
    settings: {
      cluster: config.cluster,
      version: AGENT_VERSION,
      intervalMs: config.intervalMs,
      kubeletTimeoutMs: config.kubeletTimeoutMs,
      kubeletConcurrency: config.kubeletConcurrency,
      ...(config.kubeletNotReadyTimeoutMs ? { kubeletNotReadyTimeoutMs: config.kubeletNotReadyTimeoutMs } : {}),
      ...(config.scrapeDeadlineMs ? { scrapeDeadlineMs: config.scrapeDeadlineMs } : {}),
      ...(config.stopDeadlineMs ? { stopDeadlineMs: config.stopDeadlineMs } : {}),
      ...(config.staleAfterMs ? { staleAfterMs: config.staleAfterMs } : {}),
      changeDebounceMs: config.changeDebounceMs,
      bufferMaxBatches: config.bufferMaxBatches,
      bufferMaxBytes: config.bufferMaxBytes,
      unreadyAfterFailures: config.unreadyAfterFailures,
      ...(o.maxCompressedBytes ? { maxCompressedBytes: o.maxCompressedBytes } : {}),
    },
    state,
    summaries,
    controlPlane: { meter, readyz: () => readReadyz(api, config.kubeletTimeoutMs) },
    sink: new FunctionUrlSink({
      url: config.ingestUrl,
      sign: createSigner({ region: config.region, credentials: o.credentials }),
      timeoutMs: config.pushTimeoutMs,
    }),
    clock,
    logger,
    ...(shards ? { shards } : {}),
    ...(o.random ? { random: o.random } : {}),
    ...(o.timers ? { timers: o.timers } : {}),
  });
}
