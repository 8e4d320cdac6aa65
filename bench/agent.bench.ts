/**
 * The agent's cost, measured on the shipped artifact: the esbuild bundle (as the Dockerfile builds it)
 * runs as its own process against the loopback cluster (API server + one HTTPS kubelet per node, serving
 * `sim/synthetic.ts`'s reference cluster, in a process of its own: `sim-kube-process.ts`) and the loopback
 * ingest endpoint (SigV4 checked), which stays in this one. The figures come from the agent's own
 * `/metrics` and cycle logs, from what the kubelets served and from what the endpoint received.
 *
 * CPU is CPU-seconds of the agent's process alone (`process_cpu_seconds_total`), not wall time: the machine
 * may be shared, which slows a cycle's wall time but not the work it does. A read cut by the scrape deadline
 * would make the agent look cheaper than it is, so every size checks that each reachable kubelet's summary
 * (and cAdvisor, on nodes with a CPU-limited container) was read in the measured cycle, and fails otherwise.
 *
 * The agent runs with the production settings (60-s interval, 30-s scrape deadline, 10-s kubelet timeout)
 * and the V8 flags its image uses (`AGENT_NODE_FLAGS`); its CPU per minute is its CPU over one whole
 * interval, from the end of cycle 2 to the end of cycle 3 (the cycle, its garbage collection, watches).
 * The 1,000-node size runs at a 180-s interval instead: its scrape deadline (half the interval) is then
 * 90 s, so that a machine shared with others cannot cut the reads, and its figure is an upper bound of the
 * 60-s interval's (three minutes of watches, and connections idle past 75 s are not kept, so each cycle
 * opens every connection again).
 * `VIGIL_BENCH_AGENT_CPU_PROF=<dir>` also writes the agent's V8 CPU profile there (`node --cpu-prof`);
 * `VIGIL_BENCH_AGENT_NODE_FLAGS` replaces the image's V8 flags, to weigh another choice.
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import { tmpdir } from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { AGENT_NODE_FLAGS, bundleAgent } from '../agent/build';
import { startIngestEndpoint } from '../sim/aws/ingest-endpoint';
import type { BenchFigure, BenchSection } from './report';
import { BENCH_SHARDING, startSimKubeProcess, type KubeletReads } from './sim-kube-process';

interface Size {
  /** What `VIGIL_BENCH_AGENT_NODES` selects it by. */
  readonly name: string;
  readonly nodes: number;
  readonly podsPerNode: number;
  /**
   * Budgets: the 50-node reference cluster's (memory: the manifest's request for up to 100 nodes, 128Mi), or
   * the largest clusters' goal per replica (issue 15).
   */
  readonly budget?: { readonly cpuS: number; readonly rssMiB: number };
  /** One availability zone in three lost: its kubelets accept connections and never answer. */
  readonly zoneLost?: boolean;
  /**
   * 60: the production interval and timeouts. 180: the production timeouts, with a 90-s scrape deadline
   * (half the interval) instead of 30 s, so that a machine others share cannot cut the reads.
   */
  readonly intervalSeconds: 60 | 180;
  /** Sharded: the agent is one of this many replicas and reads shard 0 (`sim-kube-process.ts`). */
  readonly shards?: number;
}

const SIZES: readonly Size[] = [
  { name: '50', nodes: 50, podsPerNode: 30, budget: { cpuS: 1, rssMiB: 128 }, intervalSeconds: 60 },
  { name: '200', nodes: 200, podsPerNode: 30, intervalSeconds: 60 },
  // The largest clusters' goal, every kubelet answering: the most the agent reads.
  { name: '1000', nodes: 1000, podsPerNode: 30, budget: { cpuS: 5, rssMiB: 300 }, intervalSeconds: 180 },
  // One replica of five at that size: its fifth of the kubelets, the whole cluster's watches, and what is
  // cluster-wide (shard 0's). The goal is per replica.
  { name: '1000-shard-of-5', nodes: 1000, podsPerNode: 30, shards: 5, budget: { cpuS: 5, rssMiB: 300 }, intervalSeconds: 60 },
  // A cycle still ends within its interval when a third of the kubelets never answer.
  { name: '1000-zone-lost', nodes: 1000, podsPerNode: 30, zoneLost: true, intervalSeconds: 60 },
];
const CREDENTIALS = { accessKeyId: 'AKIDBENCHAGENT', secretAccessKey: 'bench-secret-key' };
const REGION = 'eu-west-1';
const MiB = 1024 * 1024;

interface CycleLine {
  readonly cycle: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly nodes?: number;
  readonly pods?: number;
  readonly batches?: number;
  readonly bytes?: number;
  readonly rawBytes?: number;
  readonly scrapeErrors?: number;
  readonly cadvisorErrors?: number;
}

/** One cycle as measured: the agent's log line, its `/metrics` after it, and the kubelets' reads so far. */
interface Cycle {
  readonly line: CycleLine;
  readonly metrics: string;
  readonly reads: KubeletReads;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** The agent's environment: the production settings but the interval. */
function agentEnv(size: Size, cluster: string, ingestUrl: string, kubeconfig: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    VIGIL_CLUSTER: cluster,
    VIGIL_INGEST_URL: ingestUrl,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    KUBECONFIG: kubeconfig,
    VIGIL_INTERVAL_SECONDS: String(size.intervalSeconds),
    VIGIL_HEALTH_PORT: '0',
    ...(size.shards
      ? { VIGIL_SHARDS: String(size.shards), VIGIL_POD_NAME: BENCH_SHARDING.podName, VIGIL_NAMESPACE: BENCH_SHARDING.namespace }
      : {}),
  };
}

/**
 * Node's flags for the agent: the image's (`AGENT_NODE_FLAGS`) unless `VIGIL_BENCH_AGENT_NODE_FLAGS` gives
 * others (space-separated, to weigh a change), plus `--cpu-prof` when `VIGIL_BENCH_AGENT_CPU_PROF` names a folder.
 */
function nodeFlags(size: Size): string[] {
  const flags = process.env.VIGIL_BENCH_AGENT_NODE_FLAGS?.split(' ').filter(Boolean) ?? [...AGENT_NODE_FLAGS];
  const dir = process.env.VIGIL_BENCH_AGENT_CPU_PROF;
  return [...flags, ...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=agent-${size.name}.cpuprofile`] : [])];
}

/** Runs the agent until three cycles have read the cluster; each with its `/metrics` and the kubelets' reads after it. */
async function runCycles(child: ChildProcess, kube: { reads(): Promise<KubeletReads> }, timeoutMs: number): Promise<Cycle[]> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const cycles: Cycle[] = [];
  let port = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the agent did not finish 3 cycles in time; stderr: ${stderr.slice(0, 500)}`)),
      timeoutMs,
    );
    child.on('exit', (code) => reject(new Error(`the agent exited (${code}): ${stderr.slice(0, 500)}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let o: { message?: string; port?: number } & Partial<CycleLine>;
      try {
        o = JSON.parse(text);
      } catch {
        return;
      }
      if (o.message === 'probes listening' && o.port) port = o.port;
      // Only cycles that read the cluster: one before it is listed (on a loaded machine), or before a sharded
      // replica holds its shard, reads no node.
      if (o.message !== 'cycle' || o.cycle === undefined || !o.nodes) return;
      const line = o as CycleLine;
      void Promise.all([getText(`http://127.0.0.1:${port}/metrics`), kube.reads()]).then(([metrics, reads]) => {
        cycles.push({ line, metrics, reads });
        if (cycles.length >= 3) {
          clearTimeout(timer);
          resolve();
        }
      }, reject);
    });
  });
  return cycles;
}

async function measure(bundle: string, dir: string, size: Size): Promise<BenchSection> {
  const kube = await startSimKubeProcess(size);
  const ingest = await startIngestEndpoint({ credentials: CREDENTIALS, region: REGION });
  const kubeconfig = path.join(dir, `kubeconfig-${size.name}.json`);
  writeFileSync(kubeconfig, kube.kubeconfigFile);
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags(size), bundle], {
    env: agentEnv(size, kube.cluster, ingest.url, kubeconfig),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let cycles: Cycle[];
  try {
    // Start-up (the first list of every pod) plus three intervals, with room for a loaded machine.
    cycles = await runCycles(child, kube, 6 * size.intervalSeconds * 1000 + 180_000);
  } finally {
    child.removeAllListeners('exit');
    // The agent's SIGTERM handler ends in process.exit, which also writes a --cpu-prof profile.
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    await kube.close();
    await ingest.close();
  }

  const [first, second, third] = cycles;
  const cpuTotal = (c: Cycle) => metric(c.metrics, 'process_cpu_seconds_total');
  const ts = (c: Cycle) => metric(c.metrics, 'vigil_agent_last_cycle_timestamp_seconds');
  // One whole interval, from the end of cycle 2 to the end of cycle 3: the cycle, the garbage collection
  // it leaves behind, watch traffic, timers.
  const intervalCpuS = cpuTotal(third) - cpuTotal(second);
  const idleMsPerS =
    (Math.max(0, intervalCpuS - third.line.cpuMs / 1000) * 1000) / Math.max(1, ts(third) - ts(second) - third.line.ms / 1000);
  const peakRssMiB = metric(third.metrics, 'process_max_resident_memory_bytes') / MiB;
  // What the agent read in a cycle: every node but those it reports a scrape error for.
  const summariesRead = (c: Cycle) => (c.line.nodes ?? 0) - (c.line.scrapeErrors ?? 0);
  const served = (c: Cycle, prev: Cycle | undefined, k: keyof KubeletReads) => c.reads[k] - (prev?.reads[k] ?? 0);
  const stored = ingest.received.filter((r) => r.batch.kind === 'full' && r.batch.seq === 3);
  const bytes = stored.reduce((a, r) => a + r.bytes, 0);
  const rawBytes = stored.reduce((a, r) => a + r.rawBytes, 0);
  const atLeast = (min: number) => ({ budget: { min } });
  const figures: BenchFigure[] = [
    { name: 'kubelets reachable', value: kube.reachable, unit: 'kubelets' },
    {
      name: 'summaries read in the measured cycle (all reachable)',
      value: summariesRead(third),
      unit: 'kubelets',
      ...atLeast(kube.reachable),
    },
    // Not with a lost zone: its hanging kubelets hold the scrape to its deadline, and cAdvisor comes after.
    {
      name: 'cAdvisor bodies read in the measured cycle (all reachable with a CPU limit)',
      value: served(third, second, 'cadvisor'),
      unit: 'kubelets',
      ...(size.zoneLost ? {} : atLeast(kube.cpuLimited)),
    },
    {
      name: `CPU per minute at the 60-s interval (one whole ${size.intervalSeconds}-s interval: a cycle, its GC, watches)`,
      value: round(intervalCpuS, 3),
      unit: 'CPU-s',
      ...(size.budget ? { budget: { max: size.budget.cpuS } } : {}),
    },
    {
      name: 'peak RSS of the agent process',
      value: round(peakRssMiB, 1),
      unit: 'MiB',
      ...(size.budget ? { budget: { max: size.budget.rssMiB } } : {}),
    },
    { name: 'one steady cycle: CPU (scrape, join, gzip, push)', value: Math.round(third.line.cpuMs), unit: 'ms' },
    {
      name: 'one steady cycle: CPU per kubelet read (cycle CPU / summaries read)',
      value: round(third.line.cpuMs / Math.max(1, summariesRead(third)), 2),
      unit: 'ms',
    },
    {
      name: 'one steady cycle: wall time',
      value: Math.round(third.line.ms),
      unit: 'ms',
      ...(size.zoneLost ? { budget: { max: size.intervalSeconds * 1000 } } : {}),
    },
    { name: "CPU between cycles (mostly the cycle's garbage collection)", value: round(idleMsPerS, 2), unit: 'ms/s' },
    { name: 'start-up: first list + first cycle, CPU', value: round(cpuTotal(first), 2), unit: 'CPU-s' },
    { name: 'start-up: first cycle wall time', value: Math.round(first.line.ms), unit: 'ms' },
    { name: 'bytes sent per cycle, JSON', value: rawBytes, unit: 'bytes' },
    { name: 'bytes sent per cycle, gzip (what goes over the wire)', value: bytes, unit: 'bytes' },
    { name: 'batches per cycle (parts)', value: stored.length, unit: 'batches' },
    { name: 'agent bundle (esbuild, minified)', value: round(Number(bundleBytes) / 1024, 0), unit: 'KiB' },
  ];
  return {
    component: `agent: ${size.nodes} nodes / ${kube.pods.toLocaleString('en-US')} pods${size.zoneLost ? ', one zone lost' : ''}${size.shards ? `, one replica of ${size.shards} (shard 0: ${kube.reachable} nodes)` : ''}`,
    setup: `bundled agent (node ${process.version} ${nodeFlags(size).join(' ')}) in its own process vs, in another process, a loopback API server + ${size.nodes} HTTPS kubelets (synthetic cluster, ${kube.containers.toLocaleString('en-US')} containers, CPU limits on ${kube.cpuLimited} reachable nodes${kube.lost ? `; ${kube.lost} kubelets of one lost zone never answer` : ''}) + loopback SigV4 ingest; ${size.intervalSeconds}-s ticks at the production timeouts, figures from cycle 3; CPU is the agent process's CPU-seconds, not wall time`,
    figures,
    notes: [
      `per cycle, kubelets read of ${kube.reachable} reachable (summary / cAdvisor served): ${cycles.map((c, i) => `#${c.line.cycle} ${summariesRead(c)} (${served(c, cycles[i - 1], 'summaries')} / ${served(c, cycles[i - 1], 'cadvisor')})`).join(', ')}`,
      `cycles: ${cycles.map((c) => `#${c.line.cycle} ${Math.round(c.line.ms)} ms wall / ${Math.round(c.line.cpuMs)} ms CPU`).join(', ')}; scrape errors in cycle 3: ${third.line.scrapeErrors ?? 0}, cAdvisor errors: ${third.line.cadvisorErrors ?? 0}`,
      'peak RSS covers start-up too (the first list of every pod); at 1,000 nodes the high-water mark is a cycle encoding its parts.',
    ],
  };
}

let bundleBytes = 0;

/**
 * `VIGIL_BENCH_AGENT_NODES=1000 npm run bench -- agent` runs only that size (comma-separated for several,
 * e.g. `1000,1000-zone-lost`): the whole bench takes over a quarter of an hour on a loaded machine.
 */
function sizesToRun(only: string | undefined): readonly Size[] {
  if (!only) return SIZES;
  const wanted = only.split(',');
  const sizes = SIZES.filter((s) => wanted.includes(s.name));
  if (sizes.length !== wanted.length)
    throw new Error(`VIGIL_BENCH_AGENT_NODES=${only}: the agent bench has sizes ${SIZES.map((s) => s.name).join(', ')}`);
  return sizes;
}

export async function bench(): Promise<BenchSection[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-agent-bench-'));
  try {
    const b = await bundleAgent(path.join(dir, 'agent.js'));
    bundleBytes = b.bytes;
    const out: BenchSection[] = [];
    for (const size of sizesToRun(process.env.VIGIL_BENCH_AGENT_NODES)) out.push(await measure(b.outfile, dir, size));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
