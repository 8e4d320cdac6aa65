/**
 * The ingest handler end to end: Function URL events in, dynalite (the real SDK over HTTP) underneath.
 */
import { randomBytes } from 'crypto';
import { gzipSync } from 'zlib';
import { DynamoDBClient, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { createLogger } from '../../../common/log';
import { createIngestHandler, kubeMinutesOf, type IngestDeps, type IngestHandler } from '../../../lambdas/ingest/ingest';
import { kubeRollupOf } from '../../../lambdas/ingest/rollup';
import type { VigilStore } from '../../../lambdas/store/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynalite';
import { BATCH_LIMITS, type AgentBatch } from '../../../model/batch';
import type { KubeEvent, Pod } from '../../../model/domain';
import type { KarpenterState } from '../../../model/karpenter';
import { MINUTE_MS } from '../../../model/time';
import type { IngestResponse } from '../../../model/wire';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';
import { failCalls, leaveUnprocessed } from '../../support/faults';
import { useTestStore } from '../../support/store';
import { AGENT_ROLE_ARN, batchEvent, rawEvent, writersFor } from './function-url-event';

const T = Date.UTC(2026, 10, 23, 12, 0, 5);
const M = Date.UTC(2026, 10, 23, 12, 0);
const cluster = syntheticCluster({ nodes: 6, podsPerNode: 10 });
const event: KubeEvent = {
  objectUid: '2f4b1c9e-8d7a-4e6b-9c3d-1a2b3c4d5e6f',
  objectKind: 'Pod',
  objectName: cluster.reports[1].pods[5].name,
  namespace: cluster.reports[1].pods[5].namespace,
  reason: 'OOMKilling',
  type: 'Warning',
  message: 'Memory cgroup out of memory: Killed process 4242 (java)',
  count: 3,
  firstSeen: T - 20 * MINUTE_MS,
  lastSeen: T - 10_000,
  node: cluster.reports[1].node.name,
};

function batch(over: Partial<AgentBatch> = {}): AgentBatch {
  return { ...syntheticBatch(cluster, T, 7), events: [event], ...over };
}

const t = useTestStore({ each: true });
let store: VigilStore;
let logs: Record<string, unknown>[];

beforeEach(() => {
  store = t.store();
  logs = [];
});

function handler(over: Partial<IngestDeps> = {}) {
  const logger = createLogger({ service: 'test', sink: (l) => logs.push(JSON.parse(l)) });
  return createIngestHandler({ store, clock: t.clock, logger, writers: writersFor(cluster.cluster), ...over });
}

async function call(
  h: ReturnType<typeof handler>,
  e: LambdaFunctionURLEvent,
  context?: Parameters<IngestHandler>[1],
): Promise<{ status: number; body: IngestResponse; headers: Record<string, unknown> }> {
  const r = await h(e, context);
  return { status: r.statusCode ?? 0, body: JSON.parse(r.body ?? '{}'), headers: (r.headers ?? {}) as Record<string, unknown> };
}

describe('a full batch', () => {
  test('is stored whole: node-minutes, rollup, events, heartbeat', async () => {
    const b = batch({
      scrapeErrors: [
        { node: cluster.reports[2].node.name, kind: 'timeout', message: 'GET https://10.0.0.6:10250/stats/summary: timeout after 5s' },
      ],
    });
    const res = await call(handler(), batchEvent(b));
    expect(res).toMatchObject({ status: 200, body: { ok: true }, headers: { 'content-type': 'application/json' } });
    expect(res.body.written).toBeGreaterThan(b.nodes.length);

    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    const byKey = (a: { node: { instanceId?: string } }, z: { node: { instanceId?: string } }) =>
      (a.node.instanceId ?? '').localeCompare(z.node.instanceId ?? '');
    expect(nodes.map((n) => n.kube!).sort(byKey)).toEqual(kubeMinutesOf(b).sort(byKey));
    expect(nodes.find((n) => n.kube?.node.name === cluster.reports[2].node.name)?.kube?.scrapeError).toEqual(b.scrapeErrors[0]);
    const [rollup] = await store.rollups(cluster.cluster, M, M);
    expect(rollup.kube).toEqual(kubeRollupOf(b));
    expect(await store.events(cluster.cluster, T - MINUTE_MS, T)).toEqual([event]);
    expect(await store.heartbeat(cluster.cluster)).toEqual({ cluster: cluster.cluster, lastSeen: b.sentAt, agent: b.agent });
    expect(logs.find((l) => l.message === 'batch stored')).toMatchObject({
      cluster: cluster.cluster,
      kind: 'full',
      seq: 7,
      nodes: 6,
      pods: 60,
      written: res.body.written,
      caller: 'arn:aws:sts::123456789012:assumed-role/vigil-agent/eks-prod-eu-1-vigil-agent-7d9f8-0f2c4b1e',
    });
  });

  test('delivered twice yields the same items', async () => {
    const h = handler();
    expect((await call(h, batchEvent(batch()))).status).toBe(200);
    const once = await t.scan();
    // A new Lambda instance (empty caches) gets the retry.
    store = t.store();
    expect((await call(handler(), batchEvent(batch()))).status).toBe(200);
    expect(await t.scan()).toEqual(once);
  });

  test('split into parts: each part writes its nodes and its own rollup part', async () => {
    const b = batch();
    const parts = [
      { ...b, part: { index: 0, count: 2 }, nodes: b.nodes.slice(0, 3) },
      { ...b, part: { index: 1, count: 2 }, nodes: b.nodes.slice(3), unscheduledPods: [], events: [] },
    ];
    for (const p of parts) expect((await call(handler(), batchEvent(p))).status).toBe(200);
    expect(await store.nodeMinutes(cluster.cluster, M, M)).toHaveLength(6);
    const [rollup] = await store.rollups(cluster.cluster, M, M);
    expect(rollup.kube?.nodes.map((n) => n.name)).toEqual(b.nodes.map((n) => n.node.name));
  });
});

describe('a change batch', () => {
  test("updates only its nodes, events and the heartbeat; the rollup stays the full batch's", async () => {
    expect((await call(handler(), batchEvent(batch()))).status).toBe(200);
    const rollupBefore = (await t.scan()).filter((i) => i.pk.S!.includes('#R#'));
    const changed = cluster.reports[3];
    const pods: Pod[] = changed.pods.map((p, i) => (i === 0 ? { ...p, phase: 'Failed', ready: false, reason: 'Evicted' } : p));
    const change = batch({
      kind: 'change',
      seq: 8,
      collectedAt: T + 20_000,
      sentAt: T + 20_100,
      nodes: [
        {
          ...changed,
          node: {
            ...changed.node,
            conditions: changed.node.conditions.map((c) => (c.type === 'MemoryPressure' ? { ...c, status: 'True' as const } : c)),
          },
          pods,
        },
      ],
      workloads: [],
      events: [{ ...event, count: 4, lastSeen: T + 19_000 }],
    });
    expect((await call(handler(), batchEvent(change))).status).toBe(200);
    expect((await t.scan()).filter((i) => i.pk.S!.includes('#R#'))).toEqual(rollupBefore);
    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    expect(nodes.find((n) => n.key === changed.node.instanceId)?.kube?.pods[0]).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(nodes.filter((n) => n.kube?.collectedAt === T + 20_000)).toHaveLength(1);
    expect((await store.heartbeat(cluster.cluster))?.lastSeen).toBe(T + 20_100);
    expect((await store.events(cluster.cluster, T - MINUTE_MS, T + MINUTE_MS))[0].count).toBe(4);
  });
});

describe('clocks in the cluster', () => {
  test('an event from 2099 is filed under today, kept for the retention, not until 2100', async () => {
    const future = Date.UTC(2099, 11, 31, 23, 0);
    expect((await call(handler(), batchEvent(batch({ events: [{ ...event, firstSeen: future, lastSeen: future }] })))).status).toBe(200);
    const items = (await t.scan()).filter((i) => i.pk.S!.includes('#E#'));
    expect(items.map((i) => i.pk.S)).toEqual([`${cluster.cluster}#E#2026-11-23`]);
    const now = t.clock.now();
    expect(Number(items[0].expiresAt.N) * 1000).toBeLessThanOrEqual(now + 5 * MINUTE_MS + 14 * 86_400_000);
    expect((await store.events(cluster.cluster, now - MINUTE_MS, now + 10 * MINUTE_MS))[0]).toMatchObject({
      lastSeen: now + 5 * MINUTE_MS,
      firstSeen: now + 5 * MINUTE_MS,
    });
  });
});

describe('batches out of order', () => {
  test('an older batch for the same minute arriving after a newer one leaves the newer state', async () => {
    const node = cluster.reports[3];
    const evicted: Pod[] = node.pods.map((p, i) => (i === 0 ? { ...p, phase: 'Failed', ready: false, reason: 'Evicted' } : p));
    const change = batch({
      kind: 'change',
      seq: 8,
      collectedAt: T + 20_000,
      sentAt: T + 20_100,
      nodes: [{ ...node, pods: evicted }],
      workloads: [],
      events: [],
    });
    expect((await call(handler(), batchEvent(change))).status).toBe(200);
    // The full batch collected before it lands late (a slow invocation finishing after the agent's retry).
    const res = await call(handler(), batchEvent(batch()));
    expect(res.status).toBe(200);
    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    const changed = nodes.find((n) => n.key === node.node.instanceId)?.kube;
    expect(changed?.collectedAt).toBe(T + 20_000);
    expect(changed?.pods[0]).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    // The other nodes had nothing newer: the full batch wrote them.
    expect(nodes.filter((n) => n.kube?.collectedAt === T)).toHaveLength(5);
    // Skipped: that node's part, and the heartbeat (it never goes back in time either).
    expect(logs.filter((l) => l.message === 'batch stored').pop()).toMatchObject({ seq: 7, skipped: 2 });
  });
});

describe('who may write what', () => {
  const other = syntheticCluster({ nodes: 2, podsPerNode: 3, cluster: 'staging' });
  const writers = [
    ...writersFor(cluster.cluster),
    { roleArn: 'arn:aws:iam::123456789012:role/vigil/vigil-agent-staging', cluster: 'staging' },
  ];

  test.each([
    [
      'an EKS Pod Identity session',
      'arn:aws:sts::123456789012:assumed-role/vigil-agent/eks-prod-eu-1-vigil-agent-6d4f9b7c8-x2x7q-0c1f7c21',
    ],
    ['an IRSA session', 'arn:aws:sts::123456789012:assumed-role/vigil-agent/aws-sdk-js-1764851234567'],
  ])("the cluster's agent role writes its cluster from %s", async (_what, caller) => {
    expect((await call(handler(), batchEvent(batch(), { caller }))).status).toBe(200);
    expect(await store.nodeMinutes(cluster.cluster, M, M)).toHaveLength(6);
  });

  test("one cluster's agent role cannot write another cluster: 403 naming both, nothing stored", async () => {
    const forged = batch({ cluster: 'staging', nodes: syntheticBatch(other, T, 1).nodes });
    const res = await call(handler({ writers }), batchEvent(forged));
    expect(res).toMatchObject({
      status: 403,
      body: {
        ok: false,
        problems: ['cluster: this agent role writes cluster "prod-eu-1" only, not "staging"; check the agent\'s VIGIL_CLUSTER'],
      },
    });
    expect(await t.scan()).toEqual([]);
    // The staging role (whose ARN has a path, which session ARNs leave out) writes staging.
    const staging = 'arn:aws:sts::123456789012:assumed-role/vigil-agent-staging/eks-staging-vigil-agent-1';
    expect((await call(handler({ writers }), batchEvent(syntheticBatch(other, T, 1), { caller: staging }))).status).toBe(200);
  });

  test.each([
    ['another role of the account', 'arn:aws:sts::123456789012:assumed-role/vigil-agent-old/s1'],
    ['the same role name in another account', 'arn:aws:sts::210987654321:assumed-role/vigil-agent/s1'],
    ['an IAM user', 'arn:aws:iam::123456789012:user/vigil-agent'],
    ['the role ARN itself, which no signed request carries', AGENT_ROLE_ARN],
  ])('%s is refused with 403 before the body is read', async (_what, caller) => {
    // A body that is not even base64: a 403 proves it was never decoded.
    const res = await call(handler(), { ...batchEvent(batch(), { caller }), body: '!!! not base64 !!!' });
    expect(res.status).toBe(403);
    expect(res.body.problems).toEqual([
      `${caller} is not one of this stack's agent roles: only the role created for a cluster's agent may push its batches`,
    ]);
    expect(await t.scan()).toEqual([]);
    expect(logs.find((l) => l.message === 'batch refused')).toMatchObject({ status: 403, caller });
  });

  test('a request without an IAM caller is refused', async () => {
    const res = await call(handler(), batchEvent(batch(), { caller: null }));
    expect(res).toMatchObject({
      status: 403,
      body: { problems: ['the request carries no IAM caller: the Function URL must use AWS_IAM auth'] },
    });
  });

  test('a role listed for two clusters is a configuration error', () => {
    expect(() => handler({ writers: [...writersFor('a'), ...writersFor('b')] })).toThrow(
      /listed for clusters "a" and "b": one role writes one cluster/,
    );
  });
});

describe('bad input: a clear 4xx, and nothing already stored changes', () => {
  const good = () => batch();
  const withoutConditions = () => {
    const b = JSON.parse(JSON.stringify(good()));
    delete b.nodes[0].node.conditions;
    delete b.agent;
    return b;
  };
  const bomb = () => rawEvent(gzipSync(Buffer.alloc(70 * 1024 * 1024, 0x20)));
  const withRequests = (memoryBytes: number) => {
    const b = JSON.parse(JSON.stringify(good()));
    b.nodes[0].pods[0].containers[0].requests.memoryBytes = memoryBytes;
    b.nodes[0].pods[1].containers[0].requests.memoryBytes = memoryBytes;
    return b;
  };
  const cases: [string, () => LambdaFunctionURLEvent, number, string][] = [
    ['malformed base64', () => ({ ...batchEvent(good()), body: 'H4sIAAAA!!!AAAA' }), 400, 'body is not valid base64'],
    ['malformed gzip', () => rawEvent(randomBytes(300)), 400, 'body is not valid gzip'],
    ['gzip of something that is not JSON', () => rawEvent(gzipSync('<html>nope</html>')), 400, 'body is not valid JSON'],
    ['a newer schema version', () => batchEvent({ ...good(), v: 2 }), 400, 'v: unsupported batch schema version 2 (this ingest accepts 1)'],
    [
      'missing fields',
      () => batchEvent(withoutConditions()),
      400,
      'nodes[0].node.conditions: Invalid input: expected array, received undefined',
    ],
    ['an oversized body (4 MiB compressed)', () => rawEvent(randomBytes(4 * 1024 * 1024 + 10)), 413, 'over the 4194304-byte limit'],
    ['a gzip bomb (70 MiB inflated)', bomb, 413, `decompressed body is over the ${BATCH_LIMITS.maxJsonBytes}-byte limit`],
    ['an unknown encoding', () => rawEvent(Buffer.from('x'), { encoding: 'br' }), 415, 'content-encoding "br" is not supported'],
    ['a GET', () => batchEvent(good(), { method: 'GET' }), 405, 'method GET is not allowed'],
    [
      'a batch from the future',
      () => batchEvent({ ...good(), collectedAt: T + 3_600_000, sentAt: undefined }),
      400,
      'collectedAt: 2026-11-23T13:00:05.000Z is 3575 s ahead',
    ],
    [
      'a batch older than the retention',
      () => batchEvent({ ...good(), collectedAt: T - 15 * 86_400_000, sentAt: undefined }),
      400,
      'older than the 14-day retention',
    ],
    [
      'quantities no node can have',
      () => batchEvent(withRequests(1e308)),
      400,
      'nodes[0].pods[0].containers[0].requests.memoryBytes: at most 1125899906842624 bytes (1 PiB): no node has more',
    ],
    [
      'a name over 253 bytes of UTF-8 (though not 253 characters)',
      () => batchEvent({ ...good(), events: [{ ...event, reason: 'é'.repeat(200) }] }),
      400,
      'events[0].reason: at most 253 bytes of UTF-8',
    ],
    [
      'the same node twice',
      () => batchEvent({ ...good(), nodes: [...good().nodes, good().nodes[2]] }),
      400,
      `nodes[6].node.name: "${cluster.reports[2].node.name}" is also reported by nodes[2]`,
    ],
  ];

  test.each(cases)('%s', async (_what, make, status, problem) => {
    expect((await call(handler(), batchEvent(batch({ collectedAt: T - MINUTE_MS, sentAt: T - MINUTE_MS + 100 })))).status).toBe(200);
    const before = await t.scan();
    const res = await call(handler(), make());
    expect(res.status).toBe(status);
    expect(res.body.ok).toBe(false);
    expect(res.body.problems?.join('\n')).toContain(problem);
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+/);
    if (status === 405) expect(res.headers.allow).toBe('POST');
    expect(await t.scan()).toEqual(before);
    expect(logs.find((l) => l.message === 'batch refused')).toMatchObject({ status });
  });

  test('however many problems, the answer lists 50 and counts the rest', async () => {
    const node = { ...good().nodes[0], pods: [] };
    const res = await call(handler(), batchEvent({ ...good(), nodes: Array.from({ length: 2500 }, () => node) }));
    expect(res.status).toBe(400);
    expect(res.body.problems).toHaveLength(51);
    expect(res.body.problems?.at(-1)).toBe('… and 4948 more problems');
  });

  test('problems are listed one per field', async () => {
    const b = JSON.parse(JSON.stringify(good()));
    b.nodes[1].pods[0].containers[0].restarts = 'three';
    b.nodes[2].stats.cpuMilli = -5;
    const res = await call(handler(), batchEvent(b));
    expect(res.body.problems).toEqual([
      'nodes[1].pods[0].containers[0].restarts: Invalid input: expected number, received string',
      'nodes[2].stats.cpuMilli: Too small: expected number to be >=0',
    ]);
  });
});

describe('the table refuses or loses writes', () => {
  test('UnprocessedItems handed back for good: 503 (resend), and the resend stores everything', async () => {
    const client = new DynamoDBClient({
      endpoint: t.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client, retry: { attempts: 3 } });
    const fault = leaveUnprocessed(client, 1000, 1);
    const res = await call(handler(), batchEvent(batch()));
    expect(res.status).toBe(503);
    expect(res.body.problems?.[0]).toMatch(/^\d+ items were not stored \(the table is throttled or unavailable\); resend the batch$/);
    expect(fault.handedBack()).toBeGreaterThan(0);
    fault.remove();
    expect((await call(handler(), batchEvent(batch()))).status).toBe(200);
    const retried = await t.scan();
    // The same as a clean single delivery.
    const clean = await t.fresh();
    store = clean.store();
    await call(handler(), batchEvent(batch()));
    const strip = (items: typeof retried) => items.map((i) => ({ ...i, pk: i.pk.S, sk: i.sk.S }));
    expect(strip(retried)).toEqual(strip(await clean.scan()));
    client.destroy();
  });

  test('UnprocessedItems that clear after a retry are invisible to the agent', async () => {
    const client = new DynamoDBClient({
      endpoint: t.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client });
    const fault = leaveUnprocessed(client, 2, 5);
    expect((await call(handler(), batchEvent(batch()))).status).toBe(200);
    expect(fault.handedBack()).toBeGreaterThan(0);
    expect(await store.nodeMinutes(cluster.cluster, M, M)).toHaveLength(6);
    client.destroy();
  });

  test('a node too large to ever store: 422, and nothing of the batch is written, so the agent drops it whole', async () => {
    const n = cluster.reports[0];
    const label = () => randomBytes(40).toString('base64url').slice(0, 63);
    const pods: Pod[] = Array.from({ length: 250 }, (_, i) => ({
      ...n.pods[i % n.pods.length],
      uid: `${String(i).padStart(8, '0')}-1111-4222-8333-444455556666`,
      name: `bulky-${i}`,
      labels: Object.fromEntries(Array.from({ length: 60 }, (_, j) => [`example.com/key-${j}`, label()])),
    }));
    const res = await call(handler(), batchEvent(batch({ nodes: [{ ...n, pods }, ...batch().nodes.slice(1)] })));
    expect(res.status).toBe(422);
    expect(res.body.problems?.[0]).toContain('cannot be stored as they are; do not resend this batch');
    expect(res.body.problems?.[1]).toContain("over DynamoDB's 400 KB item limit");
    expect(await t.scan()).toEqual([]);
  });

  test('DynamoDB refusing an item as invalid (ValidationException) is permanent: 422, not "throttled, resend" forever', async () => {
    const client = new DynamoDBClient({
      endpoint: t.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client });
    const invalid = () =>
      Object.assign(
        new Error('One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes'),
        { name: 'ValidationException', $metadata: { httpStatusCode: 400 } },
      );
    failCalls(client, 'PutItemCommand', 1, invalid, {
      match: (input) => (input as PutItemCommandInput).Item?.pk?.S?.includes('#E#') === true,
    });
    const res = await call(handler(), batchEvent(batch()));
    expect(res.status).toBe(422);
    expect(res.body.problems?.join('\n')).toContain('ValidationException: One or more parameter values were invalid');
    client.destroy();
  });

  test("sustained throttling: retries stop before the function's timeout, and the answer is a 503 with what was stored", async () => {
    const client = new DynamoDBClient({
      endpoint: t.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    // Waits overlap as real ones would: each wakes at its own time on the shared clock.
    const sleep = async (ms: number) => {
      const wake = t.clock.now() + ms;
      await Promise.resolve();
      if (t.clock.now() < wake) t.clock.set(wake);
    };
    store = t.store({ client, retry: { attempts: 100, baseMs: 500, capMs: 2000, sleep } });
    const throttled = () =>
      Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
    failCalls(client, 'PutItemCommand', 1_000_000, throttled, {
      match: (input) => (input as PutItemCommandInput).Item?.sk?.S?.endsWith('#K') === true,
    });
    const started = t.clock.now();
    const res = await call(handler(), batchEvent(batch()), { getRemainingTimeInMillis: () => 30_000 });
    expect(t.clock.now() - started).toBeLessThan(30_000);
    expect(res.status).toBe(503);
    expect(res.body.written).toBeGreaterThan(0);
    expect(res.body.problems?.join('\n')).toContain("no time left for another try before the function's deadline");
    expect(logs.find((l) => l.message === 'batch not fully stored')).toMatchObject({ status: 503, failed: 6 });
    client.destroy();
  });

  test('an unexpected error is a 500 with a fixed text for the agent, and logged with its stack for the operator', async () => {
    const client = new DynamoDBClient({
      endpoint: t.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client });
    jest.spyOn(store, 'putKubeBatch').mockRejectedValue(new TypeError('Cannot read properties of undefined'));
    const res = await call(handler(), batchEvent(batch()));
    expect(res).toEqual({
      status: 500,
      headers: { 'content-type': 'application/json' },
      body: { ok: false, problems: ['internal error: the batch was not stored; resend it'] },
    });
    expect(logs.find((l) => l.message === 'ingest failed')).toMatchObject({
      level: 'error',
      error: { name: 'TypeError', message: 'Cannot read properties of undefined', stack: expect.stringContaining('ingest.test.ts:') },
    });
    expect(JSON.stringify(res)).not.toContain('.ts:');
    client.destroy();
  });

  test('a heartbeat write refused by the table is reported, not hidden', async () => {
    const client = new DynamoDBClient({
      endpoint: t.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client, retry: { attempts: 2 } });
    failCalls(
      client,
      'PutItemCommand',
      10,
      () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      {
        match: (input) => (input as PutItemCommandInput).Item?.sk?.S === 'heartbeat',
      },
    );
    const res = await call(handler(), batchEvent(batch()));
    expect(res.status).toBe(503);
    expect(res.body.problems?.join('\n')).toContain('heartbeat');
    client.destroy();
  });
});

describe("Karpenter's NodePools and NodeClaims", () => {
  const karpenter: KarpenterState = {
    nodePools: [
      {
        name: 'general',
        nodeClass: { group: 'eks.amazonaws.com', kind: 'NodeClass', name: 'default' },
        limits: { cpuMilli: 64_000, nodes: 10 },
        resources: { cpuMilli: 6000, nodes: 3 },
        budgets: [{ nodes: '0', reasons: ['Drifted'], schedule: '0 9 * * mon-fri', duration: '8h' }],
        conditions: [{ type: 'Ready', status: 'True', since: T - 86_400_000 }],
      },
    ],
    nodeClaims: [
      {
        name: 'general-q8w7e',
        nodePool: 'general',
        instanceType: 'm6i.large',
        capacityType: 'spot',
        createdAt: T - 60_000,
        conditions: [{ type: 'Launched', status: 'False', reason: 'LaunchFailed', message: 'no subnets found', since: T - 50_000 }],
      },
    ],
  };

  test("are stored with the minute's rollup, which the evaluator reads each minute", async () => {
    expect((await call(handler(), batchEvent(batch({ karpenter })))).status).toBe(200);
    const [rollup] = await store.rollups(cluster.cluster, M, M);
    expect(rollup.kube?.karpenter).toEqual(karpenter);
  });

  test('are optional: a batch without them (an older agent, or no Karpenter) is stored as before', async () => {
    expect((await call(handler(), batchEvent(batch()))).status).toBe(200);
    const [rollup] = await store.rollups(cluster.cluster, M, M);
    expect(rollup.kube).toBeDefined();
    expect(rollup.kube?.karpenter).toBeUndefined();
  });

  test('a malformed NodeClaim is refused with its path named, and nothing is stored', async () => {
    const bad = { ...karpenter, nodeClaims: [{ ...karpenter.nodeClaims[0], conditions: [{ type: 'Launched', status: 'Maybe' }] }] };
    const res = await call(handler(), batchEvent({ ...batch(), karpenter: bad }));
    expect(res.status).toBe(400);
    expect(res.body.problems?.join('\n')).toMatch(/^karpenter\.nodeClaims\[0\]\.conditions\[0\]\.status: /m);
    expect(await store.rollups(cluster.cluster, M, M)).toEqual([]);
  });
});
