/**
 * Time-series reads: rollups, node-minutes (host and Kubernetes parts merged, pod specs joined), events,
 * AWS events and the heartbeat, by Query of one partition or BatchGet of computed keys (layout in `keys.ts`).
 */
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AwsEvent } from '../../model/aws-event';
import type {
  CloudRollup,
  ClusterMinute,
  Heartbeat,
  HostNodeMinute,
  KubeEvent,
  NodeMinute,
  WorkloadMinute,
  WorkloadRef,
} from '../../model/domain';
import { nodeJoinOf } from '../../model/domain';
import { containerSample, matchesSelector, type ContainerSample, type ContainerSelector } from '../../model/selector';
import { isoMinute, MINUTE_MS, minuteOf, minutesBetween, type EpochMs, type Minute } from '../../model/time';
import { decode } from './codec';
import type { DynamoTable } from './dynamo';
import {
  awsEventSkFrom,
  daysCovering,
  hoursCovering,
  keyAttributes,
  keys,
  MAX_HOST_PERIOD_MINUTES,
  parseNodeMinuteSk,
  parseRollupSk,
  SK,
  type Key,
} from './keys';
import { joinKubeMinute, remember, type PodSpec, type StoredKubeMinute } from './pod-specs';
import { mergeKubeRollupParts, type StoredRollupPart } from './rollup-parts';

const skMinute = (t: EpochMs): string => isoMinute(t);

export class TimeSeriesReader {
  /** Spec hash → specs. Bounded. */
  private readonly specCache = new Map<string, readonly PodSpec[]>();

  constructor(private readonly table: DynamoTable) {}

  async heartbeat(cluster: string): Promise<Heartbeat | undefined> {
    const out = await this.table.read('GetItem', () =>
      this.table.client.send(
        new GetItemCommand({
          TableName: this.table.tableName,
          Key: keyAttributes(keys.heartbeat(cluster)),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    return out.Item && !this.table.expired(out.Item) ? decode<Heartbeat>(out.Item.d.B!) : undefined;
  }

  /**
   * The clusters with a heartbeat (one item each), sorted. A Scan of the whole table: for a local run's
   * small table (`vigil query` without `--cluster`), never a deployed one.
   */
  async clusters(): Promise<string[]> {
    const heartbeat = keys.heartbeat('');
    const items = await this.table.scan({
      ProjectionExpression: 'pk',
      FilterExpression: 'sk = :hb',
      ExpressionAttributeValues: { ':hb': { S: heartbeat.sk } },
    });
    return items.flatMap((item) => (item.pk.S?.endsWith(heartbeat.pk) ? [item.pk.S.slice(0, -heartbeat.pk.length)] : [])).sort();
  }

  /** Cluster-minute rollups with a minute in [from, to], oldest first. */
  async rollups(cluster: string, from: EpochMs, to: EpochMs): Promise<ClusterMinute[]> {
    const items = (
      await Promise.all(
        daysCovering(from, to).map((d) => this.table.query(keys.rollupPartition(cluster, d), [skMinute(from), `${skMinute(to)}#~`])),
      )
    ).flat();
    const byMinute = new Map<Minute, { kube: StoredRollupPart[]; cloud?: CloudRollup }>();
    for (const item of items) {
      const { minute, part } = parseRollupSk(item[SK].S!);
      const entry = byMinute.get(minute) ?? { kube: [] };
      if (part === 'C') entry.cloud = decode<CloudRollup>(item.d.B!);
      else entry.kube.push(decode(item.d.B!));
      byMinute.set(minute, entry);
    }
    return [...byMinute.entries()]
      .sort(([a], [b]) => a - b)
      .map(([minute, e]) => ({ cluster, minute, kube: mergeKubeRollupParts(e.kube), cloud: e.cloud }));
  }

  /** Every node-minute with a minute in [from, to], host and Kubernetes parts merged, oldest first. */
  async nodeMinutes(cluster: string, from: EpochMs, to: EpochMs): Promise<NodeMinute[]> {
    // Host parts cover up to 5 minutes, so one written shortly before `from` may still cover it.
    const start = minuteOf(from) - (MAX_HOST_PERIOD_MINUTES - 1) * MINUTE_MS;
    const items = (
      await Promise.all(
        hoursCovering(start, to).map((h) => this.table.query(keys.nodePartition(cluster, h), [skMinute(start), `${skMinute(to)}#~`])),
      )
    ).flat();
    return this.mergeNodeItems(cluster, items, minuteOf(from), to);
  }

  /**
   * The Kubernetes parts of one minute's node-minutes: one Query on that minute alone (`nodeMinutes` also
   * reads the four minutes before it for host parts that may cover it). What the evaluator reads each minute.
   */
  async kubeMinutes(cluster: string, minute: Minute): Promise<NodeMinute[]> {
    const m = minuteOf(minute);
    const items = await this.table.query(keys.nodePartition(cluster, m), [skMinute(m), `${skMinute(m)}#~`]);
    return this.mergeNodeItems(
      cluster,
      items.filter((i) => parseNodeMinuteSk(i[SK].S!).part === 'K'),
      m,
      m,
    );
  }

  /** The host parts of these instances at these minutes, by computed keys (BatchGet); absent ones are skipped. */
  async hostParts(cluster: string, instanceIds: readonly string[], minutes: readonly Minute[]): Promise<HostNodeMinute[]> {
    const items = await this.table.batchGet(
      minutes.flatMap((m) => instanceIds.map((id) => keys.nodeMinute(cluster, minuteOf(m), id, 'H'))),
    );
    return items.map((i) => decode<HostNodeMinute>(i.d.B!)).sort((a, b) => a.minute - b.minute);
  }

  /** The rollups and node-minutes of the last `minutes` minutes, the current one included. */
  async latest(cluster: string, minutes: number): Promise<{ rollups: ClusterMinute[]; nodes: NodeMinute[] }> {
    const to = this.table.clock.now();
    const from = minuteOf(to) - (minutes - 1) * MINUTE_MS;
    const [rollups, nodes] = await Promise.all([this.rollups(cluster, from, to), this.nodeMinutes(cluster, from, to)]);
    return { rollups, nodes };
  }

  /**
   * One node's history. `node` is a node name, an instance id, or a node key. Names are resolved to keys
   * through the rollups of the range (a name can be reused by a later instance; each is returned).
   * Reads by computed keys (BatchGet), not by scanning the cluster.
   */
  async nodeHistory(cluster: string, node: string, from: EpochMs, to: EpochMs): Promise<NodeMinute[]> {
    let nodeKeys: string[];
    if (/^i-[0-9a-f]+$/.test(node) || node.startsWith('node/')) nodeKeys = [node];
    else {
      const rollups = await this.rollups(cluster, from, to);
      nodeKeys = [...new Set(rollups.flatMap((r) => (r.kube?.nodes ?? []).filter((n) => n.name === node).map((n) => n.key)))];
      if (nodeKeys.length === 0) return [];
    }
    const start = minuteOf(from) - (MAX_HOST_PERIOD_MINUTES - 1) * MINUTE_MS;
    const wanted: Key[] = [];
    for (let m = start; m <= to; m += MINUTE_MS) {
      for (const k of nodeKeys) {
        if (m >= minuteOf(from)) wanted.push(keys.nodeMinute(cluster, m, k, 'K'));
        wanted.push(keys.nodeMinute(cluster, m, k, 'H'));
      }
    }
    const items = await this.table.batchGet(wanted);
    return this.mergeNodeItems(cluster, items, minuteOf(from), to);
  }

  /** A workload's per-minute figures from the rollups (cheap: one Query per day of range). */
  async workloadHistory(
    cluster: string,
    workload: WorkloadRef,
    from: EpochMs,
    to: EpochMs,
  ): Promise<{ minute: Minute; workload: WorkloadMinute }[]> {
    const rollups = await this.rollups(cluster, from, to);
    return rollups.flatMap((r) => {
      const w = r.kube?.workloads.find((x) => x.namespace === workload.namespace && x.kind === workload.kind && x.name === workload.name);
      return w ? [{ minute: r.minute, workload: w }] : [];
    });
  }

  /** AWS events filed at `from` or later (scheduled changes by their window: see `timelineTime`), oldest first. */
  async awsEvents(cluster: string, from: EpochMs): Promise<AwsEvent[]> {
    const items = await this.table.query(keys.awsEventPartition(cluster), [awsEventSkFrom(from), '~']);
    return items.map((i) => decode<AwsEvent>(i.d.B!));
  }

  /** The newest cloud rollup with a minute in [from, to], by computed keys (one small BatchGet). */
  async newestCloudRollup(cluster: string, from: EpochMs, to: EpochMs): Promise<CloudRollup | undefined> {
    const items = await this.table.batchGet(minutesBetween(minuteOf(from), to).map((m) => keys.rollupCloud(cluster, m)));
    return items.map((i) => decode<CloudRollup>(i.d.B!)).sort((a, b) => b.minute - a.minute)[0];
  }

  /** Events whose last occurrence is in [from, to], deduplicated by (object uid, reason). */
  async events(cluster: string, from: EpochMs, to: EpochMs): Promise<KubeEvent[]> {
    const items = (await Promise.all(daysCovering(from, to).map((d) => this.table.query(keys.eventPartition(cluster, d))))).flat();
    return items
      .map((i) => decode<KubeEvent>(i.d.B!))
      .filter((e) => e.lastSeen >= from && e.lastSeen <= to)
      .sort((a, b) => a.lastSeen - b.lastSeen);
  }

  /**
   * Containers matching `selector` in every minute of [from, to]. Reads the cluster's node-minutes of the
   * range (one Query per hour): about 2 KB per node-minute.
   */
  async selectContainers(cluster: string, selector: ContainerSelector, from: EpochMs, to: EpochMs): Promise<ContainerSample[]> {
    const out: ContainerSample[] = [];
    for (const nm of await this.nodeMinutes(cluster, from, to)) {
      if (!nm.kube) continue;
      for (const p of nm.kube.pods) {
        for (const c of p.containers) {
          const s = containerSample(nm.kube, p, c);
          if (matchesSelector(s, selector)) out.push(s);
        }
      }
    }
    return out;
  }

  private async mergeNodeItems(cluster: string, items: Record<string, AttributeValue>[], from: Minute, to: EpochMs): Promise<NodeMinute[]> {
    const kube = new Map<string, { minute: Minute; key: string; stored: StoredKubeMinute }>();
    const hosts = new Map<string, HostNodeMinute[]>();
    for (const item of items) {
      if (this.table.expired(item)) continue;
      const { minute, nodeKey, part } = parseNodeMinuteSk(item[SK].S!);
      if (part === 'K' && minute >= from)
        kube.set(`${minute}|${nodeKey}`, { minute, key: nodeKey, stored: decode<StoredKubeMinute>(item.d.B!) });
      if (part === 'H') {
        const list = hosts.get(nodeKey) ?? [];
        list.push(decode<HostNodeMinute>(item.d.B!));
        hosts.set(nodeKey, list);
      }
    }
    for (const list of hosts.values()) list.sort((a, b) => a.minute - b.minute);
    const specs = await this.specs(cluster, [...new Set([...kube.values()].map((k) => k.stored.specHash))]);
    const attached = new Set<HostNodeMinute>();
    const out: NodeMinute[] = [];
    for (const k of kube.values()) {
      const covering = (hosts.get(k.key) ?? [])
        .filter((h) => h.minute <= k.minute && k.minute < h.minute + h.periodMinutes * MINUTE_MS)
        .pop();
      if (covering) attached.add(covering);
      const spec = specs.get(k.stored.specHash);
      if (!spec) {
        this.table.log.warn('pod specs missing; node-minute returned without its Kubernetes part', {
          cluster,
          node: k.stored.node.name,
          specHash: k.stored.specHash,
        });
      }
      out.push({
        cluster,
        minute: k.minute,
        key: k.key,
        join: nodeJoinOf(k.key),
        kube: spec ? joinKubeMinute(k.stored, spec) : undefined,
        host: covering,
      });
    }
    // Hosts with no node in any minute they cover (still joining, or broken) are kept, at their own minute.
    for (const [key, list] of hosts) {
      for (const h of list) {
        if (!attached.has(h) && h.minute >= from && h.minute <= to)
          out.push({ cluster, minute: h.minute, key, join: 'instance-without-node', host: h });
      }
    }
    return out.sort((a, b) => a.minute - b.minute || a.key.localeCompare(b.key));
  }

  private async specs(cluster: string, hashes: string[]): Promise<Map<string, readonly PodSpec[]>> {
    const out = new Map<string, readonly PodSpec[]>();
    const missing: string[] = [];
    for (const h of hashes) {
      const cached = this.specCache.get(`${cluster}/${h}`);
      if (cached) out.set(h, cached);
      else missing.push(h);
    }
    if (missing.length) {
      for (const item of await this.table.batchGet(missing.map((h) => keys.specs(cluster, h)))) {
        const specs = decode<PodSpec[]>(item.d.B!);
        out.set(item[SK].S!, specs);
        remember(this.specCache, `${cluster}/${item[SK].S!}`, specs);
      }
    }
    return out;
  }
}
