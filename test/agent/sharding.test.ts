/**
 * Three sharded agent replicas against one loopback cluster (API server with Leases, one HTTPS kubelet per
 * node), pushing to the real ingest handler into dynalite, read by the real evaluator: every node is read
 * exactly once a minute, the cluster-wide lists are sent once, a replica that dies has its nodes taken over,
 * and the evaluator raises nothing through the takeover.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Agent } from '../../agent/agent';
import { shardRules } from '../../agent/deploy/manifests';
import { createAgentRuntime } from '../../agent/runtime';
import { shardOf } from '../../agent/shard';
import { silentLogger } from '../../common/log';
import { resolveRules, ruleOverridesSchema, type ParsedOverrides } from '../../lambdas/evaluator/config';
import { createEvaluator } from '../../lambdas/evaluator/evaluator';
import { startLocalIngest, type LocalIngest } from '../../local/ingest';
import { minuteOf } from '../../model/time';
import { startSimKube, type SimKube } from '../../sim/kube/env';
import { simClusterFrom } from '../../sim/kube/from-synthetic';
import { syntheticCluster } from '../../sim/synthetic';
import { CapturingPublisher } from '../lambdas/evaluator/harness';
import { startTestStore, type TestStore } from '../support/store';
import { agentConfigFor } from './capture-agent';

const T0 = Date.UTC(2026, 11, 5, 4, 0, 0);
const CLUSTER = 'prod-eu-1';
const NODES = 12;

let t: TestStore;
let ingest: LocalIngest;
let kube: SimKube;
let replicas: Record<'a' | 'b' | 'c', Agent>;
let nodeNames: string[];
let sim: ReturnType<typeof simClusterFrom>;

beforeAll(async () => {
  t = await startTestStore(undefined, T0);
  ingest = await startLocalIngest({ store: t.store(), clock: t.clock, logger: silentLogger, cluster: CLUSTER });
  const synthetic = syntheticCluster({ cluster: CLUSTER, nodes: NODES, podsPerNode: 4, now: T0 });
  nodeNames = synthetic.reports.map((r) => r.node.name);
  sim = simClusterFrom(synthetic, t.clock);
  kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: 200 });
  const kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
  const replica = (podName: string) =>
    createAgentRuntime(
      { ...agentConfigFor(CLUSTER, ingest), shards: 3, podName, namespace: 'vigil' },
      { kubeConfig: kc, credentials: ingest.agentCredentials, clock: t.clock, logger: silentLogger },
    );
  replicas = { a: replica('vigil-agent-a'), b: replica('vigil-agent-b'), c: replica('vigil-agent-c') };
  await Promise.all(Object.values(replicas).map((r) => r.watch()));
});

afterAll(async () => {
  await Promise.all(Object.values(replicas ?? {}).map((r) => r.stop()));
  await kube?.close();
  await ingest?.functionUrl.close();
  await t?.dynamo.close();
});

/** Summary reads per node so far. */
const reads = () => new Map(nodeNames.map((n) => [n, kube.kubelets.requests.get(n) ?? 0]));

/**
 * One minute: the live replicas sync their leases every 10 s (30-s leases) and, 50 s in, those still
 * cycling read and push; then the evaluator runs. Returns each node's summary reads in that minute.
 */
async function minute(live: readonly Agent[], cycling: readonly Agent[] = live): Promise<{ minute: number; reads: number[] }> {
  for (let i = 0; i < 5; i++) {
    for (const r of live) await r.syncShards();
    t.clock.advance(10_000);
  }
  const before = reads();
  const at = t.clock.now();
  for (const r of cycling) await r.cycle();
  const after = reads();
  t.clock.advance(10_000);
  return { minute: minuteOf(at), reads: nodeNames.map((n) => after.get(n)! - before.get(n)!) };
}

describe('a sharded agent: three replicas, one cluster', () => {
  it("reads every node once a minute, sends the cluster-wide lists once, takes over a dead replica's nodes, and the evaluator raises nothing through it", async () => {
    const { a, b, c } = replicas;
    const store = t.store();
    const publisher = new CapturingPublisher();
    // No collector runs here: its own rule is off, every rule about the cluster is on.
    const rules = resolveRules(ruleOverridesSchema.parse({ 'collector-failing': { enabled: false } }) as ParsedOverrides);
    const evaluator = createEvaluator({ store, publisher, clock: t.clock, logger: silentLogger, rules, emit: () => undefined });
    const minutes: { minute: number; reads: number[] }[] = [];

    // Three minutes with every replica: each node read once a minute, stored once, the rollup whole.
    for (let m = 0; m < 3; m++) {
      if (m === 1) {
        // A Warning event every replica sees: sent once, by the holder of shard 0.
        const pod = sim.podModels.values().next().value!;
        sim.emitEvent({
          involvedObject: { kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
          reason: 'Unhealthy',
          type: 'Warning',
          message: 'Liveness probe failed',
        });
        for (const r of [a, b, c]) expect(await r.caughtUp(sim.resourceVersion)).toBe(true);
      }
      minutes.push(await minute([a, b, c]));
      await evaluator.evaluateCluster(CLUSTER);
    }
    const [withEvent] = await store.rollups(CLUSTER, minutes[1].minute, minutes[1].minute);
    expect(withEvent.kube!.events.filter((e) => e.reason === 'Unhealthy')).toHaveLength(1);
    for (const m of minutes.slice(1)) {
      expect(m.reads).toEqual(nodeNames.map(() => 1));
      const [rollup] = await store.rollups(CLUSTER, m.minute, m.minute);
      expect(rollup.kube?.partial).toBeUndefined();
      // A node in two shards would be here twice.
      expect(rollup.kube!.nodes.map((n) => n.name).sort()).toEqual([...nodeNames].sort());
      expect((await store.kubeMinutes(CLUSTER, m.minute)).map((n) => n.kube?.node.name).sort()).toEqual([...nodeNames].sort());
      // Workloads once: each Deployment's pods counted once, with its desired count from shard 0.
      for (const w of rollup.kube!.workloads.filter((x) => x.kind === 'Deployment')) expect(w.pods).toBeLessThanOrEqual(w.desired ?? 0);
    }
    expect(publisher.changes).toEqual([]);

    // a, which holds shard 0 (what is cluster-wide), crashes in minute 3 after renewing its lease, before its
    // cycle: its shard is missing from minute 3.
    const holderOf = (shard: number) =>
      kube.api.leases.all().find((l) => (l.metadata as { name: string }).name === `vigil-agent-shard-${shard}`)?.spec as {
        holderIdentity?: string;
      };
    expect(holderOf(0).holderIdentity).toBe('vigil-agent-a');
    const aNodes = nodeNames.filter((n) => shardOf(n, 3) === 0);
    expect(aNodes.length).toBeGreaterThan(0);
    minutes.push(await minute([a, b, c], [b, c]));
    const gap = minutes[3];
    expect(gap.reads.filter((r) => r === 0).length).toBe(aNodes.length);
    const [partial] = await store.rollups(CLUSTER, gap.minute, gap.minute);
    expect(partial.kube?.partial).toEqual({ parts: 2, count: 3 });
    // The evaluator reads the last complete minute instead: nothing is raised about a's nodes.
    const during = await evaluator.evaluateCluster(CLUSTER);
    expect(during.blindRules).not.toContain('agent-silent');
    expect(publisher.changes).toEqual([]);

    // Minute 4: b or c takes a's shard over once its lease ran out; every node is read once again, and the
    // workloads (cluster-wide, shard 0) are told by the new holder.
    for (let m = 4; m < 7; m++) {
      minutes.push(await minute([b, c]));
      await evaluator.evaluateCluster(CLUSTER);
      expect(minutes[m].reads).toEqual(nodeNames.map(() => 1));
      const [rollup] = await store.rollups(CLUSTER, minutes[m].minute, minutes[m].minute);
      expect(rollup.kube?.partial).toBeUndefined();
      expect(rollup.kube!.nodes.map((n) => n.name).sort()).toEqual([...nodeNames].sort());
      expect(rollup.kube!.workloads.filter((w) => w.desired !== undefined).length).toBeGreaterThan(0);
    }
    expect(['vigil-agent-b', 'vigil-agent-c']).toContain(holderOf(0).holderIdentity);
    expect(publisher.changes).toEqual([]);

    // A node's condition changes: only the replica reading it sends the change batch, so the node-minute keeps
    // the figures that replica read (another's batch, without them, would replace it).
    const node = nodeNames[0];
    t.clock.advance(1000);
    for (const r of [b, c]) await r.syncShards();
    sim.setNodeCondition(node, 'MemoryPressure', 'True', { reason: 'KubeletHasInsufficientMemory' });
    for (const r of [b, c]) expect(await r.caughtUp(sim.resourceVersion)).toBe(true);
    // The debounce (50 ms, real time) may have sent it already.
    for (const r of [b, c]) await r.sendChanges();
    expect(b.counters.changeBatches + c.counters.changeBatches).toBe(1);
    const [changed] = (await store.kubeMinutes(CLUSTER, t.clock.now())).filter((n) => n.kube?.node.name === node);
    expect(changed.kube!.node.conditions.find((x) => x.type === 'MemoryPressure')?.status).toBe('True');
    expect(changed.kube!.stats?.memoryWorkingSetBytes).toBeGreaterThan(0);

    // Every lease call the replicas made is one the manifest's Role allows.
    const [create, named] = shardRules(3) as { resourceNames?: string[] }[];
    expect(create).toMatchObject({ verbs: ['create'] });
    const calls = kube.api.requests.filter((r) => r.path.startsWith('/apis/coordination.k8s.io/'));
    expect(calls.length).toBeGreaterThan(0);
    for (const r of calls) {
      const name = /\/namespaces\/vigil\/leases(?:\/(.+))?$/.exec(r.path);
      expect(name).not.toBeNull();
      if (r.method === 'POST') expect(name![1]).toBeUndefined();
      else expect(named.resourceNames).toContain(name![1]);
    }
  });

  it("releases a stopping replica's shards at once (a rollout), and the others take them at their next renews", async () => {
    const { b, c } = replicas;
    const held = (id: string) => kube.api.leases.all().filter((l) => (l.spec as { holderIdentity?: string }).holderIdentity === id).length;
    expect(held('vigil-agent-c')).toBeGreaterThan(0);
    await c.stop();
    expect(held('vigil-agent-c')).toBe(0);
    // b holds shards already, so it waits half a lease (15 s) for an idle replica to go first.
    const got = await minute([b]);
    expect(got.reads).toEqual(nodeNames.map(() => 1));
    expect(held('vigil-agent-b')).toBe(3);
    await b.syncShards();
    for (const shard of [0, 1, 2]) expect(b.metrics()).toContain(`vigil_agent_shard_held{shard="${shard}"} 1`);
  });
});
