/**
 * A simulated cluster served the way a real one is: the loopback API server (HTTPS, cluster CA) and one
 * loopback kubelet per node, sharing a service-account token. What tests, the benchmark and local mode
 * start; `kubeconfig` is what a client needs to reach it (as data for client-node's `loadFromOptions`,
 * or as a file's text).
 */
import { startApiServer, type SimApiServer, type SimPermissions } from './api-server';
import type { SimCluster } from './cluster';
import { SimKubelets } from './kubelets';
import { loopbackTls, type KubeletCertificate } from './tls';

export interface SimKubeOptions {
  readonly cluster: SimCluster;
  /** @default a fixed test token */
  readonly token?: string;
  /** What the token may do. @default nodes/stats yes, nodes/proxy no (the agent's default role) */
  readonly permissions?: SimPermissions;
  /** @default every kubelet presents the certificate naming 127.0.0.1 */
  readonly kubeletCertificate?: (node: string) => KubeletCertificate;
  /** @default 1000 ms */
  readonly bookmarkIntervalMs?: number;
  /** Capture replay: each node's captured `/stats/summary` body, by node name (objects via `cluster.replay`). */
  readonly summaries?: ReadonlyMap<string, string>;
  /** Streaming lists: see `ApiServerOptions.watchList`. @default 'off' */
  readonly watchList?: 'on' | 'off' | 'ignored';
  /** See `KubeletsOptions.cacheMs`. @default 0 */
  readonly kubeletCacheMs?: number;
}

/** A kubeconfig as plain data, in the shape of client-node's `loadFromOptions`. */
export interface KubeconfigData {
  readonly clusters: readonly { name: string; server: string; caData: string; skipTLSVerify: boolean }[];
  readonly users: readonly { name: string; token: string }[];
  readonly contexts: readonly { name: string; cluster: string; user: string }[];
  readonly currentContext: string;
}

export interface SimKube {
  readonly cluster: SimCluster;
  readonly api: SimApiServer;
  readonly kubelets: SimKubelets;
  readonly token: string;
  readonly kubeconfig: KubeconfigData;
  /** The same as a kubeconfig file's text (`KUBECONFIG=`). */
  kubeconfigFile(): string;
  close(): Promise<void>;
}

export const SIM_TOKEN = 'vigil-sim-service-account-token';

export async function startSimKube(opts: SimKubeOptions): Promise<SimKube> {
  const token = opts.token ?? SIM_TOKEN;
  const kubelets = await SimKubelets.start({
    cluster: opts.cluster,
    token,
    nodesStats: opts.permissions?.nodesStats ?? true,
    nodesConfigz: opts.permissions?.nodesConfigz ?? true,
    nodesMetrics: opts.permissions?.nodesMetrics ?? true,
    ...(opts.summaries ? { summaries: opts.summaries } : {}),
    ...(opts.kubeletCertificate ? { certificate: opts.kubeletCertificate } : {}),
    ...(opts.kubeletCacheMs ? { cacheMs: opts.kubeletCacheMs } : {}),
  });
  const api = await startApiServer({
    cluster: opts.cluster,
    token,
    tls: loopbackTls.apiServer(),
    permissions: opts.permissions ?? {},
    proxySummary: (node) => kubelets.answer(node),
    ...(opts.bookmarkIntervalMs ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}),
    ...(opts.watchList ? { watchList: opts.watchList } : {}),
  });
  const caData = Buffer.from(loopbackTls.ca()).toString('base64');
  const kubeconfig: KubeconfigData = {
    clusters: [{ name: 'sim', server: api.url, caData, skipTLSVerify: false }],
    users: [{ name: 'vigil-agent', token }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'vigil-agent' }],
    currentContext: 'sim',
  };
  return {
    cluster: opts.cluster,
    api,
    kubelets,
    token,
    kubeconfig,
    // JSON is YAML: client-node's loader reads it as a kubeconfig file.
    kubeconfigFile: () =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'sim', cluster: { server: api.url, 'certificate-authority-data': caData } }],
        users: [{ name: 'vigil-agent', user: { token } }],
        contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'vigil-agent' } }],
        'current-context': 'sim',
      }),
    close: async () => {
      await api.close();
      await kubelets.close();
    },
  };
}
