/**
 * The evaluator at 1,000 nodes / 30,000 pods (the largest cluster the agent is sized for), at 500 nodes and
 * on the reference cluster of 50, evaluated each minute as the scheduled Lambda does (a warm instance: the
 * same evaluator and store from one minute to the next), against dynalite through the real AWS SDK. Dynalite and the writer of the data run in a child process, so the
 * CPU and heap measured are the evaluator's own: reads, decoding, rules, state machine, writes, message, EMF.
 *
 * The cluster is steady with the trouble an evaluation must handle: two nodes under MemoryPressure, one
 * NotReady, Pending pods, OOM-killed containers, Warning events; and with the placement constraints of a
 * real cluster, which the fit checks must honour (`constrain`).
 */
import { fork, type ChildProcess } from 'child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { silentLogger } from '../common/log';
import { resolveRules } from '../lambdas/evaluator/config';
import { createEvaluator, type ClusterEvaluation } from '../lambdas/evaluator/evaluator';
import type { AlertPublisher } from '../lambdas/message/publisher';
import { VigilStore } from '../lambdas/store/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynalite } from '../local/dynalite';
import { ManualClock, MINUTE_MS } from '../model/time';
import type { Placement } from '../model/domain';
import { SteadyCluster } from '../sim/steady-cluster';
import { EVALUATOR_MEMORY_MB } from '../lib/evaluator';
import { lambdaComputeMonthly } from './lambda-cost';
import { MINUTES_PER_MONTH, PRICES } from './prices';
import { cpuMs, type BenchSection } from './report';

/**
 * The largest cluster the agent is sized for, the size of the first CPU budget, and the reference cluster
 * of the cost model; CPU budget per evaluation by size.
 */
const SIZES = [1000, 500, 50] as const;
const CPU_BUDGET_MS: Readonly<Record<number, number>> = { 1000: 3000, 500: 1000 };
const PODS_PER_NODE = 30;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);
const STEADY_RUNS = 8;
const TABLE = 'bench-evaluator';
/** Set in the child process. */
const ROLE = 'VIGIL_BENCH_EVALUATOR_ROLE';
const NODES_VAR = 'VIGIL_BENCH_EVALUATOR_NODES';

/**
 * The child process: dynalite, and the writer playing ingest and the collector (so neither their CPU nor
 * their heap is counted against the evaluator). It writes minute `n` when asked.
 */
async function writerProcess(nodes: number): Promise<void> {
  const d = await startDynalite();
  await d.createTable(TABLE);
  const clock = new ManualClock(T0);
  const store = new VigilStore({ client: d.client, tableName: TABLE, clock });
  const s = new SteadyCluster({ nodes, podsPerNode: PODS_PER_NODE });
  constrain(s);
  process.send!({ endpoint: d.endpoint, cluster: s.cluster, pods: s.reports.reduce((a, r) => a + r.pods.length, 0) });
  process.on('message', async (m: { minute: number }) => {
    const t = T0 + m.minute * MINUTE_MS;
    clock.set(t);
    trouble(s, nodes, m.minute, t);
    await s.write(store, t);
    process.send!({ written: m.minute });
  });
  process.on('disconnect', () => void d.close().then(() => process.exit(0)));
}

/**
 * Placement as on a real cluster: every tenth node a tainted dedicated pool; of the app workloads, by
 * turn, one pinned to its node group, one tolerating the pool, one spread over zones, one one-per-node, one
 * pinned by its volume's zone, one free.
 */
export function constrain(s: SteadyCluster): void {
  const taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule' as const };
  const kinds = (group: string, zone: string, app: string): (Placement | undefined)[] => {
    const self = [{ key: 'app', operator: 'In' as const, values: [app] }];
    return [
      { nodeSelector: { 'eks.amazonaws.com/nodegroup': group } },
      { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }] },
      { spread: [{ topology: 'zone', maxSkew: 1, selector: self }] },
      { antiAffinity: [{ topology: 'hostname', selector: self }] },
      { volumeZones: [zone] },
      undefined,
    ];
  };
  s.reports = s.reports.map((r, i) => {
    const group = r.node.nodeGroup ?? 'general';
    const zone = r.node.zone ?? 'eu-west-1a';
    const pods = r.pods.map((p, j) => {
      if (p.workload.kind === 'DaemonSet') return p;
      const app = p.workload.name;
      const options = kinds(group, zone, app);
      const placement = options[(i + j) % options.length];
      return placement ? { ...p, labels: { ...p.labels, app }, placement } : p;
    });
    return {
      ...r,
      pods,
      node: { ...r.node, labels: { 'eks.amazonaws.com/nodegroup': group }, ...(i % 10 === 9 ? { taints: [taint] } : {}) },
    };
  });
}

/** Starts the writer process and returns a way to have it write a minute. */
async function startWriter(
  nodes: number,
): Promise<{ child: ChildProcess; endpoint: string; cluster: string; pods: number; write(minute: number): Promise<void> }> {
  const child = fork(__filename, [], {
    execArgv: process.execArgv,
    env: { ...process.env, [ROLE]: 'writer', [NODES_VAR]: String(nodes) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ endpoint: string; cluster: string; pods: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m) => resolve(m as { endpoint: string; cluster: string; pods: number }));
  });
  return {
    child,
    ...ready,
    write: (minute) =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ minute });
      }),
  };
}

/** Trouble on top of the steady cluster, changing a little every minute. */
function trouble(s: SteadyCluster, nodes: number, minute: number, t: number): void {
  if (minute === 0) {
    for (const i of [3, 4]) s.setCondition(i, { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', since: t });
    s.setCondition(7, { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy', since: t });
    s.unscheduled = Array.from({ length: 20 }, (_, i) => ({
      ...s.appPod(i),
      uid: `pending-${i}`,
      name: `pending-${i}`,
      node: undefined,
      phase: 'Pending' as const,
      unschedulable: { reason: 'Unschedulable', message: `0/${nodes} nodes are available: ${nodes} Insufficient memory.` },
    }));
  }
  // Ten OOM kills a minute, somewhere in the cluster.
  for (let k = 0; k < 10; k++) {
    const node = (minute * 37 + k * 53) % nodes;
    s.updatePod(
      node,
      (p) => p.workload.kind === 'Deployment',
      (p) => ({
        ...p,
        containers: p.containers.map((c, i) =>
          i === 0 ? { ...c, restarts: c.restarts + 1, lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: t - 10_000 } } : c,
        ),
      }),
    );
  }
  s.events = Array.from({ length: 5 }, (_, k) => ({
    objectUid: `ev-${minute}-${k}`,
    objectKind: 'Pod',
    objectName: `web-${k}`,
    namespace: 'web',
    reason: 'FailedCreatePodSandBox',
    type: 'Warning' as const,
    message: 'Failed to create pod sandbox: plugin type="aws-cni" failed (add): add cmd: failed to assign an IP address to container',
    count: 1,
    firstSeen: t - 5000,
    lastSeen: t - 5000,
  }));
}

export async function bench(): Promise<BenchSection[]> {
  const out: BenchSection[] = [];
  for (const nodes of SIZES) out.push(await benchAt(nodes));
  return out;
}

async function benchAt(nodes: number): Promise<BenchSection> {
  const budget = CPU_BUDGET_MS[nodes];
  const writer = await startWriter(nodes);
  const client = new DynamoDBClient({ endpoint: writer.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const clock = new ManualClock(T0);
    const store = new VigilStore({ client, tableName: TABLE, clock });
    let published = 0;
    const publisher: AlertPublisher = { publish: async () => `m-${++published}` };
    const evaluator = createEvaluator({ store, publisher, clock, logger: silentLogger, rules: resolveRules(), emit: () => undefined });

    const runs: { ms: number; readUnits: number; writeUnits: number; result: ClusterEvaluation; heapMb: number }[] = [];
    for (let minute = 0; minute <= STEADY_RUNS; minute++) {
      await writer.write(minute);
      clock.set(T0 + minute * MINUTE_MS + 30_000);
      const before = store.capacity;
      const { ms, result } = await cpuMs(() => evaluator.evaluateCluster(writer.cluster));
      const after = store.capacity;
      runs.push({
        ms,
        result,
        readUnits: after.readUnits - before.readUnits,
        writeUnits: after.writeUnits - before.writeUnits,
        heapMb: process.memoryUsage().heapUsed / 1e6,
      });
    }
    const [cold, ...steady] = runs;
    const avg = (f: (r: (typeof runs)[number]) => number) => steady.reduce((a, r) => a + f(r), 0) / steady.length;
    const steadyMs = avg((r) => r.ms);
    const readUnits = avg((r) => r.readUnits);
    const writeUnits = avg((r) => r.writeUnits);
    const last = steady[steady.length - 1].result;
    const perMonth = (units: number, price: number) => (units * MINUTES_PER_MONTH * price) / 1e6;
    return {
      component: `evaluator, ${nodes} nodes`,
      setup: `${nodes} nodes, ${writer.pods.toLocaleString('en-US')} pods (5 of 6 app pods with placement constraints: node selector, tolerations of a tainted tenth of the nodes, zone spread, one per node, volume zone), 2 nodes under MemoryPressure, 1 NotReady, 20 Pending pods, 10 OOM kills and 5 Warning events a minute; one evaluation a minute on a warm instance; dynalite and the data writer in a child process, via the AWS SDK; CPU of the evaluating process only`,
      figures: [
        {
          name: `CPU time per evaluation, steady (mean of ${STEADY_RUNS} minutes)`,
          value: Math.round(steadyMs),
          unit: 'ms',
          ...(budget ? { budget: { max: budget } } : {}),
        },
        { name: 'CPU time per evaluation, slowest steady minute', value: Math.round(Math.max(...steady.map((r) => r.ms))), unit: 'ms' },
        { name: 'CPU time, first evaluation (cold caches, every alert created)', value: Math.round(cold.ms), unit: 'ms' },
        { name: 'read units per evaluation, steady', value: Math.round(readUnits), unit: 'RRU' },
        { name: 'write units per evaluation, steady', value: Math.round(writeUnits), unit: 'WRU' },
        { name: 'read units, first evaluation', value: Math.round(cold.readUnits), unit: 'RRU' },
        { name: 'findings per evaluation', value: last.findings, unit: 'findings' },
        { name: 'alerts firing (after inhibition) at the end', value: last.firing, unit: 'alerts' },
        { name: 'heap used after the last evaluation', value: Math.round(steady[steady.length - 1].heapMb), unit: 'MB' },
        {
          name: 'monthly DynamoDB reads of the evaluator, this cluster',
          value: round(perMonth(readUnits, PRICES.dynamodb.perMillionReadUnits)),
          unit: 'USD',
        },
        {
          name: 'monthly DynamoDB writes of the evaluator, this cluster',
          value: round(perMonth(writeUnits, PRICES.dynamodb.perMillionWriteUnits)),
          unit: 'USD',
        },
        {
          name: `monthly Lambda compute (${EVALUATOR_MEMORY_MB} MB arm64, CPU time only)`,
          value: round(lambdaComputeMonthly(steadyMs, 0, EVALUATOR_MEMORY_MB / 1024)),
          unit: 'USD',
        },
      ],
      notes: [
        "dynalite counts every read as strongly consistent (1 unit per 4 KB); the store's Queries are eventually consistent in DynamoDB, billed at half, so the read cost is an upper bound.",
        'read units cover: the rollups since the last evaluation, one minute of node-minutes, host parts of two minutes by key, the memory, trend and alert documents.',
        'the CPU figures vary by ±20% between runs on a shared machine; the slowest minute is shown without a budget for that reason.',
      ],
    };
  } finally {
    client.destroy();
    writer.child.disconnect();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

if (process.env[ROLE] === 'writer') void writerProcess(Number(process.env[NODES_VAR]));
