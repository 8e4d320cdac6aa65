import fc from 'fast-check';
import { gunzipSync } from 'zlib';
import { encodeBatches, groupByWeight, type BatchContent, type EncodedBatch } from '../../../agent/push/batches';
import { BATCH_LIMITS, parseBatch, type AgentBatch } from '../../../model/batch';
import type { KubeEvent } from '../../../model/domain';
import { checkJsonShape } from '../../../model/json-shape';
import { syntheticAgentStatus, syntheticCluster } from '../../../sim/synthetic';

const T = Date.UTC(2026, 10, 23, 12, 0, 20);

// Counts the agent's gzip calls: a part is encoded once (gzip is most of a large cycle's CPU).
const mockGzip = { calls: 0 };
jest.mock('zlib', () => {
  const zlib = jest.requireActual<typeof import('zlib')>('zlib');
  return { ...zlib, gzip: (...args: Parameters<typeof zlib.gzip>) => (mockGzip.calls++, zlib.gzip(...args)) };
});

function content(nodes: number, extra: Partial<BatchContent> = {}): BatchContent {
  const c = syntheticCluster({ nodes, podsPerNode: 20, now: T });
  return {
    cluster: c.cluster,
    kind: 'full',
    seq: 7,
    collectedAt: T,
    agent: syntheticAgentStatus(T),
    nodes: c.reports,
    unscheduledPods: [],
    workloads: c.workloads,
    events: [],
    controlPlane: { apiCalls: 3, apiErrors: 0, apiThrottled: 0 },
    scrapeErrors: [{ node: c.reports[nodes - 1].node.name, kind: 'timeout', message: 'no summary within 10000 ms' }],
    ...extra,
  };
}

function decode(b: EncodedBatch): AgentBatch {
  const r = parseBatch(JSON.parse(gunzipSync(b.body).toString()));
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.batch;
}

describe('encodeBatches', () => {
  it("makes one valid gzip'd batch when it fits", async () => {
    const c = content(3);
    const { batches } = await encodeBatches(c, { sentAt: T + 100 });
    expect(batches).toHaveLength(1);
    const b = decode(batches[0]);
    expect(b).toEqual({ v: 1, ...c, sentAt: T + 100 });
    expect(batches[0].rawBytes).toBe(Buffer.byteLength(JSON.stringify(b)));
    expect(batches[0].part).toBeUndefined();
  });

  it('splits by nodes into parts under the limit; cluster-wide lists ride in part 0, scrape errors with their node', async () => {
    const c = content(12, {
      events: [
        {
          objectUid: 'u',
          objectKind: 'Pod',
          objectName: 'p',
          namespace: 'web',
          reason: 'BackOff',
          type: 'Warning',
          message: 'Back-off',
          count: 3,
          firstSeen: T - 60_000,
          lastSeen: T,
        },
      ],
    });
    const limit = 12_000;
    const { batches } = await encodeBatches(c, { sentAt: T, maxCompressedBytes: limit });
    expect(batches.length).toBeGreaterThan(2);
    const decoded = batches.map(decode);
    for (const b of batches) expect(b.body.length).toBeLessThanOrEqual(limit);
    expect(decoded.map((b) => b.part)).toEqual(decoded.map((_, index) => ({ index, count: batches.length })));
    expect(decoded.flatMap((b) => b.nodes.map((n) => n.node.name))).toEqual(c.nodes.map((n) => n.node.name));
    expect(decoded[0].workloads).toEqual(c.workloads);
    expect(decoded[0].events).toEqual(c.events);
    expect(decoded[0].controlPlane).toEqual(c.controlPlane);
    for (const b of decoded.slice(1)) expect([b.workloads, b.events, b.unscheduledPods, b.controlPlane]).toEqual([[], [], [], undefined]);
    const withError = decoded.find((b) => b.scrapeErrors.length);
    expect(withError?.nodes.map((n) => n.node.name)).toContain(c.scrapeErrors[0].node);
    expect(new Set(decoded.map((b) => b.seq))).toEqual(new Set([7]));
  });

  it('splits a batch that compresses so well that its JSON would exceed what ingest inflates', async () => {
    const c = content(12);
    const whole = await encodeBatches(c, { sentAt: T });
    expect(whole.batches).toHaveLength(1);
    const jsonLimit = Math.floor(whole.batches[0].rawBytes / 3);
    const { batches } = await encodeBatches(c, { sentAt: T, maxJsonBytes: jsonLimit });
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const b of batches) expect(b.rawBytes).toBeLessThanOrEqual(jsonLimit);
    expect(batches.map(decode).flatMap((b) => b.nodes.map((n) => n.node.name))).toEqual(c.nodes.map((n) => n.node.name));
  });

  it('splits a batch of many small values, which JSON.parse pays for per value, under the value count ingest accepts', async () => {
    const c = content(30);
    const labels = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`l${i}`, 'x']));
    const nodes = c.nodes.map((n) => ({
      ...n,
      pods: Array.from({ length: 300 }, (_, i) => ({ ...n.pods[0], uid: `${n.node.name}-${i}`, name: `p${i}`, labels })),
    }));
    const { batches } = await encodeBatches({ ...c, nodes }, { sentAt: T });
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) {
      const json = gunzipSync(b.body);
      expect(json.length).toBeLessThan(BATCH_LIMITS.maxJsonBytes);
      expect(checkJsonShape(json, BATCH_LIMITS)).toMatchObject({ ok: true });
    }
  });

  it("keeps every batch within the schema's limits, whatever it is given (the newest events kept)", async () => {
    const events: KubeEvent[] = Array.from({ length: BATCH_LIMITS.maxEvents + 5 }, (_, i) => ({
      objectUid: `u${i}`,
      objectKind: 'Pod',
      objectName: `p${i}`,
      reason: 'BackOff',
      type: 'Warning',
      message: '',
      count: 1,
      firstSeen: T - i * 1000,
      lastSeen: T - i * 1000,
    }));
    const c = content(1);
    const crowded = {
      ...c.nodes[0],
      pods: Array.from({ length: BATCH_LIMITS.maxPodsPerNode + 3 }, (_, i) => ({
        ...c.nodes[0].pods[0],
        uid: `uid-${i}`,
        name: `pod-${i}`,
      })),
    };
    const { batches, clipped } = await encodeBatches({ ...c, events, nodes: [crowded] }, { sentAt: T });
    const b = decode(batches[0]);
    expect(b.events).toHaveLength(BATCH_LIMITS.maxEvents);
    expect(b.events.at(-1)?.objectUid).toBe(`u${BATCH_LIMITS.maxEvents - 1}`);
    expect(b.nodes[0].pods).toHaveLength(BATCH_LIMITS.maxPodsPerNode);
    expect(clipped).toMatchObject({ events: 5, pods: 3 });
  });

  it('splits any cluster under any limit without losing or reordering a node', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 6_000, max: 60_000 }), async (nodes, limit) => {
        const c = content(nodes);
        const { batches } = await encodeBatches(c, { sentAt: T, maxCompressedBytes: limit });
        const decoded = batches.map(decode);
        expect(decoded.flatMap((b) => b.nodes.map((n) => n.node.name))).toEqual(c.nodes.map((n) => n.node.name));
        for (const b of batches) if (b.nodes > 1) expect(b.body.length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 15 },
    );
  });

  it('plans parts from weights measured on the objects: as few as fit, each within the limits at the first encoding', async () => {
    const c = content(24);
    const whole = await encodeBatches(c, { sentAt: T });
    const jsonLimit = Math.floor(whole.batches[0].rawBytes / 4);
    mockGzip.calls = 0;
    const { batches } = await encodeBatches(c, { sentAt: T, maxJsonBytes: jsonLimit });
    // A quarter of the JSON per part, planned at 90 % of it: five parts, each gzip'd once.
    expect(batches).toHaveLength(5);
    expect(mockGzip.calls).toBe(5);
    for (const b of batches) expect(b.rawBytes).toBeLessThanOrEqual(jsonLimit);
    expect(batches.map((b) => b.nodes).reduce((a, n) => a + n, 0)).toBe(24);
  });
});

describe('groupByWeight', () => {
  const w = (bytes: number, values = 1, containers = 1) => ({ bytes, values, containers });
  it('fills each part up to the room, the first part carrying its heavier frame, a node too heavy alone in its own', () => {
    const room = w(100, 50, 50);
    expect(groupByWeight([w(30), w(30), w(30), w(30), w(150), w(10)], w(40), w(10), room, 10)).toEqual([2, 2, 1, 1]);
    expect(groupByWeight([w(10, 20), w(10, 20), w(10, 20)], w(0, 0), w(0, 0), room, 10)).toEqual([2, 1]);
    expect(groupByWeight([w(1), w(1), w(1)], w(0), w(0), room, 2)).toEqual([2, 1]);
    expect(groupByWeight([], w(40), w(10), room, 10)).toEqual([0]);
  });
});
