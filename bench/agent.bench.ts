/**
 * The agent's cost, measured on the shipped artifact: the esbuild bundle (as the Dockerfile builds it)
 * runs as its own process against the loopback cluster (API server + one HTTPS kubelet per node, serving
 * `sim/synthetic.ts`'s reference cluster) and the loopback ingest endpoint (SigV4 checked). The figures
 * come from the agent's own `/metrics` and cycle logs, and from what the endpoint received.
 *
 * The agent ticks every 10 s here (the shortest allowed) so three cycles take half a minute. Its CPU per
 * minute at the default 60-s interval is taken as the CPU of one whole 10-s interval (the cycle plus the
 * garbage collection and watch traffic that follow it); the 50 s more of a 60-s interval are idle.
 * The agent runs with the V8 flags its image uses (`AGENT_NODE_FLAGS`).
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import { tmpdir } from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { AGENT_NODE_FLAGS, bundleAgent } from '../agent/build';
import { systemClock } from '../model/time';
import { simClusterFrom } from '../sim/kube/from-synthetic';
import { startSimKube } from '../sim/kube/env';
import { startIngestEndpoint } from '../sim/aws/ingest-endpoint';
import { syntheticCluster } from '../sim/synthetic';
import type { BenchFigure, BenchSection } from './report';

interface Size {
  readonly nodes: number;
  readonly podsPerNode: number;
  /** Budgets: the 50-node reference cluster's, or the largest clusters' goal (issue 15). */
  readonly budget?: { readonly cpuS: number; readonly rssMiB: number };
  /** One availability zone in three lost: its kubelets accept connections and never answer. */
  readonly zoneLost?: boolean;
}

const SIZES: readonly Size[] = [
  { nodes: 50, podsPerNode: 30, budget: { cpuS: 1, rssMiB: 100 } },
  { nodes: 200, podsPerNode: 30 },
  { nodes: 1000, podsPerNode: 30, budget: { cpuS: 5, rssMiB: 300 }, zoneLost: true },
];
const INTERVAL_SECONDS = 10;
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

async function measure(bundle: string, dir: string, size: Size): Promise<BenchSection> {
  const syn = syntheticCluster({ nodes: size.nodes, podsPerNode: size.podsPerNode, now: Date.now() });
  const sim = simClusterFrom(syn, systemClock);
  sim.compact();
  const kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: 60_000 });
  const lost = size.zoneLost ? syn.reports.filter((_, i) => i % 3 === 0).map((r) => r.node.name) : [];
  for (const n of lost) kube.kubelets.setFault(n, { delayMs: 3_600_000 });
  const ingest = await startIngestEndpoint({ credentials: CREDENTIALS, region: REGION });
  const kubeconfig = path.join(dir, `kubeconfig-${size.nodes}.json`);
  writeFileSync(kubeconfig, kube.kubeconfigFile());
  const pods = syn.reports.reduce((a, r) => a + r.pods.length, 0);
  const containers = syn.reports.reduce((a, r) => a + r.pods.reduce((b, p) => b + p.containers.length, 0), 0);

  const child: ChildProcess = spawn(process.execPath, [...AGENT_NODE_FLAGS, bundle], {
    env: {
      PATH: process.env.PATH,
      VIGIL_CLUSTER: syn.cluster,
      VIGIL_INGEST_URL: ingest.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      KUBECONFIG: kubeconfig,
      VIGIL_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
      VIGIL_KUBELET_TIMEOUT_SECONDS: '5',
      VIGIL_PUSH_TIMEOUT_SECONDS: '5',
      VIGIL_HEALTH_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const cycles: CycleLine[] = [];
  const metricsAfter: string[] = [];
  let port = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the agent did not finish 3 cycles in time; stderr: ${stderr.slice(0, 500)}`)), 300_000);
      child.on('exit', (code) => reject(new Error(`the agent exited (${code}): ${stderr.slice(0, 500)}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        let o: { message?: string; port?: number } & Partial<CycleLine>;
        try {
          o = JSON.parse(line);
        } catch {
          return;
        }
        if (o.message === 'probes listening' && o.port) port = o.port;
        if (o.message !== 'cycle' || o.cycle === undefined) return;
        cycles.push(o as CycleLine);
        void getText(`http://127.0.0.1:${port}/metrics`).then((m) => {
          metricsAfter.push(m);
          if (metricsAfter.length >= 3) {
            clearTimeout(timer);
            resolve();
          }
        }, reject);
      });
    });
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    await kube.close();
    await ingest.close();
  }

  const [first, , third] = cycles;
  const [m1, m2, m3] = metricsAfter;
  const cpuTotal = (m: string) => metric(m, 'process_cpu_seconds_total');
  const ts = (m: string) => metric(m, 'vigil_agent_last_cycle_timestamp_seconds');
  // One whole interval, from the end of cycle 2 to the end of cycle 3: the cycle, the garbage collection
  // it leaves behind, watch traffic, timers. At the 60-s default the rest of the minute adds only idle.
  const intervalCpuS = cpuTotal(m3) - cpuTotal(m2);
  const idleMsPerS = (Math.max(0, intervalCpuS - third.cpuMs / 1000) * 1000) / Math.max(1, ts(m3) - ts(m2) - third.ms / 1000);
  const peakRssMiB = metric(m3, 'process_max_resident_memory_bytes') / MiB;
  const stored = ingest.received.filter((r) => r.batch.kind === 'full' && r.batch.seq === 3);
  const bytes = stored.reduce((a, r) => a + r.bytes, 0);
  const rawBytes = stored.reduce((a, r) => a + r.rawBytes, 0);
  const figures: BenchFigure[] = [
    { name: 'CPU per minute at the 60-s interval (one whole interval: cycle, its GC, watches)', value: round(intervalCpuS, 3), unit: 'CPU-s', ...(size.budget ? { budget: { max: size.budget.cpuS } } : {}) },
    { name: 'peak RSS of the agent process', value: round(peakRssMiB, 1), unit: 'MiB', ...(size.budget ? { budget: { max: size.budget.rssMiB } } : {}) },
    { name: 'one steady cycle: CPU (scrape, join, gzip, push)', value: Math.round(third.cpuMs), unit: 'ms' },
    { name: 'one steady cycle: wall time', value: Math.round(third.ms), unit: 'ms', ...(size.zoneLost ? { budget: { max: INTERVAL_SECONDS * 1000 } } : {}) },
    { name: 'CPU between cycles (mostly the cycle\'s garbage collection)', value: round(idleMsPerS, 2), unit: 'ms/s' },
    { name: 'start-up: first list + first cycle, CPU', value: round(cpuTotal(m1), 2), unit: 'CPU-s' },
    { name: 'start-up: first cycle wall time', value: Math.round(first.ms), unit: 'ms' },
    { name: 'bytes sent per cycle, JSON', value: rawBytes, unit: 'bytes' },
    { name: 'bytes sent per cycle, gzip (what goes over the wire)', value: bytes, unit: 'bytes' },
    { name: 'batches per cycle (parts)', value: stored.length, unit: 'batches' },
    { name: 'agent bundle (esbuild, minified)', value: round(Number(bundleBytes) / 1024, 0), unit: 'KiB' },
  ];
  return {
    component: `agent: ${size.nodes} nodes / ${pods.toLocaleString('en-US')} pods`,
    setup: `bundled agent (node ${process.version}) in its own process vs loopback API server + ${size.nodes} HTTPS kubelets (synthetic cluster, ${containers.toLocaleString('en-US')} containers${lost.length ? `; ${lost.length} kubelets of one lost zone never answer` : ''}) + loopback SigV4 ingest; ${INTERVAL_SECONDS}-s ticks, figures from cycle 3`,
    figures,
    notes: [
      `cycles: ${cycles.map((c) => `#${c.cycle} ${Math.round(c.ms)} ms wall / ${Math.round(c.cpuMs)} ms CPU`).join(', ')}; scrape errors in cycle 3: ${third.scrapeErrors ?? 0}`,
      'peak RSS covers start-up too (the first list of every pod); at 1,000 nodes the high-water mark is a cycle encoding its parts; the simulated cluster runs in the benchmark process, not the agent\'s.',
    ],
  };
}

let bundleBytes = 0;

/**
 * `VIGIL_BENCH_AGENT_NODES=1000 npm run bench -- agent` runs only that size (comma-separated for several):
 * the whole bench takes over a quarter of an hour on a loaded machine.
 */
function sizesToRun(only: string | undefined): readonly Size[] {
  if (!only) return SIZES;
  const wanted = only.split(',').map(Number);
  const sizes = SIZES.filter((s) => wanted.includes(s.nodes));
  if (sizes.length !== wanted.length) throw new Error(`VIGIL_BENCH_AGENT_NODES=${only}: the agent bench has sizes ${SIZES.map((s) => s.nodes).join(', ')}`);
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
