/**
 * Ingest against hostile bodies, beside real ones: each body is answered by the real handler in a fresh
 * Node process (so its peak RSS is that one request's), signed by the cluster's agent role, with DynamoDB
 * as dynalite in another process. The hostile bodies are what a few kilobytes of gzip can ask JSON.parse
 * and validation to build, each just inside (or far beyond) `BATCH_LIMITS`.
 */
import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { silentLogger } from '../common/log';
import { createIngestHandler } from '../lambdas/ingest/ingest';
import { createTable } from '../lambdas/store/table';
import { VigilStore } from '../lambdas/store/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynalite';
import { BATCH_LIMITS } from '../model/batch';
import { checkJsonShape } from '../model/json-shape';
import { ManualClock } from '../model/time';
import { syntheticBatch, syntheticCluster } from '../sim/synthetic';
import { BENCH_AGENT_ROLE, dynaliteProcess, functionUrlEvent } from './ingest.bench';
import type { BenchSection } from './report';

const ROLE = 'VIGIL_BENCH_HOSTILE_BODY';
const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);
const TABLE = 'bench';
/** The function's memory setting (lib/vigil-function.ts DEFAULT_MEMORY_MB). */
const MEMORY_MB = 512;

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly peakRssMiB: number;
  /** RSS before the request: Node, tsx and the modules. */
  readonly baseRssMiB: number;
}

/** The child: answers one body from a file and reports the time and its peak RSS. */
async function child(file: string, endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const clock = new ManualClock(T0 + 25_000);
  const handler = createIngestHandler({
    store: new VigilStore({ client, tableName: TABLE, clock }),
    clock,
    logger: silentLogger,
    writers: [{ roleArn: BENCH_AGENT_ROLE, cluster: 'prod-eu-1' }],
  });
  const event = functionUrlEvent(fs.readFileSync(file), T0);
  const baseRssMiB = process.memoryUsage().rss / 2 ** 20;
  const start = performance.now();
  const r = await handler(event);
  const ms = performance.now() - start;
  client.destroy();
  process.send!({ status: r.statusCode ?? 0, ms, peakRssMiB: peakRssMiB(), baseRssMiB } satisfies Answer);
}

/** This process's peak RSS: `VmHWM` (Linux's getrusage maxrss carries the parent's over fork and exec). */
function peakRssMiB(): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!hwm) throw new Error('no VmHWM in /proc/self/status: peak RSS is measured on Linux');
  return Number(hwm[1]) / 1024;
}

function answer(file: string, endpoint: string): Promise<Answer> {
  const c = fork(__filename, [], {
    execArgv: process.execArgv,
    env: { ...process.env, [ROLE]: JSON.stringify({ file, endpoint }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    c.once('error', reject);
    c.once('message', (m) => {
      c.kill();
      resolve(m as Answer);
    });
  });
}

/** A valid batch with `junk` beside it (unknown fields are ignored, but JSON.parse still builds them). */
function withJunk(junk: string): string {
  const b = JSON.stringify(syntheticBatch(syntheticCluster({ nodes: 2, podsPerNode: 3 }), T0));
  return `${b.slice(0, -1)},"junk":${junk}}`;
}

/**
 * The most pods that stay inside the shape limits, each with 64 labels whose keys are drawn in turn from
 * as many distinct keys as allowed: every pod's key set is new to V8 (a hidden class each), and every label
 * is validated. The worst body found.
 */
function uniqueLabels(): string {
  const c = syntheticCluster({ nodes: 8, podsPerNode: 1 });
  let n = 0;
  const pods = (count: number) =>
    Array.from({ length: count }, (_, i) => ({
      ...c.reports[0].pods[0],
      uid: `u${n}`,
      name: `p${i}`,
      containers: [],
      labels: Object.fromEntries(Array.from({ length: 64 }, () => [`k${n++ % (BATCH_LIMITS.maxDistinctKeys - 200)}`, 'v'])),
    }));
  for (let perNode = 1000; ; perNode -= 25) {
    n = 0;
    const b = syntheticBatch(c, T0);
    const text = JSON.stringify({ ...b, nodes: b.nodes.map((r) => ({ ...r, pods: pods(perNode) })) });
    if (checkJsonShape(Buffer.from(text), BATCH_LIMITS).ok) return text;
  }
}

const HOSTILE: readonly [string, () => string | Buffer][] = [
  ['a gzip bomb (256 MiB of spaces)', () => Buffer.alloc(256 * 1024 * 1024, 0x20)],
  ['a million levels of nesting', () => withJunk('['.repeat(1_000_000) + ']'.repeat(1_000_000))],
  ['empty objects up to the container limit', () => withJunk(`[${'{},'.repeat(BATCH_LIMITS.maxJsonContainers - 200)}{}]`)],
  ['numbers up to the value limit', () => withJunk(`[${'1e308,'.repeat(BATCH_LIMITS.maxJsonValues - 1000)}0]`)],
  ['one string up to the byte limit', () => withJunk(`"${'x'.repeat(BATCH_LIMITS.maxJsonBytes - 20_000)}"`)],
  [
    '5,000 nodes, each wrong in every field',
    () =>
      JSON.stringify({
        ...syntheticBatch(syntheticCluster({ nodes: 1, podsPerNode: 1 }), T0),
        nodes: Array.from({ length: 5000 }, () => ({
          node: { name: 1, conditions: 'x', capacity: 1, allocatable: 1, taints: 1, unschedulable: 1 },
          pods: 1,
        })),
      }),
  ],
  ['pods with 64 labels of ever new key sets, up to the value and key limits', uniqueLabels],
];

export async function bench(): Promise<BenchSection> {
  const db = await dynaliteProcess();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-hostile-'));
  try {
    const client = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await createTable(client, TABLE);
    client.destroy();
    const run = async (name: string, body: string | Buffer) => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.gz`);
      fs.writeFileSync(file, gzipSync(body));
      return { name, gzipBytes: fs.statSync(file).size, ...(await answer(file, db.endpoint)) };
    };
    const reference = await run(
      'the reference batch (50 nodes, 1,500 pods)',
      JSON.stringify(syntheticBatch(syntheticCluster({ nodes: 50, podsPerNode: 30 }), T0)),
    );
    const largest = await run(
      'the largest real part (100 nodes, 3,000 pods)',
      JSON.stringify(syntheticBatch(syntheticCluster({ nodes: 100, podsPerNode: 30 }), T0)),
    );
    const hostile = [];
    for (const [name, make] of HOSTILE) hostile.push(await run(name, make()));
    const slowest = hostile.reduce((a, h) => (h.ms > a.ms ? h : a));
    const hungriest = hostile.reduce((a, h) => (h.peakRssMiB > a.peakRssMiB ? h : a));
    const round = (v: number) => Math.round(v);
    return {
      component: 'ingest endpoint, hostile bodies',
      setup: `each body answered by the real handler in a fresh Node process (peak RSS = that request's), signed by the agent role, DynamoDB as dynalite in another process; the function has ${MEMORY_MB} MB`,
      figures: [
        { name: `${reference.name}: answer time (${reference.status})`, value: round(reference.ms), unit: 'ms' },
        { name: `${reference.name}: peak RSS`, value: round(reference.peakRssMiB), unit: 'MiB' },
        { name: `${largest.name}: answer time (${largest.status})`, value: round(largest.ms), unit: 'ms' },
        { name: `${largest.name}: peak RSS`, value: round(largest.peakRssMiB), unit: 'MiB', budget: { max: MEMORY_MB } },
        {
          name: `worst hostile body's answer time: ${slowest.name} (${slowest.status})`,
          value: round(slowest.ms),
          unit: 'ms',
          budget: { max: 2000 },
        },
        {
          name: `worst hostile body's peak RSS: ${hungriest.name} (${hungriest.status})`,
          value: round(hungriest.peakRssMiB),
          unit: 'MiB',
          budget: { max: MEMORY_MB },
        },
      ],
      notes: [
        'Peak RSS includes the process before the request (Node, tsx compiling the TypeScript, the modules): listed per body below.',
        ...[reference, largest, ...hostile].map(
          (h) =>
            `${h.name}: ${h.gzipBytes.toLocaleString('en-US')} bytes gzip'd, answered ${h.status} in ${round(h.ms)} ms, peak RSS ${round(h.peakRssMiB)} MiB (${round(h.baseRssMiB)} MiB before the request)`,
        ),
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    db.stop();
  }
}

if (process.env[ROLE]) {
  const { file, endpoint } = JSON.parse(process.env[ROLE]) as { file: string; endpoint: string };
  void child(file, endpoint);
}
