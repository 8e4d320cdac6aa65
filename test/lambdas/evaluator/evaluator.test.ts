import { silentLogger } from '../../../common/log';
import { resolveRules } from '../../../lambdas/evaluator/config';
import { createEvaluator, createEvaluatorHandler, EvaluationError, PublishError } from '../../../lambdas/evaluator/evaluator';
import type { AlertDoc } from '../../../lambdas/evaluator/state';
import { useTestStore } from '../../support/store';
import type { StoredDocument } from '../../../lambdas/store/documents';
import type { VigilStore } from '../../../lambdas/store/store';
import type { KubeEvent } from '../../../model/domain';
import { METRICS, METRICS_NAMESPACE, type MetricSpec } from '../../../model/metrics';
import { HOUR_MS, MINUTE_MS } from '../../../model/time';
import { CapturingPublisher, harness, T0 } from './harness';

const { dynamo } = useTestStore();

const notReady = (since: number) => ({
  type: 'Ready',
  status: 'False' as const,
  reason: 'KubeletNotReady',
  message: 'container runtime network not ready: NetworkReady=false',
  since,
});

test('a steady cluster stays silent: no message, no finding, every rule able to look', async () => {
  const h = await harness(dynamo, { nodes: 6 });
  const runs = await h.tick(20);
  expect(h.publisher.messages.map((m) => m.subject)).toEqual([]);
  expect(runs.map((r) => r.findings)).toEqual(Array(20).fill(0));
  expect(runs.every((r) => r.blindRules.length === 0)).toBe(true);
});

describe('state machine on real windows', () => {
  test('pending for `for`, then one firing message, then silence while it lasts', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    h.steady.setCondition(1, notReady(h.nextTime));
    const runs = await h.tick(8);
    // for = 5 min: the finding exists from the first minute, the alert fires once, 5 minutes later.
    expect(runs.map((r) => r.changes.length)).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    const [fired] = h.publisher.of('node-not-ready');
    expect(fired).toMatchObject({ kind: 'firing', severity: 'warning', subject: { node: h.steady.nodeNames[1] } });
    expect(fired.summary).toContain('NotReady');
  });

  test('a single blip never fires', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    h.steady.setCondition(2, notReady(h.nextTime));
    await h.tick(1);
    h.steady.setCondition(2, { type: 'Ready', status: 'True', reason: 'KubeletReady', since: h.nextTime });
    await h.tick(15);
    expect(h.publisher.messages).toEqual([]);
  });

  test('resolves after the resolve delay (hysteresis), with a resolved message', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.setCondition(1, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(2);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing']);
    h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
    const runs = await h.tick(7);
    // Absent from the first of these minutes; resolved once absent for 5 minutes.
    expect(runs.map((r) => r.changes.map((c) => c.kind).join())).toEqual(['', '', '', '', '', 'resolved', '']);
    const resolved = h.publisher.of('node-not-ready')[1];
    expect(resolved.resolvedAt).toBeGreaterThan(resolved.firingSince!);
  });

  test('a short clearance inside the resolve delay does not resolve', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.setCondition(1, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(1);
    h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
    await h.tick(2);
    h.steady.setCondition(1, notReady(h.nextTime));
    await h.tick(10);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing']);
  });

  test('re-notifies a firing alert at its slow interval', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { renotifyEvery: '30m' } } });
    h.steady.setCondition(1, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(65);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing', 'repeat', 'repeat']);
  });

  test('escalation to critical is announced', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.setCondition(1, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(2);
    h.steady.setCondition(3, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(2);
    const changes = h.publisher
      .of('node-not-ready')
      .map((c) => `${c.kind}:${c.severity}:${c.subject.node === h.steady.nodeNames[1] ? 'n1' : 'n3'}`);
    expect(changes).toEqual(['firing:warning:n1', 'escalated:critical:n1', 'firing:critical:n3']);
    // Both changes of the second step came in one message.
    expect(h.publisher.messages).toHaveLength(2);
    expect(h.publisher.messages[1].attributes).toEqual({
      severity: 'critical',
      severities: ['critical'],
      cluster: h.steady.cluster,
      rule: 'node-not-ready',
    });
  });

  test('a resolution carries the severity people were told, so critical-only subscribers get the end of what they got', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { resolveAfter: '0' } } });
    for (const n of [1, 3]) h.steady.setCondition(n, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(1);
    // Node 3 recovers: node 1 alone is a warning now (not announced), then it recovers too.
    h.steady.setCondition(3, { type: 'Ready', status: 'True', since: h.nextTime });
    await h.tick(1);
    h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
    await h.tick(1);
    const n1 = h.publisher.of('node-not-ready').filter((c) => c.subject.node === h.steady.nodeNames[1]);
    expect(n1.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical', 'resolved:critical']);
    expect(h.publisher.messages.map((m) => m.attributes.severities)).toEqual([['critical'], ['critical-resolved'], ['critical-resolved']]);
  });

  test('a critical finding still pending mutes nothing; once it fires it mutes warnings about its node', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-memory-low': { for: '0' } } });
    await h.tick(1);
    // Two nodes NotReady: critical, after its 5 minutes. Meanwhile node 1 is low on memory (a warning, at once).
    for (const n of [1, 3]) h.steady.setCondition(n, notReady(h.nextTime));
    h.steady.updateNode(1, (r) => ({ ...r, stats: { ...r.stats, memoryAvailableBytes: 1200 * 1024 * 1024 } }));
    await h.tick(1);
    expect(h.publisher.of('node-memory-low').map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:warning']);
    const runs = await h.tick(6);
    expect(h.publisher.of('node-not-ready').map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical', 'firing:critical']);
    expect(runs[runs.length - 1]).toMatchObject({ firing: 2, muted: 1 });
  });

  test('flapping: announced once, then held until it stays clear', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { for: '0', resolveAfter: '2m' } } });
    await h.tick(1);
    for (let cycle = 0; cycle < 5; cycle++) {
      h.steady.setCondition(1, notReady(h.nextTime));
      await h.tick(2);
      h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
      await h.tick(4);
    }
    await h.tick(35);
    const kinds = h.publisher.of('node-not-ready').map((c) => c.kind);
    expect(kinds).toEqual(['firing', 'resolved', 'firing', 'resolved', 'flapping', 'resolved']);
    const flapping = h.publisher.of('node-not-ready')[4];
    expect(h.publisher.messages.find((m) => m.notification.changes.includes(flapping))!.text).toContain('further changes are held');
  });

  test('one message per evaluation groups every change, resolutions included', async () => {
    const h = await harness(dynamo, {
      nodes: 6,
      rules: { 'node-not-ready': { for: '0', resolveAfter: '0' }, 'node-pressure': { for: '0', resolveAfter: '0' } },
    });
    h.steady.setCondition(1, notReady(h.nextTime));
    await h.tick(1);
    h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
    h.steady.setCondition(4, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', since: h.nextTime });
    const [run] = await h.tick(1);
    expect(run.changes.map((c) => `${c.rule}:${c.kind}`).sort()).toEqual(['node-not-ready:resolved', 'node-pressure:firing']);
    expect(h.publisher.messages).toHaveLength(2);
    expect(h.publisher.messages[1].attributes.rule).toBe('multiple');
  });
});

describe('overlapping evaluations', () => {
  test('two evaluators on the same store at once notify once', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { for: '0' } } });
    await h.tick(1);
    h.steady.setCondition(2, notReady(h.nextTime));
    h.t.clock.set(h.nextTime);
    await h.steady.write(h.store, h.nextTime);
    h.t.clock.set(h.nextTime + 30_000);
    const other = new CapturingPublisher();
    const second = createEvaluator({
      store: h.t.store(),
      publisher: other,
      clock: h.t.clock,
      logger: silentLogger,
      rules: resolveRules(),
      emit: () => undefined,
    });
    const [a, b] = await Promise.all([h.evaluator.evaluateCluster(h.steady.cluster), second.evaluateCluster(h.steady.cluster)]);
    const firing = [...h.publisher.changes, ...other.changes].filter((c) => c.rule === 'node-not-ready');
    expect(firing).toHaveLength(1);
    expect(a.conflicts + b.conflicts).toBeGreaterThan(0);
    // And the next minute neither sends it again.
    h.minute++;
    await h.tick(1);
    await second.evaluateCluster(h.steady.cluster);
    expect([...h.publisher.changes, ...other.changes].filter((c) => c.rule === 'node-not-ready')).toHaveLength(1);
  });

  test("a Warning event's count jump is re-sent once, even by an evaluator that sees the other's alert but its old memory", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const event = (count: number, lastSeen: number): KubeEvent => ({
      objectUid: 'uid-orders-1',
      objectKind: 'Pod',
      objectName: 'orders-1',
      namespace: 'orders',
      type: 'Warning',
      reason: 'FailedMount',
      message: 'MountVolume.SetUp failed for volume "config" : configmap "orders-config" not found',
      count,
      firstSeen: T0,
      lastSeen,
    });
    await h.tick(1);
    h.steady.events = [event(1, h.nextTime)];
    await h.tick(15);
    h.steady.events = [event(15, h.nextTime)];
    h.t.clock.set(h.nextTime);
    await h.steady.write(h.store, h.nextTime);
    h.t.clock.set(h.nextTime + 30_000);
    // The second run reads its memory before the first one writes its own, and the alerts after: the
    // interleaving in which it would see the jump again on an alert that already announced it.
    const store = h.t.store();
    const staleMemory = await store.getDocument(h.steady.cluster, 'memory', 'evaluator');
    let stale = true;
    const late: VigilStore = Object.assign(Object.create(store) as VigilStore, {
      getDocument: async <T>(cluster: string, kind: string, id: string) => {
        if (stale && kind === 'memory' && id === 'evaluator') {
          stale = false;
          return staleMemory as StoredDocument<T> | undefined;
        }
        return store.getDocument<T>(cluster, kind, id);
      },
    });
    const other = new CapturingPublisher();
    const second = createEvaluator({
      store: late,
      publisher: other,
      clock: h.t.clock,
      logger: silentLogger,
      rules: resolveRules(),
      emit: () => undefined,
    });
    await h.evaluator.evaluateCluster(h.steady.cluster);
    h.t.clock.set(h.nextTime + 32_000); // a moment later
    await second.evaluateCluster(h.steady.cluster);
    const told = [...h.publisher.changes, ...other.changes].filter((c) => c.rule === 'warning-events');
    expect(told.map((c) => `${c.kind}:${c.evidence.count}`)).toEqual(['firing:1', 'updated:15']);
  });
});

describe('delivery failures', () => {
  test('a message SNS refuses is kept and sent by the next evaluation; the run fails', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { for: '0' } } });
    await h.tick(1);
    h.steady.setCondition(2, notReady(h.nextTime));
    h.publisher.failNext = 1;
    await expect(h.tick(1)).rejects.toBeInstanceOf(PublishError);
    h.minute++;
    await h.tick(1);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing']);
  });

  test('a resolution that could not be delivered is delivered later', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { for: '0', resolveAfter: '0' } } });
    h.steady.setCondition(2, notReady(h.nextTime));
    await h.tick(1);
    h.steady.setCondition(2, { type: 'Ready', status: 'True', since: h.nextTime });
    h.publisher.failNext = 1;
    await expect(h.tick(1)).rejects.toBeInstanceOf(PublishError);
    h.minute++;
    await h.tick(1);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });
});

describe('a slow delivery failure', () => {
  test('a firing whose message failed after the next run changed the alert is still sent, before its resolution', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'node-not-ready': { for: '0', resolveAfter: '5m' } } });
    await h.tick(1);
    h.steady.setCondition(2, notReady(h.nextTime));
    // SNS hangs on the first message and fails only after the next minute's evaluation has run.
    let fail!: (e: Error) => void;
    let called!: () => void;
    const publishing = new Promise<void>((r) => (called = r));
    jest.spyOn(h.publisher, 'publish').mockImplementationOnce(() => {
      called();
      return new Promise((_, reject) => (fail = reject));
    });
    const slow = h.tick(1).catch((e: Error) => e);
    await publishing;
    // The next run sees the node Ready again: it changes the alert (the clearance starts) and tells nobody.
    h.steady.setCondition(2, { type: 'Ready', status: 'True', since: h.nextTime });
    const [next] = await h.tick(1);
    expect(next.changes).toEqual([]);
    fail(Object.assign(new Error('SNS timed out'), { name: 'TimeoutError' }));
    expect(await slow).toBeInstanceOf(PublishError);
    await h.tick(10);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });
});

describe('agent silence', () => {
  test('holds and mutes what comes from the agent, and says so, critically, once', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.setCondition(1, notReady(h.nextTime - 10 * MINUTE_MS));
    await h.tick(2);
    expect(h.publisher.of('node-not-ready')).toHaveLength(1);
    h.steady.agentAlive = false;
    const runs = await h.tick(30);
    // No resolution of node-not-ready while blind: silence is not health.
    expect(h.publisher.of('node-not-ready')).toHaveLength(1);
    const silent = h.publisher.of('agent-silent');
    expect(silent.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical']);
    expect(silent[0].summary).toMatch(/has not pushed for/);
    expect(runs[runs.length - 1].blindRules).toContain('node-not-ready');
    // The held alert is muted by the silence; the silence alert is not.
    expect(runs[runs.length - 1]).toMatchObject({ firing: 1, muted: 1 });
    h.steady.agentAlive = true;
    h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
    await h.tick(8);
    expect(h.publisher.of('agent-silent').map((c) => c.kind)).toEqual(['firing', 'resolved']);
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });

  test('a cluster whose agent never reported is not healthy', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    h.steady.agentAlive = false;
    await h.tick(1);
    expect(h.publisher.of('agent-silent')[0].summary).toMatch(/has ever been stored/);
  });
});

describe('EMF metrics', () => {
  test('exactly the metrics of model/metrics.ts, with their units and dimensions', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    // Host figures come with the evaluations that read host metrics: every 5 minutes, CloudWatch's lag behind.
    await h.tick(16);
    const docs = h.emitted.map(
      (l) =>
        JSON.parse(l) as {
          _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
        } & Record<string, unknown>,
    );
    const specs = new Map<string, MetricSpec>(Object.values(METRICS).map((m) => [m.name, m]));
    const seen = new Set<string>();
    for (const d of docs) {
      const [cw] = d._aws.CloudWatchMetrics;
      expect(cw.Namespace).toBe(METRICS_NAMESPACE);
      for (const m of cw.Metrics) {
        const spec = specs.get(m.Name)!;
        expect(spec).toBeDefined();
        expect(m.Unit).toBe(spec.unit);
        expect(cw.Dimensions).toEqual([[...spec.dimensions]]);
        expect(typeof d[m.Name]).toBe('number');
        for (const dim of spec.dimensions) expect(typeof d[dim]).toBe('string');
        seen.add(m.Name);
      }
    }
    // A healthy cluster with fresh data reports every metric but removals, which only a removal reports (aws-events.test.ts).
    expect([...seen].sort()).toEqual([...specs.keys()].filter((k) => k !== METRICS.capacityRemovals.name).sort());
    const cluster = docs.find((d) => d.NodeGroup === undefined)!;
    expect(cluster).toMatchObject({ Cluster: h.steady.cluster, NodesReady: 6, NodesNotReady: 0, AlertsFiring: 0, PodsPending: 0 });
  });

  test("the cluster's own EC2 hosts per node group: their CPU and how many fail a status check", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const failing = h.steady.base.hosts[0];
    h.steady.hostMetrics.set(failing.instanceId, { cpuPct: 95, statusCheckFailed: 1 });
    await h.tick(16);
    // The newest host figures of each node group.
    const groups = [
      ...new Map(
        h.emitted
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((d) => d.HostCpuUsed !== undefined)
          .map((d) => [d.NodeGroup, d]),
      ).values(),
    ];
    expect(groups.map((g) => g.NodeGroup).sort()).toEqual([...new Set(h.steady.base.hosts.map((x) => x.nodeGroup))].sort());
    const withFailing = groups.find((g) => g.NodeGroup === failing.nodeGroup)!;
    const size = h.steady.base.hosts.filter((x) => x.nodeGroup === failing.nodeGroup).length;
    expect(withFailing).toMatchObject({
      Cluster: h.steady.cluster,
      HostsStatusCheckFailed: 1,
      HostCpuUsed: Math.round(((95 + 35 * (size - 1)) / size) * 10) / 10,
    });
    for (const g of groups.filter((x) => x !== withFailing)) expect(g).toMatchObject({ HostsStatusCheckFailed: 0, HostCpuUsed: 35 });
  });

  test('figures Vigil cannot know are left out, not reported as zero', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    await h.tick(1);
    h.steady.agentAlive = false;
    await h.tick(5);
    const cluster = JSON.parse(h.emitted.filter((l) => !l.includes('"NodeGroup"')).pop()!);
    expect(cluster.NodesReady).toBeUndefined();
    expect(cluster.AgentSilence).toBeGreaterThanOrEqual(300);
    expect(cluster.CriticalAlertsFiring).toBe(1);
  });
});

describe('the scheduled handler', () => {
  test('isolates a failing cluster, evaluates the others, then fails naming it', async () => {
    const h = await harness(dynamo, { nodes: 3, rules: { 'node-not-ready': { for: '0' } } });
    h.steady.setCondition(0, notReady(T0));
    await h.steady.write(h.store, T0);
    h.t.clock.set(T0 + 30_000);
    const store = h.t.store();
    const broken: VigilStore = Object.assign(Object.create(store) as VigilStore, {
      listDocuments: async <T>(cluster: string, kind: string) => {
        if (cluster === 'broken') throw new Error('ProvisionedThroughputExceededException');
        return store.listDocuments<T>(cluster, kind);
      },
    });
    const publisher = new CapturingPublisher();
    const handler = createEvaluatorHandler({
      store: broken,
      publisher,
      clock: h.t.clock,
      logger: silentLogger,
      rules: resolveRules({ 'node-not-ready': { for: 0 } }),
      emit: () => undefined,
      clusters: [{ name: 'broken' }, { name: h.steady.cluster }],
    });
    const err = await handler().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect((err as EvaluationError).failures.map((f) => f.cluster)).toEqual(['broken']);
    expect(publisher.of('node-not-ready')).toHaveLength(1);
  });
});

test('alert documents carry the model AlertState fields and resolved ones expire', async () => {
  const h = await harness(dynamo, { nodes: 3, rules: { 'node-not-ready': { for: '0', resolveAfter: '0' } } });
  h.steady.setCondition(0, notReady(h.nextTime));
  await h.tick(1);
  const [firing] = (await h.store.listDocuments<AlertDoc>(h.steady.cluster, 'alert')).filter((d) => d.value.rule === 'node-not-ready');
  expect(firing.value).toMatchObject({
    rule: 'node-not-ready',
    phase: 'firing',
    subject: { cluster: h.steady.cluster, node: h.steady.nodeNames[0] },
    lastNotifiedAt: expect.any(Number),
  });
  expect(firing.id).toBe(firing.value.id);
  h.steady.setCondition(0, { type: 'Ready', status: 'True', since: h.nextTime });
  await h.tick(1);
  expect((await h.store.listDocuments<AlertDoc>(h.steady.cluster, 'alert')).map((d) => `${d.value.rule}:${d.value.phase}`)).toEqual([
    'node-not-ready:resolved',
  ]);
  // Kept for flap detection, then gone (the store skips expired items, as DynamoDB's TTL deletes them).
  h.t.clock.set(h.nextTime + 2 * 60 * MINUTE_MS);
  expect(await h.store.listDocuments(h.steady.cluster, 'alert')).toEqual([]);
});

test('an alert fires again hours after it resolved, while its expired document is still in the table (DynamoDB deletes late)', async () => {
  const h = await harness(dynamo, { nodes: 3 });
  h.steady.setCondition(0, notReady(h.nextTime - 10 * MINUTE_MS));
  await h.tick(2);
  h.steady.setCondition(0, { type: 'Ready', status: 'True', since: h.nextTime });
  await h.tick(8);
  expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  // Three hours later the resolved document has expired, but is still stored, as DynamoDB may keep it for days.
  h.minute += 180;
  await h.tick(1);
  expect(await h.store.listDocuments(h.steady.cluster, 'alert')).toEqual([]);
  expect((await h.t.scan()).filter((i) => i.sk.S?.includes('node-not-ready'))).toHaveLength(1);
  h.steady.setCondition(0, notReady(h.nextTime));
  const runs = await h.tick(7);
  expect(runs.map((r) => r.conflicts)).toEqual(Array(7).fill(0));
  expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing', 'resolved', 'firing']);
});

test("the evaluator's memory and trend documents expire once nothing in them can matter: twice their longest window", async () => {
  const h = await harness(dynamo, { nodes: 3 });
  const [run] = await h.tick(1);
  const at = async (id: string, t: number) => {
    h.t.clock.set(t);
    return h.store.getDocument(h.steady.cluster, 'memory', id);
  };
  // Memory: restarts of the last 24 h are the longest thing it holds.
  expect(await at('evaluator', run.evaluatedAt + 47 * HOUR_MS)).toBeDefined();
  expect(await at('evaluator', run.evaluatedAt + 48 * HOUR_MS + MINUTE_MS)).toBeUndefined();
  // Trend: 6 hours of samples.
  expect(await at('trend', run.evaluatedAt + 11 * HOUR_MS)).toBeDefined();
  expect(await at('trend', run.evaluatedAt + 12 * HOUR_MS + MINUTE_MS)).toBeUndefined();
});
