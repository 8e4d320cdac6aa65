import { BATCH_LIMITS, parseBatch, type AgentBatch } from '../../model/batch';
import { syntheticBatch, syntheticCluster } from '../../sim/synthetic';

const T = Date.UTC(2026, 10, 23, 12, 0, 5);
const valid = (): AgentBatch => syntheticBatch(syntheticCluster({ nodes: 3, podsPerNode: 8 }), T);
/** A deep copy that the test may damage. */
const copy = (): Record<string, any> => JSON.parse(JSON.stringify(valid()));

function problems(input: unknown): string[] {
  const r = parseBatch(input);
  if (r.ok) throw new Error('expected the batch to be rejected');
  return [...r.problems];
}

describe('agent batch schema', () => {
  test('a realistic batch passes and comes back unchanged', () => {
    const r = parseBatch(JSON.parse(JSON.stringify(valid())));
    expect(r).toEqual({ ok: true, batch: valid() });
  });

  test('a wrong schema version is named, with the version this ingest accepts', () => {
    expect(problems({ ...copy(), v: 2 })).toEqual(['v: unsupported batch schema version 2 (this ingest accepts 1)']);
  });

  test('a wrongly typed field is named by its full path', () => {
    const b = copy();
    b.nodes[1].pods[2].containers[0].restarts = 'three';
    expect(problems(b)).toEqual(['nodes[1].pods[2].containers[0].restarts: Invalid input: expected number, received string']);
  });

  test('missing fields are each named', () => {
    const b = copy();
    delete b.cluster;
    delete b.nodes[0].node.conditions;
    expect(problems(b)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^cluster: /), expect.stringMatching(/^nodes\[0\]\.node\.conditions: /)]),
    );
  });

  test('limits on counts and sizes', () => {
    const b = copy();
    b.events = Array.from({ length: BATCH_LIMITS.maxEvents + 1 }, () => b.nodes[0].pods[0]);
    expect(problems(b)).toEqual([`events: Too big: expected array to have <=${BATCH_LIMITS.maxEvents} items`]);
    const c = copy();
    c.nodes[0].pods[0].labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(problems(c)).toEqual(['nodes[0].pods[0].labels: at most 64 labels']);
    const d = copy();
    d.nodes[0].node.name = 'x'.repeat(254);
    expect(problems(d)[0]).toMatch(/^nodes\[0\]\.node\.name: Too big/);
  });

  test('times in seconds instead of milliseconds are caught', () => {
    expect(problems({ ...copy(), collectedAt: Math.floor(T / 1000) })).toEqual([
      'collectedAt: expected epoch milliseconds (this looks like seconds, or a date before 2000)',
    ]);
  });

  test('negative and non-integer counts are refused', () => {
    const b = copy();
    b.agent.droppedBatches = -1;
    b.seq = 1.5;
    expect(problems(b)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^agent\.droppedBatches: /), expect.stringMatching(/^seq: /)]),
    );
  });

  test('a pod filed under the wrong node is refused', () => {
    const b = copy();
    b.nodes[0].pods[0].node = b.nodes[1].node.name;
    expect(problems(b)).toEqual([
      `nodes[0].pods[0].node: pod is reported under node "${b.nodes[0].node.name}" but says it runs on "${b.nodes[1].node.name}"`,
    ]);
  });

  test('cluster names must be EKS cluster names', () => {
    expect(problems({ ...copy(), cluster: 'prod#1' })[0]).toMatch(/^cluster: expected an EKS cluster name/);
  });

  test('unknown fields are ignored, so a newer agent of the same version is accepted', () => {
    const r = parseBatch({ ...copy(), futureField: { x: 1 } });
    expect(r.ok).toBe(true);
    expect(r.ok && 'futureField' in r.batch).toBe(false);
  });

  test('non-objects get one clear problem, and long lists of problems are capped', () => {
    expect(problems('hello')).toEqual(['(batch): Invalid input: expected object, received string']);
    const b = JSON.parse(JSON.stringify(syntheticBatch(syntheticCluster({ nodes: 4, podsPerNode: 10 }), T)));
    for (const n of b.nodes) for (const p of n.pods) for (const c of p.containers) c.restarts = 'x';
    const list = problems(b);
    expect(list).toHaveLength(51);
    expect(list[50]).toMatch(/^… and \d+ more problems$/);
  });
});

describe("a sharded agent's batches", () => {
  const sharded = (shard: unknown) => parseBatch({ ...copy(), shard });
  test('carry which shard they are, checked', () => {
    expect(sharded({ index: 2, count: 3 })).toMatchObject({ ok: true, batch: { shard: { index: 2, count: 3 } } });
    expect(sharded({ index: 3, count: 3 })).toMatchObject({ ok: false, problems: ['shard: shard.index must be less than shard.count'] });
    expect(sharded({ index: 0, count: 1 })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^shard\.count: /)] });
    expect(sharded({ index: 0, count: 33 })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^shard\.count: /)] });
  });
});
