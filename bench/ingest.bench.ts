/**
 * The ingest endpoint on the reference cluster's batch (50 nodes, 1,500 pods): CPU time per batch and the
 * write units it costs. DynamoDB is dynalite through the real SDK, in a child process so the CPU measured
 * here is the handler's own (decode, validate, roll up, encode, SDK), not the database's.
 */
import { spawn } from 'child_process';
import { gzipSync } from 'zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
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

const NODES = 50;
const PODS_PER_NODE = 30;
const STEADY_MINUTES = 30;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);
export const BENCH_AGENT_ROLE = 'arn:aws:iam::123456789012:role/vigil-agent';
const BENCH_AGENT_SESSION = 'arn:aws:sts::123456789012:assumed-role/vigil-agent/eks-prod-eu-1-vigil-agent';

/** dynalite in its own process, on a free port. */
export async function dynaliteProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['-e', `const s = require(${JSON.stringify(require.resolve('dynalite'))})({ createTableMs: 0 }); s.listen(0, '127.0.0.1', () => console.log(s.address().port));`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

function event(batch: AgentBatch): LambdaFunctionURLEvent {
  return functionUrlEvent(gzipSync(Buffer.from(JSON.stringify(batch))), batch.collectedAt);
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
      authorizer: { iam: { accessKey: 'ASIABENCH', accountId: '123456789012', callerId: 'AROABENCH:agent', cognitoIdentity: null, principalOrgId: null, userArn: BENCH_AGENT_SESSION, userId: 'AROABENCH:agent' } },
    } as LambdaFunctionURLEvent['requestContext'],
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

export async function bench(): Promise<BenchSection> {
  const db = await dynaliteProcess();
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    await createTable(client, 'bench');
    const clock = new ManualClock(T0 + 25_000);
    const store = new VigilStore({ client, tableName: 'bench', clock });
    let cluster = syntheticCluster({ nodes: NODES, podsPerNode: PODS_PER_NODE });
    const handler = createIngestHandler({ store, clock, logger: silentLogger, writers: [{ roleArn: BENCH_AGENT_ROLE, cluster: cluster.cluster }] });
    const pods = cluster.reports.reduce((a, r) => a + r.pods.length, 0);

    const first = event(syntheticBatch(cluster, T0, 1));
    const compressed = Buffer.from(first.body!, 'base64').length;
    const json = Buffer.byteLength(JSON.stringify(syntheticBatch(cluster, T0, 1)));

    const run = async (e: LambdaFunctionURLEvent) => {
      const units = store.capacity.writeUnits;
      const wallStart = performance.now();
      const r = await cpuMs(() => handler(e));
      if (r.result.statusCode !== 200) throw new Error(`ingest answered ${r.result.statusCode}: ${r.result.body}`);
      return { cpu: r.ms, wall: performance.now() - wallStart, units: store.capacity.writeUnits - units };
    };
    const cold = await run(first);
    const steady: { cpu: number; wall: number; units: number }[] = [];
    for (let m = 1; m <= STEADY_MINUTES; m++) {
      const t = T0 + m * MINUTE_MS;
      cluster = replacePods(cluster, t, NODES / 10);
      clock.set(t + 25_000);
      steady.push(await run(event(syntheticBatch(cluster, t, m + 1))));
    }
    const validate = await cpuMs(() => {
      const d = decodeBody(first);
      if (!d.ok || !parseBatch(d.value).ok) throw new Error('bench batch does not validate');
    });
    const avg = (k: 'cpu' | 'wall' | 'units') => steady.reduce((a, s) => a + s[k], 0) / steady.length;
    const max = (k: 'cpu' | 'wall' | 'units') => Math.max(...steady.map((s) => s[k]));
    const lambdaMonthly = (MINUTES_PER_MONTH * PRICES.lambda.perMillionRequests) / 1e6 + lambdaComputeMonthly(avg('cpu'), Math.max(0, avg('wall') - avg('cpu')));
    return {
      component: 'ingest endpoint',
      setup: `one full batch a minute from a ${NODES}-node, ${pods}-pod cluster (${compressed.toLocaleString('en-US')} bytes gzip'd, ${json.toLocaleString('en-US')} bytes of JSON), base64 Function URL events, dynalite in a child process; ${STEADY_MINUTES} steady minutes with ${NODES / 10} pods replaced each minute`,
      figures: [
        { name: 'CPU per batch, steady (mean)', value: round(avg('cpu')), unit: 'ms', budget: { max: 300 } },
        { name: 'CPU per batch, steady (worst; GC pauses land here)', value: round(max('cpu')), unit: 'ms' },
        { name: 'CPU for the first batch of a cold instance (every pod spec written)', value: round(cold.cpu), unit: 'ms' },
        { name: 'of which decoding and validating the batch (warm)', value: round(validate.ms), unit: 'ms' },
        { name: 'write units per batch, steady (mean)', value: round(avg('units')), unit: 'WRU' },
        { name: 'write units, first batch', value: round(cold.units), unit: 'WRU' },
        { name: 'reply time on dynalite, steady (mean)', value: round(avg('wall')), unit: 'ms' },
        { name: 'monthly DynamoDB writes by ingest', value: round((avg('units') * MINUTES_PER_MONTH * PRICES.dynamodb.perMillionWriteUnits) / 1e6), unit: 'USD' },
        { name: `monthly Lambda cost of ingest (requests, and ${DEFAULT_MEMORY_GB * 1024} MB arm64 for the CPU time and the wait on dynalite)`, value: round(lambdaMonthly), unit: 'USD' },
      ],
      notes: [
        'CPU is this process\'s user + system time around the handler call: decoding, validation, the rollup, encoding and the SDK; the database runs in another process.',
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
