/**
 * The ingest endpoint on the reference cluster's batch (50 nodes, 1,500 pods) and on the largest cluster the
 * agent is sized for (1,000 nodes, 30,000 pods), each minute's batch split into parts by the agent's own
 * encoder as it sends them: CPU time per part and the write units it costs. DynamoDB is dynalite through the
 * real SDK, in a child process so the CPU measured here is the handler's own (decode, validate, roll up,
 * encode, SDK), not the database's.
 */
import { spawn } from 'child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { encodeBatches } from '../agent/push/batches';
import { silentLogger } from '../common/log';
import { decodeBody } from '../lambdas/ingest/decode';
import { createIngestHandler } from '../lambdas/ingest/ingest';
import { createTable } from '../lambdas/store/table';
import { VigilStore } from '../lambdas/store/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynalite';
import { parseBatch, type AgentBatch } from '../model/batch';
import { ManualClock, MINUTE_MS } from '../model/time';
import { replacePods, syntheticBatch, syntheticCluster } from '../sim/synthetic';
import { DEFAULT_MEMORY_GB, lambdaComputeMonthly } from './lambda-cost';
import { MINUTES_PER_MONTH, PRICES } from './prices';
import { cpuMs, type BenchSection } from './report';

/** The reference cluster (the cost model's), and the largest the agent is sized for. */
const SIZES = [
  { nodes: 50, steadyMinutes: 30 },
  { nodes: 1000, steadyMinutes: 8 },
] as const;
const PODS_PER_NODE = 30;
/** Ingest's CPU budget for one request: a whole batch, or one part of a split one. */
const CPU_BUDGET_MS = 300;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);
export const BENCH_AGENT_ROLE = 'arn:aws:iam::123456789012:role/vigil-agent';
const BENCH_AGENT_SESSION = 'arn:aws:sts::123456789012:assumed-role/vigil-agent/eks-prod-eu-1-vigil-agent';

/** dynalite in its own process, on a free port. */
export async function dynaliteProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require(${JSON.stringify(require.resolve('dynalite'))})({ createTableMs: 0 }); s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** The minute's batch as the agent sends it: one body, or parts split by nodes. */
async function events(batch: AgentBatch): Promise<LambdaFunctionURLEvent[]> {
  const { v: _v, sentAt, part: _part, ...content } = batch;
  const { batches } = await encodeBatches(content, { sentAt: sentAt ?? batch.collectedAt });
  return batches.map((b) => functionUrlEvent(b.body, batch.collectedAt));
}

/** A gzip'd body as a Function URL hands it to ingest, signed by the agent role of the bench cluster. */
export function functionUrlEvent(body: Buffer, timeEpoch: number): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'bench',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'vigil-agent' },
      requestId: 'bench',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch,
      authorizer: {
        iam: {
          accessKey: 'ASIABENCH',
          accountId: '123456789012',
          callerId: 'AROABENCH:agent',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: BENCH_AGENT_SESSION,
          userId: 'AROABENCH:agent',
        },
      },
    } as LambdaFunctionURLEvent['requestContext'],
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

export async function bench(): Promise<BenchSection[]> {
  const out: BenchSection[] = [];
  for (const size of SIZES) out.push(await benchAt(size.nodes, size.steadyMinutes));
  return out;
}

interface Request {
  readonly cpu: number;
  readonly wall: number;
  readonly units: number;
}

async function benchAt(nodes: number, steadyMinutes: number): Promise<BenchSection> {
  const db = await dynaliteProcess();
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    await createTable(client, 'bench');
    const clock = new ManualClock(T0 + 25_000);
    const store = new VigilStore({ client, tableName: 'bench', clock });
    let cluster = syntheticCluster({ nodes, podsPerNode: PODS_PER_NODE });
    const handler = createIngestHandler({
      store,
      clock,
      logger: silentLogger,
      writers: [{ roleArn: BENCH_AGENT_ROLE, cluster: cluster.cluster }],
    });
    const pods = cluster.reports.reduce((a, r) => a + r.pods.length, 0);

    const firstBatch = syntheticBatch(cluster, T0, 1);
    const first = await events(firstBatch);
    const compressed = first.reduce((a, e) => a + Buffer.from(e.body!, 'base64').length, 0);
    const json = Buffer.byteLength(JSON.stringify(firstBatch));

    const send = async (e: LambdaFunctionURLEvent): Promise<Request> => {
      const units = store.capacity.writeUnits;
      const wallStart = performance.now();
      const r = await cpuMs(() => handler(e));
      if (r.result.statusCode !== 200) throw new Error(`ingest answered ${r.result.statusCode}: ${r.result.body}`);
      return { cpu: r.ms, wall: performance.now() - wallStart, units: store.capacity.writeUnits - units };
    };
    const sendAll = async (es: readonly LambdaFunctionURLEvent[]): Promise<Request[]> => {
      const out: Request[] = [];
      for (const e of es) out.push(await send(e));
      return out;
    };
    const cold = await sendAll(first);
    const steady: Request[][] = [];
    for (let m = 1; m <= steadyMinutes; m++) {
      const t = T0 + m * MINUTE_MS;
      cluster = replacePods(cluster, t, nodes / 10);
      clock.set(t + 25_000);
      steady.push(await sendAll(await events(syntheticBatch(cluster, t, m + 1))));
    }
    const validate = await cpuMs(() => {
      const d = decodeBody(first[0]);
      if (!d.ok || !parseBatch(d.value).ok) throw new Error('bench batch does not validate');
    });
    const parts = steady.flat();
    const avg = (k: keyof Request) => parts.reduce((a, s) => a + s[k], 0) / parts.length;
    const max = (k: keyof Request) => Math.max(...parts.map((s) => s[k]));
    const perMinute = (k: keyof Request) => steady.reduce((a, minute) => a + minute.reduce((b, s) => b + s[k], 0), 0) / steady.length;
    const sum = (rs: readonly Request[], k: keyof Request) => rs.reduce((a, s) => a + s[k], 0);
    const split = first.length > 1;
    const per = split ? 'part' : 'batch';
    const lambdaMonthly =
      (MINUTES_PER_MONTH * first.length * PRICES.lambda.perMillionRequests) / 1e6 +
      first.length * lambdaComputeMonthly(avg('cpu'), Math.max(0, avg('wall') - avg('cpu')));
    return {
      component: split ? `ingest endpoint, ${nodes} nodes` : 'ingest endpoint',
      setup: `one full batch a minute from a ${nodes}-node, ${pods.toLocaleString('en-US')}-pod cluster (${json.toLocaleString('en-US')} bytes of JSON; ${split ? `sent by the agent's encoder as ${first.length} parts, ` : ''}${compressed.toLocaleString('en-US')} bytes gzip'd), base64 Function URL events, dynalite in a child process; ${steadyMinutes} steady minutes with ${nodes / 10} pods replaced each minute`,
      figures: [
        ...(split ? [{ name: 'parts per batch', value: first.length, unit: 'parts' }] : []),
        { name: `CPU per ${per}, steady (mean)`, value: round(avg('cpu')), unit: 'ms', budget: { max: CPU_BUDGET_MS } },
        { name: `CPU per ${per}, steady (worst; GC pauses land here)`, value: round(max('cpu')), unit: 'ms' },
        ...(split ? [{ name: 'CPU per minute, all parts, steady (mean)', value: round(perMinute('cpu')), unit: 'ms' }] : []),
        { name: 'CPU for the first batch of a cold instance (every pod spec written)', value: round(sum(cold, 'cpu')), unit: 'ms' },
        {
          name: `of which decoding and validating ${split ? 'its first part' : 'the batch'} (warm)`,
          value: round(validate.ms),
          unit: 'ms',
        },
        { name: 'write units per batch, steady (mean)', value: round(perMinute('units')), unit: 'WRU' },
        { name: 'write units, first batch', value: round(sum(cold, 'units')), unit: 'WRU' },
        { name: `reply time on dynalite per ${per}, steady (mean)`, value: round(avg('wall')), unit: 'ms' },
        {
          name: 'monthly DynamoDB writes by ingest',
          value: round((perMinute('units') * MINUTES_PER_MONTH * PRICES.dynamodb.perMillionWriteUnits) / 1e6),
          unit: 'USD',
        },
        {
          name: `monthly Lambda cost of ingest (requests, and ${DEFAULT_MEMORY_GB * 1024} MB arm64 for the CPU time and the wait on dynalite)`,
          value: round(lambdaMonthly),
          unit: 'USD',
        },
      ],
      notes: [
        "CPU is this process's user + system time around the handler call: decoding, validation, the rollup, encoding and the SDK; the database runs in another process. Splitting into parts (the agent's work) is not counted.",
        'Reply time is against dynalite on this machine; DynamoDB answers a BatchWriteItem in single-digit milliseconds in-region.',
        'A cold Lambda instance adds its init (module load) before the first batch; it is not measured here.',
      ],
    };
  } finally {
    client.destroy();
    db.stop();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
