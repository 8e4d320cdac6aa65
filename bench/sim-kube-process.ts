/**
 * The agent bench's simulated cluster (loopback API server + one HTTPS kubelet per node) in a process of its
 * own. In the bench's process it shared one event loop with the ingest endpoint, and at 1,000 nodes the
 * kubelets answered so slowly that the agent's scrape deadline cut most reads: the agent's CPU then counted
 * few summaries. Here the kubelets get their own process, and the parent asks how many reads they served.
 *
 * The cluster is `sim/synthetic.ts`'s, with one change: containers that have a memory limit get a CPU limit
 * too (twice their request), so every node runs CPU-limited containers and the agent also reads every
 * node's `/metrics/cadvisor`, as it does on a cluster that sets CPU limits. The reference cluster sets none.
 */
import { fork, type ChildProcess } from 'child_process';
import { shardLeaseName, shardOf } from '../agent/shard';
import { systemClock } from '../model/time';
import { simClusterFrom } from '../sim/kube/from-synthetic';
import { startSimKube, type SimKube } from '../sim/kube/env';
import { syntheticCluster, type SyntheticCluster } from '../sim/synthetic';

const ROLE = 'VIGIL_BENCH_SIM_KUBE';

export interface SimKubeProcessOptions {
  readonly nodes: number;
  readonly podsPerNode: number;
  /** One availability zone in three lost: its kubelets accept connections and never answer. */
  readonly zoneLost?: boolean;
  /**
   * The nodes split into this many shards (`VIGIL_SHARDS`): the measured replica gets shard 0 (the one that
   * also sends what is cluster-wide), the others' leases are held and renewed here as their replicas would.
   */
  readonly shards?: number;
}

/** The measured replica's namespace and the other replicas' name, for a sharded size. */
export const BENCH_SHARDING = { namespace: 'vigil', podName: 'vigil-agent-bench-0', others: 'vigil-agent-bench-other' } as const;

/** What the cluster holds, told once it is serving. */
export interface SimKubeInfo {
  readonly cluster: string;
  readonly kubeconfigFile: string;
  readonly pods: number;
  readonly containers: number;
  /** Kubelets that answer and the measured replica reads (the nodes outside the lost zone, of its shard). */
  readonly reachable: number;
  readonly lost: number;
  /** Reachable nodes running a container with a CPU limit: the agent reads their cAdvisor too. */
  readonly cpuLimited: number;
}

/** Reads served by the reachable kubelets since start: counted where they are served. */
export interface KubeletReads {
  readonly summaries: number;
  readonly cadvisor: number;
}

export interface SimKubeProcess extends SimKubeInfo {
  reads(): Promise<KubeletReads>;
  close(): Promise<void>;
}

type Request = { readonly op: 'reads' } | { readonly op: 'close' };

/** Forks the cluster's process and resolves once its kubelets and API server listen. */
export async function startSimKubeProcess(opts: SimKubeProcessOptions): Promise<SimKubeProcess> {
  const child: ChildProcess = fork(__filename, [], {
    execArgv: process.execArgv,
    env: { ...process.env, [ROLE]: JSON.stringify(opts) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(req: Request) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the simulated cluster's process exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
      child.send(req);
    });
  const info = await new Promise<SimKubeInfo>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulated cluster's process exited (${code}) before serving`)));
    child.once('message', (m) => resolve(m as SimKubeInfo));
  });
  child.removeAllListeners('exit');
  return {
    ...info,
    reads: () => ask<KubeletReads>({ op: 'reads' }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ op: 'close' });
      await exited;
    },
  };
}

/** The reference cluster with a CPU limit on every container that has a memory limit. */
function withCpuLimits(c: SyntheticCluster): SyntheticCluster {
  return {
    ...c,
    reports: c.reports.map((r) => ({
      ...r,
      pods: r.pods.map((p) => ({
        ...p,
        containers: p.containers.map((k) =>
          k.limits.memoryBytes === undefined || k.requests.cpuMilli === undefined
            ? k
            : { ...k, limits: { ...k.limits, cpuMilli: 2 * k.requests.cpuMilli } },
        ),
      })),
    })),
  };
}

/**
 * Kubelets serve stats from a cache their housekeeping refreshes every 10-15 s; these re-render theirs
 * every 20 s, ahead of the agent's reads, so that the cluster's process keeps up with 1,000 of them.
 */
const KUBELET_CACHE_MS = 20_000;

/** Renders every reachable kubelet's bodies ahead, again and again, yielding between nodes to serve. */
async function keepWarm(kube: SimKube, nodes: readonly string[], stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    for (const n of nodes) {
      if (stopped()) return;
      kube.kubelets.warm(n);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function serve(opts: SimKubeProcessOptions): Promise<void> {
  const syn = withCpuLimits(syntheticCluster({ nodes: opts.nodes, podsPerNode: opts.podsPerNode, now: Date.now() }));
  const sim = simClusterFrom(syn, systemClock);
  sim.compact();
  const kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: 60_000, kubeletCacheMs: KUBELET_CACHE_MS });
  const lost = new Set(opts.zoneLost ? syn.reports.filter((_, i) => i % 3 === 0).map((r) => r.node.name) : []);
  for (const n of lost) kube.kubelets.setFault(n, { delayMs: 3_600_000 });
  const measured = (node: string) => !opts.shards || shardOf(node, opts.shards) === 0;
  const reachable = syn.reports.filter((r) => !lost.has(r.node.name) && measured(r.node.name));
  // The other replicas keep their shards: renewed well within the agent's shortest lease (30 s).
  const holdOthers = () => {
    for (let s = 1; s < (opts.shards ?? 1); s++)
      kube.api.leases.holdAs(BENCH_SHARDING.namespace, shardLeaseName(s), BENCH_SHARDING.others, 30);
  };
  holdOthers();
  const holding = setInterval(holdOthers, 5_000);
  const sumReachable = (m: ReadonlyMap<string, number>) => reachable.reduce((a, r) => a + (m.get(r.node.name) ?? 0), 0);
  const info: SimKubeInfo = {
    cluster: syn.cluster,
    kubeconfigFile: kube.kubeconfigFile(),
    pods: syn.reports.reduce((a, r) => a + r.pods.length, 0),
    containers: syn.reports.reduce((a, r) => a + r.pods.reduce((b, p) => b + p.containers.length, 0), 0),
    reachable: reachable.length,
    lost: lost.size,
    cpuLimited: reachable.filter((r) => r.pods.some((p) => p.containers.some((k) => k.limits.cpuMilli !== undefined))).length,
  };
  let closing = false;
  const warm = keepWarm(
    kube,
    reachable.map((r) => r.node.name),
    () => closing,
  );
  process.send?.(info);
  process.on('message', (m: Request) => {
    if (m.op === 'reads') {
      process.send?.({
        summaries: sumReachable(kube.kubelets.requests),
        cadvisor: sumReachable(kube.kubelets.cadvisorRequests),
      } satisfies KubeletReads);
      return;
    }
    closing = true;
    clearInterval(holding);
    // The lost zone's answers wait an hour: exit rather than wait for them.
    void warm.then(() => kube.close()).finally(() => process.exit(0));
  });
}

if (process.env[ROLE]) void serve(JSON.parse(process.env[ROLE]) as SimKubeProcessOptions);
