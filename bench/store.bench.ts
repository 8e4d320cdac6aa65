/**
 * The store's figures for the reference cluster (50 nodes, 1,500 pods, ~3,000 containers, one sample a
 * minute), measured on dynalite through the real SDK: write units come from `ConsumedCapacity`.
 */
import { startDynalite } from '../local/dynalite';
import { kubeRollupOf } from '../lambdas/ingest/rollup';
import { decode, encode } from '../lambdas/store/codec';
import { joinKubeMinute, splitKubeMinute } from '../lambdas/store/pod-specs';
import { VigilStore } from '../lambdas/store/store';
import type { CloudRollup, KubeNodeMinute } from '../model/domain';
import { ManualClock, MINUTE_MS, minuteOf } from '../model/time';
import { replacePods, syntheticBatch, syntheticCluster, syntheticHostMinutes, syntheticKubeMinutes } from '../sim/synthetic';
import { MINUTES_PER_MONTH, PRICES } from './prices';
import { cpuMs, type BenchSection } from './report';

const NODES = 50;
const RETENTION_DAYS = 14;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);

export async function bench(): Promise<BenchSection> {
  const dynamo = await startDynalite();
  try {
    await dynamo.createTable('bench');
    const clock = new ManualClock(T0);
    const store = new VigilStore({ client: dynamo.client, tableName: 'bench', clock, retentionDays: RETENTION_DAYS });
    let cluster = syntheticCluster({ nodes: NODES, podsPerNode: 30 });
    const pods = cluster.reports.reduce((a, r) => a + r.pods.length, 0);
    const containers = cluster.reports.reduce((a, r) => a + r.pods.reduce((b, p) => b + p.containers.length, 0), 0);
    const cloud = (minute: number): CloudRollup => ({
      minute,
      collectedAt: minute + 20_000,
      cluster: { name: cluster.cluster, status: 'ACTIVE', version: '1.33', platformVersion: 'eks.12' },
      nodeGroups: ['general', 'spot-general'].map((name) => ({
        name,
        kind: 'managed',
        status: 'ACTIVE',
        scaling: { min: 3, max: 60, desired: 25 },
        autoScalingGroups: [`eks-${name}-5ec8a1b2-0`],
        healthIssues: [],
      })),
      autoScalingGroups: ['general', 'spot-general'].map((g) => ({
        name: `eks-${g}-5ec8a1b2-0`,
        nodeGroup: g,
        min: 3,
        max: 60,
        desired: 25,
        inService: 25,
        pending: 0,
        terminating: 0,
        standby: 0,
        instances: cluster.hosts
          .filter((h) => h.nodeGroup === g)
          .map((h) => ({
            instanceId: h.instanceId,
            lifecycleState: 'InService',
            healthStatus: 'Healthy' as const,
            zone: h.zone,
            instanceType: h.instanceType,
          })),
      })),
      scalingActivities: [],
      hosts: cluster.hosts,
      failures: [],
    });

    /** Writes one minute the way ingest and the collector will: both node parts and both rollup halves. */
    const writeMinute = async (t: number, hostEvery: number) => {
      const before = store.capacity.writeUnits;
      const batch = syntheticBatch(cluster, t);
      const minutes: KubeNodeMinute[] = syntheticKubeMinutes(cluster, t);
      await store.putKubeMinutes(cluster.cluster, minutes);
      await store.putKubeRollup(cluster.cluster, kubeRollupOf(batch));
      await store.putHeartbeat({ cluster: cluster.cluster, lastSeen: t, agent: batch.agent });
      if ((minuteOf(t) / MINUTE_MS) % hostEvery === 0) {
        await store.putHostMinutes(
          cluster.cluster,
          syntheticHostMinutes(cluster, minuteOf(t)).map((h) => ({ ...h, periodMinutes: hostEvery })),
        );
      }
      await store.putCloudRollup(cluster.cluster, cloud(minuteOf(t)));
      return store.capacity.writeUnits - before;
    };

    const cold = await writeMinute(T0, 1);
    let steady = 0;
    for (let i = 1; i <= 10; i++) steady += await writeMinute(T0 + i * MINUTE_MS, 1);
    steady /= 10;
    let basic = 0;
    for (let i = 11; i <= 20; i++) basic += await writeMinute(T0 + i * MINUTE_MS, 5);
    basic /= 10;
    const churnNodes = Math.round(NODES / 10);
    let churned = 0;
    for (let i = 21; i <= 30; i++) {
      cluster = replacePods(cluster, T0 + i * MINUTE_MS, churnNodes);
      churned += await writeMinute(T0 + i * MINUTE_MS, 1);
    }
    churned /= 10;

    // Sizes of what is stored.
    const sample = syntheticKubeMinutes(cluster, T0);
    const split = sample.map(splitKubeMinute);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const kBytes = avg(split.map((s) => encode(s.minute).length));
    const specBytes = avg(split.map((s) => encode(s.specs).length));
    const jsonBytes = avg(sample.map((k) => Buffer.byteLength(JSON.stringify(k))));
    const hostBytes = avg(syntheticHostMinutes(cluster, minuteOf(T0)).map((h) => encode(h).length));
    const rollupBytes = encode({ part: { index: 0, count: 1 }, rollup: kubeRollupOf(syntheticBatch(cluster, T0)) }).length;

    // Encode and decode throughput, container-samples per CPU-second (one core: this process is single-threaded).
    const rounds = 20;
    const enc = await cpuMs(() => {
      let out: Buffer[] = [];
      for (let r = 0; r < rounds; r++)
        out = sample.map((k) => {
          const s = splitKubeMinute(k);
          encode(s.specs);
          return encode(s.minute);
        });
      return out;
    });
    const specsEncoded = split.map((s) => encode(s.specs));
    const dec = await cpuMs(() => {
      for (let r = 0; r < rounds; r++) enc.result.forEach((b, i) => joinKubeMinute(decode(b), decode(specsEncoded[i])));
    });
    const samplesPerRound = containers;

    // Reading a 15-minute window, as the evaluator will each minute.
    const reads = new VigilStore({ client: dynamo.client, tableName: 'bench', clock, retentionDays: RETENTION_DAYS });
    const window = await reads.nodeMinutes(cluster.cluster, T0 + 16 * MINUTE_MS, T0 + 30 * MINUTE_MS);
    const windowReadUnits = reads.capacity.readUnits;

    const monthlyWrites = (wru: number) => (wru * MINUTES_PER_MONTH * PRICES.dynamodb.perMillionWriteUnits) / 1e6;
    const storedGb = ((kBytes + hostBytes + 120) * NODES * 1440 * RETENTION_DAYS + rollupBytes * 1440 * RETENTION_DAYS) / 1e9;
    return {
      component: 'store (DynamoDB)',
      setup: `synthetic cluster: ${NODES} nodes, ${pods} pods, ${containers} containers, 1 sample/minute, dynalite via the AWS SDK, ${RETENTION_DAYS}-day retention`,
      figures: [
        { name: 'write units per minute, steady (host parts at 1-minute period)', value: round(steady), unit: 'WRU', budget: { max: 250 } },
        {
          name: `write units per minute, ${churnNodes} nodes change a pod each minute`,
          value: round(churned),
          unit: 'WRU',
          budget: { max: 250 },
        },
        { name: 'write units per minute, host parts at 5-minute period (EC2 basic monitoring)', value: round(basic), unit: 'WRU' },
        { name: 'write units, first minute (every pod spec written)', value: round(cold), unit: 'WRU' },
        { name: 'node-minute Kubernetes item (K), encoded', value: Math.round(kBytes), unit: 'bytes' },
        { name: 'pod specs of a node (written when they change), encoded', value: Math.round(specBytes), unit: 'bytes' },
        { name: 'the same node-minute as JSON', value: Math.round(jsonBytes), unit: 'bytes' },
        { name: 'node-minute host item (H), encoded', value: Math.round(hostBytes), unit: 'bytes' },
        { name: 'cluster-minute Kubernetes rollup, encoded', value: rollupBytes, unit: 'bytes' },
        { name: 'read units for a 15-minute window of node-minutes', value: round(windowReadUnits), unit: 'RRU' },
        { name: 'node-minutes returned by that window', value: window.length, unit: 'items' },
        {
          name: 'encode throughput (split + encode)',
          value: Math.round((samplesPerRound * rounds) / (enc.ms / 1000)),
          unit: 'container-samples/s',
        },
        {
          name: 'decode throughput (decode + join)',
          value: Math.round((samplesPerRound * rounds) / (dec.ms / 1000)),
          unit: 'container-samples/s',
        },
        { name: 'monthly DynamoDB writes, steady', value: round(monthlyWrites(steady)), unit: 'USD' },
        { name: 'monthly DynamoDB writes, with that churn', value: round(monthlyWrites(churned)), unit: 'USD' },
        {
          name: `monthly DynamoDB storage (${RETENTION_DAYS} days kept)`,
          value: round(storedGb * PRICES.dynamodb.perGbMonth),
          unit: 'USD',
        },
      ],
      notes: [
        'dynalite counts read units as strongly consistent (1 per 4 KB); the store reads eventually consistent, which DynamoDB bills at half that.',
        'storage ignores the 25 GB DynamoDB gives free each month.',
      ],
    };
  } finally {
    await dynamo.close();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
