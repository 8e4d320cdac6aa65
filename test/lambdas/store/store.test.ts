import { DynamoDBClient, DynamoDBServiceException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynalite';
import { decode, encode } from '../../../lambdas/store/codec';
import { keys } from '../../../lambdas/store/keys';
import { MAX_ITEM_BYTES } from '../../../lambdas/store/dynamo';
import type { VigilStore } from '../../../lambdas/store/store';
import type { AgentStatus, CloudRollup, KubeEvent, KubeNodeMinute, KubeRollup } from '../../../model/domain';
import { parseSelector, peerOutliers } from '../../../model/selector';
import { MINUTE_MS } from '../../../model/time';
import { rng, syntheticCluster, syntheticHostMinutes, syntheticKubeMinutes } from '../../../sim/synthetic';
import { failCalls, leaveUnprocessed } from '../../support/faults';
import { useTestStore } from '../../support/store';

const T = Date.UTC(2026, 10, 23, 12, 0, 5);
const M = Date.UTC(2026, 10, 23, 12, 0);
const cluster = syntheticCluster({ nodes: 6, podsPerNode: 10 });
const agent: AgentStatus = {
  version: '0.1.0',
  startedAt: T - 3_600_000,
  cycles: 1,
  batchesSent: 1,
  bytesSent: 1,
  buffered: 0,
  droppedBatches: 0,
  pushFailures: 0,
  scrapeErrors: {},
};

const t = useTestStore({ each: true });
let store: VigilStore;

beforeEach(() => {
  store = t.store();
});

/** A client of its own, so injected faults touch only the store under test; the SDK's retries are off. */
function faultyStore(): { client: DynamoDBClient; store: VigilStore } {
  const client = new DynamoDBClient({ endpoint: t.dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  return { client, store: t.store({ client }) };
}

function kubeRollup(minute: number, over: Partial<KubeRollup> = {}): KubeRollup {
  return { minute, collectedAt: minute + 5000, nodes: [], workloads: [], pendingPods: [], events: [], agent, scrapeErrors: [], ...over };
}

describe('node-minutes: the two writers merge in either order', () => {
  test('host then Kubernetes', async () => {
    await store.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    expect(nodes).toHaveLength(6);
    for (const n of nodes) {
      expect(n.join).toBe('node-and-instance');
      expect(n.kube?.node.instanceId).toBe(n.key);
      expect(n.host?.host.instanceId).toBe(n.key);
    }
  });

  test('Kubernetes then host gives the same merged result', async () => {
    await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    await store.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    const other = await t.fresh();
    const s2 = other.store();
    await s2.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    await s2.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    const merged = await store.nodeMinutes(cluster.cluster, M, M);
    expect(merged).toEqual(await s2.nodeMinutes(cluster.cluster, M, M));
    // What was written comes back whole.
    for (const k of syntheticKubeMinutes(cluster, T)) expect(merged.find((n) => n.key === k.node.instanceId)?.kube).toEqual(k);
  });

  test('a 5-minute host period covers the node-minutes inside it, and only those', async () => {
    const host = syntheticHostMinutes(cluster, M).map((h) => ({ ...h, periodMinutes: 5 }));
    await store.putHostMinutes(cluster.cluster, host);
    for (let i = 0; i < 6; i++) await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T + i * MINUTE_MS));
    const nodes = await store.nodeMinutes(cluster.cluster, M, M + 5 * MINUTE_MS);
    expect(nodes.filter((n) => n.minute < M + 5 * MINUTE_MS).every((n) => n.host?.minute === M)).toBe(true);
    expect(nodes.filter((n) => n.minute === M + 5 * MINUTE_MS).every((n) => n.host === undefined)).toBe(true);
    // A window that starts inside the period still finds the host part written before it.
    const later = await store.nodeMinutes(cluster.cluster, M + 3 * MINUTE_MS, M + 3 * MINUTE_MS);
    expect(later.every((n) => n.host?.minute === M)).toBe(true);
  });

  test('a Fargate node (no instance) and an instance with no node are both kept, and marked', async () => {
    const [first] = syntheticKubeMinutes(cluster, T);
    const fargate: KubeNodeMinute = {
      ...first,
      node: { ...first.node, name: 'fargate-ip-10-0-9-9.eu-west-1.compute.internal', instanceId: undefined, capacityType: 'fargate' },
    };
    const [orphan] = syntheticHostMinutes(syntheticCluster({ nodes: 1, seed: 99 }), M);
    await store.putKubeMinutes(cluster.cluster, [fargate]);
    await store.putHostMinutes(cluster.cluster, [orphan]);
    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    expect(nodes.find((n) => n.key === 'node/fargate-ip-10-0-9-9.eu-west-1.compute.internal')).toMatchObject({
      join: 'node-without-instance',
      host: undefined,
      kube: { node: { capacityType: 'fargate' } },
    });
    const alone = nodes.find((n) => n.key === orphan.host.instanceId);
    expect(alone).toMatchObject({ join: 'instance-without-node', host: { host: { instanceId: orphan.host.instanceId } } });
    expect(alone?.kube).toBeUndefined();
  });

  test('a node on EC2 whose host part is not written yet is still marked as having an instance', async () => {
    await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    expect(nodes.map((n) => [n.join, n.host])).toEqual(Array(6).fill(['node-and-instance', undefined]));
  });

  test('an older Kubernetes part arriving after a newer one for the same minute does not replace it', async () => {
    const byKey = (ks: readonly KubeNodeMinute[]) => [...ks].sort((a, b) => a.node.instanceId!.localeCompare(b.node.instanceId!));
    const stored = async () => (await store.nodeMinutes(cluster.cluster, M, M)).map((n) => n.kube);
    const newer = byKey(syntheticKubeMinutes(cluster, T + 30_000).map((k) => ({ ...k, pods: k.pods.slice(1) })));
    await store.putKubeMinutes(cluster.cluster, newer);
    // Another Lambda instance finishes a resend of the minute's earlier batch late.
    expect(await t.store().putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T))).toMatchObject({ skipped: 6, failed: [] });
    expect(await stored()).toEqual(newer);
    // In order, a later part replaces the earlier one.
    const later = newer.map((k) => ({ ...k, collectedAt: T + 50_000 }));
    expect(await store.putKubeMinutes(cluster.cluster, later)).toMatchObject({ written: 6, skipped: 0 });
    expect(await stored()).toEqual(later);
  });

  test('late host data rewritten for the same minute replaces the earlier read', async () => {
    const early = syntheticHostMinutes(cluster, M).map((h) => ({ ...h, metrics: { cpuPct: 10 } }));
    const late = early.map((h) => ({
      ...h,
      collectedAt: h.collectedAt + 300_000,
      metrics: { cpuPct: 10, statusCheckFailed: 0, networkInBytes: 5 },
    }));
    await store.putHostMinutes(cluster.cluster, early);
    await store.putHostMinutes(cluster.cluster, late);
    const nodes = await store.nodeMinutes(cluster.cluster, M, M);
    expect(nodes.every((n) => n.host?.metrics.networkInBytes === 5)).toBe(true);
  });
});

describe('idempotence and cost', () => {
  test('the same input written twice leaves exactly the same items', async () => {
    const minutes = syntheticKubeMinutes(cluster, T);
    await store.putKubeMinutes(cluster.cluster, minutes);
    await store.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    await store.putKubeRollup(cluster.cluster, kubeRollup(M));
    const once = await t.scan();
    // A second Lambda instance (no cache of written specs) receives the same batch again.
    const again = t.store();
    await again.putKubeMinutes(cluster.cluster, minutes);
    await again.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    await again.putKubeRollup(cluster.cluster, kubeRollup(M));
    expect(await t.scan()).toEqual(once);
  });

  test('unchanged pod specs are written once; each minute then costs only its changing half', async () => {
    const first = await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    expect(first).toMatchObject({ written: 12, failed: [] });
    const before = store.capacity.writeUnits;
    const second = await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T + MINUTE_MS));
    expect(second).toMatchObject({ written: 6, failed: [] });
    expect(store.capacity.writeUnits - before).toBe(6 * 2);
    // Minutes are conditional puts (newest wins), billed as BatchWrite puts would be.
    expect(store.capacity.requests.PutItem).toBe(12);
  });

  test('every item but documents carries a TTL of its data time plus the retention', async () => {
    const s = t.store({ retentionDays: 3 });
    await s.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    await s.putHeartbeat({ cluster: cluster.cluster, lastSeen: T, agent });
    for (const item of await t.scan()) {
      expect(Number(item.expiresAt.N)).toBeGreaterThanOrEqual(Math.floor(M / 1000) + 3 * 86_400);
    }
    const minute = (await t.scan()).find((i) => i.sk.S!.endsWith('#K'))!;
    expect(Number(minute.expiresAt.N)).toBe(M / 1000 + 3 * 86_400);
  });

  test('reads skip items past their TTL (DynamoDB deletes them late, dynalite never)', async () => {
    await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    t.clock.set(T + 15 * 86_400_000);
    expect(await store.nodeMinutes(cluster.cluster, M, M)).toEqual([]);
  });

  test('rejects a retention it cannot honour', () => {
    expect(() => t.store({ retentionDays: 0 })).toThrow(/retentionDays must be an integer from 1 to 3650, got 0/);
  });
});

describe('partial failure is retried or reported, never dropped', () => {
  test('UnprocessedItems are retried until everything is stored', async () => {
    const { client, store: s } = faultyStore();
    const fault = leaveUnprocessed(client, 3, 4);
    const report = await s.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    fault.remove();
    expect(fault.handedBack()).toBeGreaterThan(0);
    expect(report).toMatchObject({ written: 12, failed: [] });
    expect(await store.nodeMinutes(cluster.cluster, M, M)).toHaveLength(6);
    client.destroy();
  });

  test('throttling is retried with backoff', async () => {
    const { client, store: s } = faultyStore();
    const remove = failCalls(
      client,
      'BatchWriteItemCommand',
      3,
      () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
    );
    const report = await s.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    remove();
    expect(report).toMatchObject({ written: 6, failed: [] });
    client.destroy();
  });

  test('when retries run out, every unwritten item is reported by key, and what was stored stays', async () => {
    await store.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M - MINUTE_MS));
    const before = await t.scan();
    const { client, store: s } = faultyStore();
    const remove = failCalls(
      client,
      'BatchWriteItemCommand',
      100,
      () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
    );
    const report = await s.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    remove();
    expect(report.written).toBe(0);
    expect(report.failed).toHaveLength(6);
    expect(report.failed[0].reason).toMatch(/not written after retries: ProvisionedThroughputExceededException: Rate exceeded/);
    expect(report.failed.map((f) => f.key)).toContain(
      `${keys.nodePartition(cluster.cluster, M)} / 2026-11-23T12:00#${cluster.hosts[0].instanceId}#H`,
    );
    expect(await t.scan()).toEqual(before);
    client.destroy();
  });

  test('a non-retryable error is reported at once', async () => {
    const { client, store: s } = faultyStore();
    let calls = 0;
    const remove = failCalls(client, 'BatchWriteItemCommand', 100, () => {
      calls++;
      return new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'One or more parameter values were invalid',
        $metadata: { httpStatusCode: 400 },
      });
    });
    const report = await s.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M));
    remove();
    expect(calls).toBe(1);
    expect(report.failed).toHaveLength(6);
    client.destroy();
  });

  test('minutes whose pod specs could not be stored are not written and are reported', async () => {
    const { client, store: s } = faultyStore();
    const remove = failCalls(
      client,
      'BatchWriteItemCommand',
      8,
      () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
    );
    const report = await s.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    remove();
    expect(report.written).toBe(0);
    expect(report.failed.filter((f) => /pod specs it points at could not be stored/.test(f.reason))).toHaveLength(6);
    expect(await t.scan()).toEqual([]);
    // The specs were not remembered as written, so the retry stores them.
    expect(await s.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T))).toMatchObject({ written: 12, failed: [] });
    client.destroy();
  });
});

describe('item size limit', () => {
  test('an item just under 400 KB is stored whole; one over it is refused with a clear error, not truncated', async () => {
    const rand = rng(1);
    const big = (n: number): CloudRollup => ({
      minute: M,
      collectedAt: T,
      nodeGroups: [],
      autoScalingGroups: [],
      scalingActivities: [],
      hosts: [],
      // Random-looking text does not compress, so the encoded size tracks n.
      failures: [{ operation: 'x', message: Array.from({ length: n }, () => String.fromCharCode(33 + Math.floor(rand() * 94))).join('') }],
    });
    // Grow the value until its encoding is within 3 KB of the limit (keys and attributes take the rest).
    let n = 460_000;
    while (encode(big(n + 1000)).length < MAX_ITEM_BYTES - 3 * 1024) n += 1000;
    const near = big(n);
    expect(encode(near).length).toBeGreaterThan(MAX_ITEM_BYTES - 5 * 1024);
    expect(await store.putCloudRollup(cluster.cluster, near)).toMatchObject({ written: 1, failed: [] });
    expect((await store.rollups(cluster.cluster, M, M))[0].cloud).toEqual(near);

    const report = await store.putCloudRollup(cluster.cluster, { ...big(n + 10_000), minute: M + MINUTE_MS });
    expect(report.written).toBe(0);
    expect(report.failed[0].reason).toMatch(
      /cloud rollup at 2026-11-23T12:01: item is \d+\.\d KB encoded, over DynamoDB's 400 KB item limit; refused, not truncated/,
    );
    expect(await store.rollups(cluster.cluster, M + MINUTE_MS, M + MINUTE_MS)).toEqual([]);
  });
});

describe('queries', () => {
  beforeEach(async () => {
    for (let i = 0; i < 5; i++) {
      await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T + i * MINUTE_MS));
      await store.putHostMinutes(cluster.cluster, syntheticHostMinutes(cluster, M + i * MINUTE_MS, i));
      await store.putKubeRollup(
        cluster.cluster,
        kubeRollup(M + i * MINUTE_MS, {
          nodes: cluster.reports.map((r) => ({
            name: r.node.name,
            key: r.node.instanceId!,
            ready: 'True',
            problems: [],
            unschedulable: false,
            allocatable: r.node.allocatable,
            requested: {},
            pods: r.pods.length,
          })),
          workloads: [
            {
              namespace: 'orders',
              kind: 'Deployment',
              name: 'api-0',
              pods: 3,
              readyPods: 3,
              restarts: i,
              oomKilled: 0,
              cpuMilli: 100 * i,
              memoryWorkingSetBytes: 1,
            },
          ],
        }),
      );
    }
  });

  test('the latest N minutes of a cluster: rollups and node-minutes', async () => {
    t.clock.set(M + 4 * MINUTE_MS + 30_000);
    const { rollups, nodes } = await store.latest(cluster.cluster, 3);
    expect(rollups.map((r) => r.minute)).toEqual([M + 2 * MINUTE_MS, M + 3 * MINUTE_MS, M + 4 * MINUTE_MS]);
    expect(nodes).toHaveLength(3 * 6);
    expect(nodes.every((n) => n.kube && n.host)).toBe(true);
  });

  test('a window across an hour boundary reads both hour partitions', async () => {
    const before = Date.UTC(2026, 10, 23, 11, 59, 5);
    await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, before));
    const nodes = await store.nodeMinutes(cluster.cluster, before, M + MINUTE_MS);
    expect(new Set(nodes.map((n) => n.minute))).toEqual(new Set([before - 5000, M, M + MINUTE_MS]));
  });

  test("one node's history, by name or by instance id, read by key", async () => {
    const node = cluster.reports[2].node;
    const reads = t.store();
    const byName = await reads.nodeHistory(cluster.cluster, node.name, M, M + 4 * MINUTE_MS);
    expect(byName.map((n) => n.minute)).toEqual([0, 1, 2, 3, 4].map((i) => M + i * MINUTE_MS));
    expect(byName.every((n) => n.kube?.node.name === node.name && n.host?.host.instanceId === node.instanceId)).toBe(true);
    expect(await reads.nodeHistory(cluster.cluster, node.instanceId!, M, M + 4 * MINUTE_MS)).toEqual(byName);
    expect(reads.capacity.requests.BatchGetItem).toBeGreaterThan(0);
    expect(await reads.nodeHistory(cluster.cluster, 'no-such-node', M, M + 4 * MINUTE_MS)).toEqual([]);
  });

  test("a workload's history comes from the rollups", async () => {
    const h = await store.workloadHistory(
      cluster.cluster,
      { namespace: 'orders', kind: 'Deployment', name: 'api-0' },
      M,
      M + 4 * MINUTE_MS,
    );
    expect(h.map((x) => x.workload.restarts)).toEqual([0, 1, 2, 3, 4]);
  });

  test('containers selected by labels and tags', async () => {
    const image = cluster.reports[0].pods[5].containers[0].image;
    const name = image.slice(image.lastIndexOf('/') + 1, image.lastIndexOf(':'));
    const zone = cluster.reports[0].node.zone!;
    const rows = await store.selectContainers(cluster.cluster, parseSelector(`image=${name} zone=${zone}`), M, M + 4 * MINUTE_MS);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.zone === zone && r.image === image)).toBe(true);
    const byLabel = await store.selectContainers(cluster.cluster, parseSelector('app.kubernetes.io/name=kube-proxy'), M, M);
    expect(byLabel.map((r) => r.container)).toEqual(Array(6).fill('kube-proxy'));
  });

  test('the one container far above its peers is the one marked', async () => {
    // A later minute in which kube-proxy on the third node burns ten times the CPU of the other five.
    const at = T + 10 * MINUTE_MS;
    const hot = cluster.reports[2].node.name;
    const minutes = syntheticKubeMinutes(cluster, at).map((m) => ({
      ...m,
      pods: m.pods.map((p) => ({
        ...p,
        containers: p.containers.map((c) =>
          c.name === 'kube-proxy' ? { ...c, usage: { ...c.usage, cpuMilli: m.node.name === hot ? 100 : 10 } } : c,
        ),
      })),
    }));
    await store.putKubeMinutes(cluster.cluster, minutes);
    const rows = await store.selectContainers(
      cluster.cluster,
      parseSelector('app.kubernetes.io/name=kube-proxy'),
      M + 10 * MINUTE_MS,
      M + 10 * MINUTE_MS,
    );
    expect(rows).toHaveLength(6);
    const marked = peerOutliers(rows, { groupBy: ['workload'], metric: 'cpuMilli', thresholdPct: 50 });
    expect(marked.filter((r) => r.outlier).map((r) => r.node)).toEqual([hot]);
    expect(marked.find((r) => r.outlier)).toMatchObject({ value: 100, groupSize: 6, groupAverage: 25 });
  });

  test('the events of a window, deduplicated by object and reason', async () => {
    const e: KubeEvent = {
      objectUid: 'u1',
      objectKind: 'Pod',
      objectName: 'web-1',
      namespace: 'shop',
      reason: 'BackOff',
      type: 'Warning',
      message: 'Back-off restarting failed container',
      count: 3,
      firstSeen: T - 60_000,
      lastSeen: T,
    };
    expect(await store.putEvents(cluster.cluster, [e])).toMatchObject({ written: 1, skipped: 0 });
    expect(await store.putEvents(cluster.cluster, [e])).toMatchObject({ written: 0, skipped: 1 });
    expect(await store.putEvents(cluster.cluster, [{ ...e, count: 2, lastSeen: T - 30_000 }])).toMatchObject({ skipped: 1 });
    expect(await store.putEvents(cluster.cluster, [{ ...e, count: 9, lastSeen: T + 60_000 }])).toMatchObject({ written: 1 });
    expect(await store.events(cluster.cluster, M, M + 10 * MINUTE_MS)).toEqual([{ ...e, count: 9, lastSeen: T + 60_000 }]);
  });

  describe('rollup parts: as safe as the node-minutes', () => {
    const m = M + 10 * MINUTE_MS;
    const w = {
      namespace: 'a',
      kind: 'Deployment' as const,
      name: 'x',
      pods: 1,
      readyPods: 1,
      restarts: 1,
      oomKilled: 0,
      cpuMilli: 10,
      memoryWorkingSetBytes: 5,
    };
    const n = (name: string) => ({
      name,
      key: name,
      ready: 'True' as const,
      problems: [],
      unschedulable: false,
      allocatable: {},
      requested: {},
      pods: 1,
    });
    const put = (at: number, names: string[], part: { index: number; count: number }, over = {}) =>
      store.putKubeRollup(cluster.cluster, kubeRollup(m, { collectedAt: m + at, nodes: names.map(n), ...over }), part);
    const read = async () => (await store.rollups(cluster.cluster, m, m))[0]?.kube;

    test("a split batch's parts merge; parts of an older cycle are ignored", async () => {
      await put(1000, ['old'], { index: 2, count: 3 });
      await put(9000, ['a'], { index: 0, count: 2 }, { workloads: [{ ...w, desired: 2 }] });
      await put(9000, ['b'], { index: 1, count: 2 }, { workloads: [w] });
      const r = await read();
      expect(r?.nodes.map((x) => x.name)).toEqual(['a', 'b']);
      expect(r?.workloads).toEqual([{ ...w, pods: 2, readyPods: 2, restarts: 2, cpuMilli: 20, memoryWorkingSetBytes: 10, desired: 2 }]);
      expect(r?.partial).toBeUndefined();
    });

    test('an older batch landing late does not replace the newer rollup', async () => {
      expect(await put(40_000, ['new'], { index: 0, count: 1 })).toMatchObject({ written: 1 });
      await put(10_000, ['old'], { index: 0, count: 1 });
      expect((await read())?.nodes.map((x) => x.name)).toEqual(['new']);
    });

    test("a newer cycle's lone part does not hide a complete older cycle", async () => {
      await put(10_000, ['a', 'b', 'c'], { index: 0, count: 2 });
      await put(10_000, ['d', 'e', 'f'], { index: 1, count: 2 });
      await put(40_000, ['d', 'e', 'f'], { index: 1, count: 2 });
      expect((await read())?.nodes.map((x) => x.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    });

    test('a cycle with parts still missing reads as partial, not as nodes gone', async () => {
      await put(10_000, ['d', 'e', 'f'], { index: 1, count: 2 });
      expect(await read()).toMatchObject({ nodes: [{ name: 'd' }, { name: 'e' }, { name: 'f' }], partial: { parts: 1, count: 2 } });
      await put(10_000, ['a', 'b', 'c'], { index: 0, count: 2 });
      expect(await read()).toMatchObject({
        nodes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e' }, { name: 'f' }],
      });
      expect((await read())?.partial).toBeUndefined();
    });
  });

  test("keys over DynamoDB's limits in UTF-8 bytes are refused before sending (dynalite would take them), as permanent", async () => {
    // 200 characters each, but 600 and 800 bytes: the sort key `<uid>#<reason>` is 1,401 bytes.
    const e: KubeEvent = {
      objectUid: '障'.repeat(200),
      objectKind: 'Pod',
      objectName: 'web-1',
      reason: '🔥'.repeat(200),
      type: 'Warning',
      message: 'm',
      count: 1,
      firstSeen: T,
      lastSeen: T,
    };
    const report = await store.putEvents(cluster.cluster, [e]);
    expect(report).toMatchObject({
      written: 0,
      failed: [
        { permanent: true, reason: expect.stringContaining("its sort key is 1401 bytes of UTF-8, over DynamoDB's 1024-byte limit") },
      ],
    });
    expect(
      (await store.events(cluster.cluster, T - 1, T + 1)).filter(
        (x) => x.objectName === 'web-1' && x.objectKind === 'Pod' && x.count === 1 && x.message === 'm',
      ),
    ).toEqual([]);
  });
});

describe('heartbeat and documents', () => {
  test('the heartbeat only moves forward', async () => {
    expect(await store.putHeartbeat({ cluster: 'c1', lastSeen: T, agent })).toMatchObject({ written: 1 });
    expect(await store.putHeartbeat({ cluster: 'c1', lastSeen: T - 60_000, agent })).toMatchObject({ written: 0, skipped: 1 });
    expect((await store.heartbeat('c1'))?.lastSeen).toBe(T);
    expect(await store.heartbeat('other')).toBeUndefined();
  });

  test('the clusters a table holds are those with a heartbeat, sorted; other items name none', async () => {
    expect(await store.clusters()).toEqual([]);
    await store.putHeartbeat({ cluster: 'staging', lastSeen: T, agent });
    await store.putHeartbeat({ cluster: cluster.cluster, lastSeen: T, agent });
    await store.putKubeMinutes(cluster.cluster, syntheticKubeMinutes(cluster, T));
    await store.putDocument('no-agent-yet', 'silence', 's1', { id: 's1' }, undefined);
    expect(await store.clusters()).toEqual([cluster.cluster, 'staging'].sort());
    expect(store.capacity.requests.Scan).toBe(2);
  });

  test('versioned documents: one of two concurrent writers wins', async () => {
    expect(await store.putDocument('c1', 'alert', 'a1', { phase: 'pending' }, undefined)).toBe(1);
    const [a, b] = [t.store(), t.store()];
    const read = await a.getDocument<{ phase: string }>('c1', 'alert', 'a1');
    const results = await Promise.all([
      a.putDocument('c1', 'alert', 'a1', { phase: 'firing' }, read!.version),
      b.putDocument('c1', 'alert', 'a1', { phase: 'firing' }, read!.version),
    ]);
    expect(results.filter((r) => r === 2)).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(await store.putDocument('c1', 'alert', 'a1', { phase: 'x' }, undefined)).toBeUndefined();
    expect(await store.listDocuments('c1', 'alert')).toEqual([{ id: 'a1', value: { phase: 'firing' }, version: 2 }]);
    expect(await store.deleteDocument('c1', 'alert', 'a1', 1)).toBe(false);
    expect(await store.deleteDocument('c1', 'alert', 'a1', 2)).toBe(true);
    expect(await store.getDocument('c1', 'alert', 'a1')).toBeUndefined();
    // Alert state has no TTL unless asked for.
    await store.putDocument('c1', 'alert', 'a2', {}, undefined);
    expect((await t.scan()).find((i) => i.sk.S === 'a2')?.expiresAt).toBeUndefined();
  });

  test('an expired document that DynamoDB has not deleted yet is absent for a first write too, and only once expired', async () => {
    const expiresAt = T + 60 * MINUTE_MS;
    expect(await store.putDocument('c1', 'alert', 'a1', { phase: 'resolved' }, undefined, { expiresAt })).toBe(1);
    // Not yet expired: a first write conflicts, as with any present document.
    expect(await store.putDocument('c1', 'alert', 'a1', { phase: 'pending' }, undefined)).toBeUndefined();
    t.clock.set(expiresAt + 1000);
    expect(await store.getDocument('c1', 'alert', 'a1')).toBeUndefined();
    expect((await t.scan()).some((i) => i.sk.S?.endsWith('a1'))).toBe(true);
    expect(await store.putDocument('c1', 'alert', 'a1', { phase: 'pending' }, undefined)).toBe(1);
    expect(await store.listDocuments('c1', 'alert')).toEqual([{ id: 'a1', value: { phase: 'pending' }, version: 1 }]);
    // The new document holds: a second first write loses, as between two concurrent evaluations.
    expect(await t.store().putDocument('c1', 'alert', 'a1', { phase: 'x' }, undefined)).toBeUndefined();
  });

  test('stored values are the compact encoding, readable with decode', async () => {
    await store.putHeartbeat({ cluster: 'c1', lastSeen: T, agent });
    const [item] = await t.scan();
    expect(decode(item.d.B!)).toEqual({ cluster: 'c1', lastSeen: T, agent });
  });
});
