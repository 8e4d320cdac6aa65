/**
 * The DynamoDB store every component reads and writes (layout in `keys.ts`, reasons in
 * docs/architecture.md). Used by ingest, the collector, the evaluator and the CLI, against DynamoDB in AWS
 * and dynalite locally.
 *
 * - Two writers, no read-modify-write: ingest writes a node-minute's Kubernetes part (`K`), the collector
 *   its host part (`H`), as sibling items that reads merge. An UpdateItem is billed for the whole item, so
 *   siblings are cheaper than two writers SETting attributes of one item.
 * - Idempotent: the same input twice writes the same items.
 * - No silent loss: batch paths retry `UnprocessedItems` and throttling with backoff; what still fails is
 *   returned in the `WriteReport`, item by item, for the caller to report or retry.
 * - Every request asks for `ReturnConsumedCapacity`; `capacity` has the running totals.
 * - TTL (`expiresAt`) on everything but live alert state; reads skip expired items and a document's first
 *   write overwrites one, because DynamoDB deletes them up to days late and dynalite never does.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type ConsumedCapacity,
  type PutItemCommandInput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { defaultRetryPolicy, backoffMs, isRetryable, type RetryPolicy } from '../../common/retry';
import { silentLogger, type Logger } from '../../common/log';
import type {
  CloudRollup,
  ClusterMinute,
  Heartbeat,
  HostNodeMinute,
  KubeEvent,
  KubeNodeMinute,
  KubeRollup,
  NodeMinute,
  WorkloadMinute,
  WorkloadRef,
} from '../../model/domain';
import { nodeJoinOf, nodeKeyOf } from '../../model/domain';
import { containerSample, matchesSelector, type ContainerSample, type ContainerSelector } from '../../model/selector';
import { isoMinute, MINUTE_MS, minuteOf, minutesBetween, systemClock, type Clock, type EpochMs, type Minute } from '../../model/time';
import { decode, encode } from './codec';
import { timelineTime, type AwsEvent } from '../../model/aws-event';
import {
  awsEventSkFrom,
  daysCovering,
  hoursCovering,
  keyAttributes,
  keys,
  keyText,
  parseNodeMinuteSk,
  parseRollupSk,
  PK,
  SK,
  TTL_ATTRIBUTE,
  type Key,
} from './keys';
import { joinKubeMinute, splitKubeMinute, type PodSpec, type StoredKubeMinute } from './pod-specs';

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Host parts cover at most this many minutes (basic monitoring's 5-minute period). */
const MAX_HOST_PERIOD_MINUTES = 5;
/** Specs are rewritten this often so their TTL always outlives the minutes that point at them. */
const SPEC_REFRESH_MS = 86_400_000;
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
const PARALLEL_REQUESTS = 8;

export interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long node-minutes, rollups and events are kept. @default 14 */
  readonly retentionDays?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Retries above the SDK's own. @default 8 attempts, 50 ms base, 2 s cap, full jitter */
  readonly retry?: Partial<RetryPolicy>;
  /** @default silent */
  readonly logger?: Logger;
}

export interface WriteFailure {
  /** `pk / sk` of the item that could not be written. */
  readonly key: string;
  readonly reason: string;
  /** Retrying cannot help: refused before sending (a key or the item over DynamoDB's limits, not encodable) or by DynamoDB as invalid. */
  readonly permanent?: boolean;
}

export interface WriteReport {
  readonly written: number;
  /** Conditional writes that found newer or equal data already stored (duplicates, late arrivals). */
  readonly skipped: number;
  readonly failed: readonly WriteFailure[];
}

export interface CapacityTotals {
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly requests: Readonly<Record<string, number>>;
}

export class ItemTooLargeError extends Error {
  override readonly name = 'ItemTooLargeError';
}

export interface StoredDocument<T> {
  readonly id: string;
  readonly value: T;
  readonly version: number;
}

/** An item to write, with a human-readable description for failure reports. */
interface PendingItem {
  readonly key: Key;
  readonly what: string;
  readonly value: unknown;
  /** The time the data is about; the TTL counts from it. */
  readonly dataTime: EpochMs;
  /** Stored as `at`; a conditional put keeps a later one. */
  readonly collectedAt?: EpochMs;
  /** The pod specs a node-minute points at, or that a spec item holds. */
  readonly specHash?: string;
  /** Events: written when new or their count grew. */
  readonly count?: number;
  /** Events and the heartbeat: never back in time. */
  readonly lastSeen?: EpochMs;
  /** Built and checked, once planned. */
  readonly item?: Record<string, AttributeValue>;
}

/**
 * A set of writes, each item already built and checked: `specs` go first by BatchWrite, then `newer`
 * (conditional on collection time) and `counted` (events, heartbeat) as conditional puts. `refused` are
 * items that can never be stored.
 */
interface WritePlan {
  readonly specs: readonly PendingItem[];
  readonly newer: readonly PendingItem[];
  readonly counted: readonly PendingItem[];
  readonly refused: readonly WriteFailure[];
}

const EMPTY_PLAN: WritePlan = { specs: [], newer: [], counted: [], refused: [] };

/** Which part of a split full batch a rollup part comes from. */
export interface RollupPart {
  readonly index: number;
  readonly count: number;
}
const WHOLE: RollupPart = { index: 0, count: 1 };

/** A rollup part as stored: which part of its batch, which shard of a sharded agent, and its fields. */
export interface StoredRollupPart {
  readonly part: RollupPart;
  readonly shard?: RollupPart;
  readonly rollup: KubeRollup;
}

/** What ingest writes for one agent batch. */
export interface KubeBatchWrite {
  readonly minutes: readonly KubeNodeMinute[];
  /** Full batches only: change batches leave the rollup to the full ones. */
  readonly rollup?: { readonly rollup: KubeRollup; readonly part?: RollupPart; readonly shard?: RollupPart };
  readonly events: readonly KubeEvent[];
  readonly heartbeat: Heartbeat;
}

export class VigilStore {
  readonly tableName: string;
  readonly retentionDays: number;
  private readonly client: DynamoDBClient;
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private readonly totals = { writeUnits: 0, readUnits: 0, requests: {} as Record<string, number> };
  /** Spec hash → when this process last wrote it. Bounded; a miss costs one idempotent rewrite. */
  private readonly writtenSpecs = new Map<string, EpochMs>();
  /** Spec hash → specs, for reads. Bounded. */
  private readonly specCache = new Map<string, readonly PodSpec[]>();

  constructor(opts: StoreOptions) {
    if (!opts.tableName) throw new Error('VigilStore: tableName is required');
    const retention = opts.retentionDays ?? 14;
    if (!Number.isInteger(retention) || retention < 1 || retention > 3650) {
      throw new Error(`VigilStore: retentionDays must be an integer from 1 to 3650, got ${opts.retentionDays}`);
    }
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.retentionDays = retention;
    this.clock = opts.clock ?? systemClock;
    this.retry = { ...defaultRetryPolicy, ...opts.retry };
    this.log = opts.logger ?? silentLogger;
  }

  /** Write and read units consumed by this store instance so far, and requests by operation. */
  get capacity(): CapacityTotals {
    return { ...this.totals, requests: { ...this.totals.requests } };
  }

  // -------------------------------------------------------------------------------------------------
  // Writes
  // -------------------------------------------------------------------------------------------------

  /**
   * Writes everything one agent batch carries (ingest): node-minutes, the rollup part, events, heartbeat.
   * Every item is encoded and checked against DynamoDB's limits first; if any can never be stored, nothing
   * is written and the report lists them (`permanent`), so a batch the agent must drop leaves no half of it
   * behind.
   */
  async putKubeBatch(cluster: string, batch: KubeBatchWrite, deadline?: EpochMs): Promise<WriteReport> {
    const plans = [
      this.planKubeMinutes(cluster, batch.minutes),
      batch.rollup ? this.planKubeRollup(cluster, batch.rollup.rollup, batch.rollup.part ?? WHOLE, batch.rollup.shard) : EMPTY_PLAN,
      this.planEvents(cluster, batch.events),
      this.planHeartbeat(batch.heartbeat),
    ];
    const plan: WritePlan = {
      specs: plans.flatMap((p) => p.specs),
      newer: plans.flatMap((p) => p.newer),
      counted: plans.flatMap((p) => p.counted),
      refused: plans.flatMap((p) => p.refused),
    };
    if (plan.refused.length) return { written: 0, skipped: 0, failed: plan.refused };
    return this.write(plan, deadline);
  }

  /**
   * Writes the Kubernetes part of node-minutes (ingest). Pod specs that this process has not written
   * recently are written first, so a minute never points at a spec that is not stored. A part collected
   * before the one stored for the same minute is `skipped`: batches can land out of order (a slow invocation
   * finishing after the agent's retry and its next batch, two agent pods during a rollout).
   */
  async putKubeMinutes(cluster: string, minutes: readonly KubeNodeMinute[]): Promise<WriteReport> {
    return this.write(this.planKubeMinutes(cluster, minutes));
  }

  /**
   * Writes the Kubernetes fields of a cluster-minute rollup (ingest). A full batch split into parts writes
   * one rollup part per batch part; reads merge the parts of the newest cycle. Like node-minutes, a part
   * collected before the one stored is `skipped`.
   */
  async putKubeRollup(cluster: string, rollup: KubeRollup, part: RollupPart = WHOLE): Promise<WriteReport> {
    return this.write(this.planKubeRollup(cluster, rollup, part));
  }

  /** Writes the host part of node-minutes (collector). Rewriting a minute with later data replaces it. */
  async putHostMinutes(cluster: string, minutes: readonly HostNodeMinute[]): Promise<WriteReport> {
    const items = minutes.map((h): PendingItem => {
      if (!Number.isInteger(h.periodMinutes) || h.periodMinutes < 1 || h.periodMinutes > MAX_HOST_PERIOD_MINUTES) {
        throw new Error(`host ${h.host.instanceId}: periodMinutes must be 1 to ${MAX_HOST_PERIOD_MINUTES}, got ${h.periodMinutes}`);
      }
      const key = keys.nodeMinute(cluster, minuteOf(h.minute), h.host.instanceId, 'H');
      return { key, what: `host ${h.host.instanceId} at ${isoMinute(h.minute)}`, value: h, dataTime: h.minute, collectedAt: h.collectedAt };
    });
    return this.batchPut(items);
  }

  /** Writes the cloud fields of a cluster-minute rollup (collector). */
  async putCloudRollup(cluster: string, rollup: CloudRollup): Promise<WriteReport> {
    const key = keys.rollupCloud(cluster, minuteOf(rollup.minute));
    return this.batchPut([{ key, what: `cloud rollup at ${isoMinute(rollup.minute)}`, value: rollup, dataTime: rollup.minute, collectedAt: rollup.collectedAt }]);
  }

  /**
   * Stores events deduplicated by (object uid, reason) per day: an event is written when it is new or its
   * count grew; a repeat delivery is `skipped`.
   */
  async putEvents(cluster: string, events: readonly KubeEvent[]): Promise<WriteReport> {
    return this.write(this.planEvents(cluster, events));
  }

  /**
   * Files AWS events on the cluster's timeline. Idempotent: an event delivered twice (EventBridge delivers at
   * least once) is the same item, and a Health event's update replaces the item of its window.
   */
  async putAwsEvents(cluster: string, events: readonly AwsEvent[]): Promise<WriteReport> {
    return this.batchPut(
      events.map((e) => {
        const t = timelineTime(e);
        return { key: keys.awsEvent(cluster, t, e.kind, e.id), what: `AWS event ${e.kind} ${e.id}`, value: e, dataTime: t };
      }),
    );
  }

  /** Records the agent's last sign of life; an older heartbeat never replaces a newer one. */
  async putHeartbeat(hb: Heartbeat): Promise<WriteReport> {
    return this.write(this.planHeartbeat(hb));
  }

  // -------------------------------------------------------------------------------------------------
  // Versioned documents: alert state, notification log, collector watermarks
  // -------------------------------------------------------------------------------------------------

  async getDocument<T>(cluster: string, kind: string, id: string): Promise<StoredDocument<T> | undefined> {
    const out = await this.read('GetItem', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keyAttributes(keys.document(cluster, kind, id)), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' })),
    );
    return out.Item && !this.expired(out.Item) ? toDocument<T>(out.Item) : undefined;
  }

  async listDocuments<T>(cluster: string, kind: string): Promise<StoredDocument<T>[]> {
    const items = await this.query(keys.documentPartition(cluster, kind), undefined, true);
    return items.map((i) => toDocument<T>(i));
  }

  /**
   * Writes a document if nobody else changed it since it was read: `expectedVersion` is the version read
   * (`undefined` = must not exist yet, or have expired). Returns the new version, or `undefined` on a conflict. Two
   * overlapping evaluator runs therefore never both win the same transition.
   */
  async putDocument<T>(
    cluster: string,
    kind: string,
    id: string,
    value: T,
    expectedVersion: number | undefined,
    opts: { readonly expiresAt?: EpochMs } = {},
  ): Promise<number | undefined> {
    const version = (expectedVersion ?? 0) + 1;
    const key = keys.document(cluster, kind, id);
    const item: Record<string, AttributeValue> = { ...keyAttributes(key), d: { B: encode(value) }, version: { N: String(version) } };
    if (opts.expiresAt !== undefined) item[TTL_ATTRIBUTE] = { N: String(Math.floor(opts.expiresAt / 1000)) };
    checkSize(item, `document ${kind}/${id}`);
    const r = await this.conditional('PutItem', keyText(key), () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ...(expectedVersion === undefined ? this.absentOrExpired() : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } } }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (r === 'written') return version;
    if (r === 'skipped') return undefined;
    throw new Error(`document ${kind}/${id}: ${r.reason}`);
  }

  /**
   * The condition of a first write: no item, or an expired one. DynamoDB deletes expired items only within
   * days (dynalite never), and reads already treat them as absent; a write that did not would conflict with
   * a ghost forever (an alert that resolved could never fire again).
   */
  private absentOrExpired() {
    return {
      ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
      ExpressionAttributeNames: { '#exp': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': { N: String(this.clock.now() / 1000) } },
    };
  }

  /** Deletes a document if it is still at `expectedVersion`; false on a conflict. */
  async deleteDocument(cluster: string, kind: string, id: string, expectedVersion: number): Promise<boolean> {
    const key = keys.document(cluster, kind, id);
    const r = await this.conditional('DeleteItem', keyText(key), () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: keyAttributes(key),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (typeof r === 'object') throw new Error(`document ${kind}/${id}: ${r.reason}`);
    return r === 'written';
  }

  // -------------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------------

  async heartbeat(cluster: string): Promise<Heartbeat | undefined> {
    const out = await this.read('GetItem', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keyAttributes(keys.heartbeat(cluster)), ReturnConsumedCapacity: 'TOTAL' })),
    );
    return out.Item && !this.expired(out.Item) ? decode<Heartbeat>(out.Item.d.B!) : undefined;
  }

  /** Cluster-minute rollups with a minute in [from, to], oldest first. */
  async rollups(cluster: string, from: EpochMs, to: EpochMs): Promise<ClusterMinute[]> {
    const items = (
      await Promise.all(
        daysCovering(from, to).map((d) =>
          this.query(keys.rollupPartition(cluster, d), [skMinute(from), `${skMinute(to)}#~`]),
        ),
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
        hoursCovering(start, to).map((h) => this.query(keys.nodePartition(cluster, h), [skMinute(start), `${skMinute(to)}#~`])),
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
    const items = await this.query(keys.nodePartition(cluster, m), [skMinute(m), `${skMinute(m)}#~`]);
    return this.mergeNodeItems(cluster, items.filter((i) => parseNodeMinuteSk(i[SK].S!).part === 'K'), m, m);
  }

  /** The host parts of these instances at these minutes, by computed keys (BatchGet); absent ones are skipped. */
  async hostParts(cluster: string, instanceIds: readonly string[], minutes: readonly Minute[]): Promise<HostNodeMinute[]> {
    const items = await this.batchGet(minutes.flatMap((m) => instanceIds.map((id) => keys.nodeMinute(cluster, minuteOf(m), id, 'H'))));
    return items.map((i) => decode<HostNodeMinute>(i.d.B!)).sort((a, b) => a.minute - b.minute);
  }

  /** The rollups and node-minutes of the last `minutes` minutes, the current one included. */
  async latest(cluster: string, minutes: number): Promise<{ rollups: ClusterMinute[]; nodes: NodeMinute[] }> {
    const to = this.clock.now();
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
    const items = await this.batchGet(wanted);
    return this.mergeNodeItems(cluster, items, minuteOf(from), to);
  }

  /** A workload's per-minute figures from the rollups (cheap: one Query per day of range). */
  async workloadHistory(cluster: string, workload: WorkloadRef, from: EpochMs, to: EpochMs): Promise<{ minute: Minute; workload: WorkloadMinute }[]> {
    const rollups = await this.rollups(cluster, from, to);
    return rollups.flatMap((r) => {
      const w = r.kube?.workloads.find((x) => x.namespace === workload.namespace && x.kind === workload.kind && x.name === workload.name);
      return w ? [{ minute: r.minute, workload: w }] : [];
    });
  }

  /** AWS events filed at `from` or later (scheduled changes by their window: see `timelineTime`), oldest first. */
  async awsEvents(cluster: string, from: EpochMs): Promise<AwsEvent[]> {
    const items = await this.query(keys.awsEventPartition(cluster), [awsEventSkFrom(from), '~']);
    return items.map((i) => decode<AwsEvent>(i.d.B!));
  }

  /** The newest cloud rollup with a minute in [from, to], by computed keys (one small BatchGet). */
  async newestCloudRollup(cluster: string, from: EpochMs, to: EpochMs): Promise<CloudRollup | undefined> {
    const items = await this.batchGet(minutesBetween(minuteOf(from), to).map((m) => keys.rollupCloud(cluster, m)));
    return items.map((i) => decode<CloudRollup>(i.d.B!)).sort((a, b) => b.minute - a.minute)[0];
  }

  /** Events whose last occurrence is in [from, to], deduplicated by (object uid, reason). */
  async events(cluster: string, from: EpochMs, to: EpochMs): Promise<KubeEvent[]> {
    const items = (await Promise.all(daysCovering(from, to).map((d) => this.query(keys.eventPartition(cluster, d))))).flat();
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

  // -------------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------------

  private planKubeMinutes(cluster: string, minutes: readonly KubeNodeMinute[]): WritePlan {
    const now = this.clock.now();
    const specs = new Map<string, PendingItem>();
    const newer: PendingItem[] = [];
    for (const k of minutes) {
      const { specs: podSpecs, hash, minute } = splitKubeMinute(k);
      const specKey = keys.specs(cluster, hash);
      const written = this.writtenSpecs.get(keyText(specKey));
      if ((written === undefined || now - written > SPEC_REFRESH_MS) && !specs.has(hash)) {
        specs.set(hash, { key: specKey, what: `pod specs of node ${k.node.name}`, value: podSpecs, dataTime: now + 2 * SPEC_REFRESH_MS, specHash: hash });
      }
      const key = keys.nodeMinute(cluster, minuteOf(k.minute), nodeKeyOf(k.node), 'K');
      newer.push({ key, what: `node ${k.node.name} at ${isoMinute(k.minute)}`, value: minute, dataTime: k.minute, collectedAt: k.collectedAt, specHash: hash });
    }
    return this.prepared({ specs: [...specs.values()], newer, counted: [], refused: [] });
  }

  private planKubeRollup(cluster: string, rollup: KubeRollup, part: RollupPart, shard?: RollupPart): WritePlan {
    const key = keys.rollupKube(cluster, minuteOf(rollup.minute), rollup.collectedAt, part.index, shard?.index);
    const what = `kube rollup ${shard ? `shard ${shard.index} ` : ''}part ${part.index} at ${isoMinute(rollup.minute)}`;
    const value: StoredRollupPart = { part, ...(shard ? { shard } : {}), rollup };
    return this.prepared({ ...EMPTY_PLAN, newer: [{ key, what, value, dataTime: rollup.minute, collectedAt: rollup.collectedAt }] });
  }

  private planEvents(cluster: string, events: readonly KubeEvent[]): WritePlan {
    const counted = events.map((e): PendingItem => ({ key: keys.event(cluster, e.lastSeen, e.objectUid, e.reason), what: `event ${e.reason} of ${e.objectKind} ${e.objectName}`, value: e, dataTime: e.lastSeen, count: e.count, lastSeen: e.lastSeen }));
    return this.prepared({ ...EMPTY_PLAN, counted });
  }

  private planHeartbeat(hb: Heartbeat): WritePlan {
    return this.prepared({ ...EMPTY_PLAN, counted: [{ key: keys.heartbeat(hb.cluster), what: 'heartbeat', value: hb, dataTime: hb.lastSeen, lastSeen: hb.lastSeen }] });
  }

  /** The plan with every item built and checked; what can never be stored moves to `refused`. */
  private prepared(plan: WritePlan): WritePlan {
    const refused = [...plan.refused];
    const keep = (items: readonly PendingItem[]) =>
      items.flatMap((p) => {
        if (p.item) return [p];
        const r = this.prepare(p);
        if ('item' in r) return [{ ...p, item: r.item }];
        refused.push(r.failure);
        return [];
      });
    return { specs: keep(plan.specs), newer: keep(plan.newer), counted: keep(plan.counted), refused };
  }

  /**
   * Sends a prepared plan: specs first (a minute must never point at a spec that is not stored), then the
   * conditional puts. Items refused while planning are reported with the rest. No retry starts (and no
   * request is sent) that would end after `deadline`: what is left is reported instead.
   */
  private async write(plan: WritePlan, deadline?: EpochMs): Promise<WriteReport> {
    const now = this.clock.now();
    const specReport = await this.sendPuts(plan.specs, deadline);
    const failedSpecs = new Set(specReport.failed.map((f) => f.key));
    for (const p of plan.specs) if (!failedSpecs.has(keyText(p.key))) this.remember(this.writtenSpecs, keyText(p.key), now);
    const blocked: WriteFailure[] = [];
    const failedHashes = new Set(plan.specs.filter((p) => failedSpecs.has(keyText(p.key))).map((p) => p.specHash));
    const newer = plan.newer.filter((p) => {
      if (p.specHash === undefined || !failedHashes.has(p.specHash)) return true;
      blocked.push({ key: keyText(p.key), reason: `not written: the pod specs it points at could not be stored (${p.what})` });
      return false;
    });
    const results = await mapLimit([...newer, ...plan.counted], PARALLEL_REQUESTS, (p) => this.sendConditional(p, deadline));
    const report = summarize(results);
    const failed = [...plan.refused, ...specReport.failed, ...blocked, ...report.failed];
    if (failed.length) this.log.warn('writes failed', { failed: failed.length, first: failed[0] });
    return { written: specReport.written + report.written, skipped: report.skipped, failed };
  }

  /**
   * One conditional put. `count` (events): written when new or its count grew; `lastSeen` alone (heartbeat):
   * never back in time; `collectedAt` (node-minutes, rollup parts): unless the stored one was collected later.
   */
  private sendConditional(p: PendingItem, deadline?: EpochMs): Promise<'written' | 'skipped' | WriteFailure> {
    const condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      p.count !== undefined
        ? { ConditionExpression: 'attribute_not_exists(pk) OR #count < :count OR (#count = :count AND lastSeen < :lastSeen)', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':count': { N: String(p.count) }, ':lastSeen': { N: String(p.lastSeen) } } }
        : p.lastSeen !== undefined
          ? { ConditionExpression: 'attribute_not_exists(pk) OR lastSeen <= :t', ExpressionAttributeValues: { ':t': { N: String(p.lastSeen) } } }
          : { ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':at': { N: String(p.collectedAt) } } };
    const item = { ...p.item!, ...(p.count !== undefined ? { count: { N: String(p.count) } } : {}), ...(p.lastSeen !== undefined ? { lastSeen: { N: String(p.lastSeen) } } : {}) };
    return this.conditional('PutItem', keyText(p.key), () => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ...condition, ReturnConsumedCapacity: 'TOTAL' })), deadline);
  }

  /** Builds an item: keys, the encoded value in `d`, `at` (collection time) and the TTL. */
  private item(key: Key, value: unknown, dataTime: EpochMs, collectedAt?: EpochMs): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = {
      ...keyAttributes(key),
      d: { B: encode(value) },
      [TTL_ATTRIBUTE]: { N: String(Math.floor(dataTime / 1000) + this.retentionDays * 86_400) },
    };
    if (collectedAt !== undefined) item.at = { N: String(collectedAt) };
    return item;
  }

  private expired(item: Record<string, AttributeValue>): boolean {
    const exp = item[TTL_ATTRIBUTE]?.N;
    return exp !== undefined && Number(exp) * 1000 < this.clock.now();
  }

  private async mergeNodeItems(cluster: string, items: Record<string, AttributeValue>[], from: Minute, to: EpochMs): Promise<NodeMinute[]> {
    const kube = new Map<string, { minute: Minute; key: string; stored: StoredKubeMinute }>();
    const hosts = new Map<string, HostNodeMinute[]>();
    for (const item of items) {
      if (this.expired(item)) continue;
      const { minute, nodeKey, part } = parseNodeMinuteSk(item[SK].S!);
      if (part === 'K' && minute >= from) kube.set(`${minute}|${nodeKey}`, { minute, key: nodeKey, stored: decode<StoredKubeMinute>(item.d.B!) });
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
      const covering = (hosts.get(k.key) ?? []).filter((h) => h.minute <= k.minute && k.minute < h.minute + h.periodMinutes * MINUTE_MS).pop();
      if (covering) attached.add(covering);
      const spec = specs.get(k.stored.specHash);
      if (!spec) {
        this.log.warn('pod specs missing; node-minute returned without its Kubernetes part', { cluster, node: k.stored.node.name, specHash: k.stored.specHash });
      }
      out.push({ cluster, minute: k.minute, key: k.key, join: nodeJoinOf(k.key), kube: spec ? joinKubeMinute(k.stored, spec) : undefined, host: covering });
    }
    // Hosts with no node in any minute they cover (still joining, or broken) are kept, at their own minute.
    for (const [key, list] of hosts) {
      for (const h of list) {
        if (!attached.has(h) && h.minute >= from && h.minute <= to) out.push({ cluster, minute: h.minute, key, join: 'instance-without-node', host: h });
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
      for (const item of await this.batchGet(missing.map((h) => keys.specs(cluster, h)))) {
        const specs = decode<PodSpec[]>(item.d.B!);
        out.set(item[SK].S!, specs);
        this.remember(this.specCache, `${cluster}/${item[SK].S!}`, specs);
      }
    }
    return out;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V, max = 20_000): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > max) map.delete(map.keys().next().value!);
  }

  /** Query one partition (optionally a sort-key range), all pages, expired items dropped. */
  private async query(pk: string, range?: [string, string], consistent = false): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.read('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: range ? 'pk = :pk AND sk BETWEEN :a AND :b' : 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk }, ...(range ? { ':a': { S: range[0] }, ':b': { S: range[1] } } : {}) },
            ExclusiveStartKey: start,
            ConsistentRead: consistent,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      for (const item of page.Items ?? []) if (!this.expired(item)) out.push(item);
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** BatchGet by keys, 100 at a time, retrying `UnprocessedKeys`; expired items dropped. */
  private async batchGet(keyList: readonly Key[]): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    await mapLimit(chunk(keyList, BATCH_GET_MAX), PARALLEL_REQUESTS, async (batch) => {
      let pending: Record<string, AttributeValue>[] = batch.map(keyAttributes);
      for (let attempt = 1; pending.length; attempt++) {
        const res = await this.read('BatchGetItem', () =>
          this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending } }, ReturnConsumedCapacity: 'TOTAL' })),
        );
        for (const item of res.Responses?.[this.tableName] ?? []) if (!this.expired(item)) out.push(item);
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length) {
          if (attempt >= this.retry.attempts) throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${attempt} attempts`);
          await this.retry.sleep(backoffMs(attempt, this.retry));
        }
      }
    });
    return out;
  }

  /**
   * BatchWrite puts, 25 at a time. `UnprocessedItems` and retryable errors are retried with backoff; what is
   * left after the last attempt, and items refused outright (too large, invalid), are reported, never dropped.
   */
  private async batchPut(items: readonly PendingItem[]): Promise<WriteReport> {
    const plan = this.prepared({ ...EMPTY_PLAN, specs: items });
    const report = await this.sendPuts(plan.specs);
    const failed = [...plan.refused, ...report.failed];
    if (failed.length) this.log.warn('writes failed', { failed: failed.length, first: failed[0] });
    return { ...report, failed };
  }

  /** BatchWrite of prepared items, retried as `batchPut` says; what still fails is returned. */
  private async sendPuts(items: readonly PendingItem[], deadline?: EpochMs): Promise<WriteReport> {
    const failed: WriteFailure[] = [];
    // One request may not name a key twice; the last value for a key wins, as it would in sequence.
    const byKey = new Map<string, Record<string, AttributeValue>>();
    for (const p of items) byKey.set(keyText(p.key), p.item!);
    let written = 0;
    await mapLimit(chunk([...byKey.values()], BATCH_WRITE_MAX), PARALLEL_REQUESTS, async (batch) => {
      let pending: WriteRequest[] = batch.map((item) => ({ PutRequest: { Item: item } }));
      let lastError = '';
      let permanent = false;
      for (let attempt = 1; pending.length && attempt <= this.retry.attempts; attempt++) {
        const delay = attempt > 1 ? backoffMs(attempt - 1, this.retry) : 0;
        if (!this.inTime(deadline, delay)) {
          lastError = `${lastError || 'not sent'}; no time left for ${attempt > 1 ? 'another try' : 'it'} before the function's deadline`;
          break;
        }
        if (delay) await this.retry.sleep(delay);
        try {
          const res = await this.client.send(
            new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending }, ReturnConsumedCapacity: 'TOTAL' }),
          );
          this.count('BatchWriteItem', res.ConsumedCapacity, 'write');
          const left = res.UnprocessedItems?.[this.tableName] ?? [];
          written += pending.length - left.length;
          if (left.length) lastError = `${left.length} UnprocessedItems`;
          pending = left;
        } catch (e) {
          this.count('BatchWriteItem', undefined, 'write');
          lastError = `${(e as Error).name}: ${(e as Error).message}`;
          permanent = isPermanent(e);
          if (!isRetryable(e)) break;
        }
      }
      for (const w of pending) {
        const item = w.PutRequest!.Item!;
        failed.push({ key: `${item[PK].S} / ${item[SK].S}`, reason: `not written after retries: ${lastError}`, ...(permanent ? { permanent } : {}) });
      }
    });
    return { written, skipped: 0, failed };
  }

  /** The item to write, or why it never can be (a key over DynamoDB's limits, too large, or not encodable). */
  private prepare(p: PendingItem): { readonly item: Record<string, AttributeValue> } | { readonly failure: WriteFailure } {
    try {
      checkKey(p.key, p.what);
      const item = this.item(p.key, p.value, p.dataTime, p.collectedAt);
      checkSize(item, p.what);
      return { item };
    } catch (e) {
      return { failure: { key: keyText(p.key), reason: (e as Error).message, permanent: true } };
    }
  }

  /** One conditional write: `skipped` when the condition says newer data is there, retried when throttled. */
  private async conditional(op: string, key: string, send: () => Promise<{ ConsumedCapacity?: ConsumedCapacity }>, deadline?: EpochMs): Promise<'written' | 'skipped' | WriteFailure> {
    if (!this.inTime(deadline)) return { key, reason: "not sent: no time left before the function's deadline" };
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await send();
        this.count(op, res.ConsumedCapacity, 'write');
        return 'written';
      } catch (e) {
        this.count(op, undefined, 'write');
        if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return 'skipped';
        const reason = `${(e as Error).name}: ${(e as Error).message}`;
        if (!isRetryable(e) || attempt >= this.retry.attempts) return { key, reason, ...(isPermanent(e) ? { permanent: true } : {}) };
        const delay = backoffMs(attempt, this.retry);
        if (!this.inTime(deadline, delay)) return { key, reason: `${reason}; no time left for another try before the function's deadline` };
        await this.retry.sleep(delay);
      }
    }
  }

  /** Whether waiting `delayMs` still leaves time before `deadline` (none: always). */
  private inTime(deadline: EpochMs | undefined, delayMs = 0): boolean {
    return deadline === undefined || this.clock.now() + delayMs < deadline;
  }

  /** A read, retried when throttled beyond the SDK's own retries. */
  private async read<T extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(op: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await send();
        this.count(op, res.ConsumedCapacity, 'read');
        return res;
      } catch (e) {
        this.count(op, undefined, 'read');
        if (!isRetryable(e) || attempt >= this.retry.attempts) throw e;
        await this.retry.sleep(backoffMs(attempt, this.retry));
      }
    }
  }

  private count(op: string, cc: ConsumedCapacity | ConsumedCapacity[] | undefined, kind: 'read' | 'write'): void {
    this.totals.requests[op] = (this.totals.requests[op] ?? 0) + 1;
    for (const c of Array.isArray(cc) ? cc : cc ? [cc] : []) {
      const units = c.CapacityUnits ?? (kind === 'write' ? c.WriteCapacityUnits : c.ReadCapacityUnits) ?? 0;
      if (kind === 'write') this.totals.writeUnits += units;
      else this.totals.readUnits += units;
    }
  }
}

/**
 * One minute's kube rollup from the parts stored for it. Parts of one collection cycle merge; the newest
 * cycle with every part wins, so a late older batch or a newer cycle still arriving never hides a complete
 * one. With no complete cycle, the newest is returned marked `partial`. A sharded agent's shards are the
 * parts of the minute: each shard's newest complete cycle, merged; a shard missing makes it `partial`. The
 * shard count of the newest part decides (a replica count being changed leaves the old layout's parts out).
 */
export function mergeKubeRollupParts(parts: readonly StoredRollupPart[]): KubeRollup | undefined {
  if (parts.length === 0) return undefined;
  const newest = parts.reduce((a, b) => (b.rollup.collectedAt > a.rollup.collectedAt ? b : a));
  return newest.shard ? mergeShards(parts, newest.shard.count) : mergeNewestCycle(parts.filter((p) => !p.shard));
}

function mergeShards(parts: readonly StoredRollupPart[], count: number): KubeRollup {
  const shards = Array.from({ length: count }, (_, index) => mergeNewestCycle(parts.filter((p) => p.shard?.count === count && p.shard.index === index)));
  const present = shards.flatMap((rollup, index) => (rollup ? [{ part: { index, count }, rollup }] : []));
  const merged = mergeCycle(present);
  const complete = present.filter((p) => !p.rollup.partial).length;
  return complete === count ? merged : { ...merged, partial: { parts: complete, count } };
}

function mergeNewestCycle(parts: readonly { part: RollupPart; rollup: KubeRollup }[]): KubeRollup | undefined {
  if (parts.length === 0) return undefined;
  const cycles = new Map<EpochMs, Map<number, { part: RollupPart; rollup: KubeRollup }>>();
  for (const p of parts) {
    const cycle = cycles.get(p.rollup.collectedAt) ?? new Map();
    cycle.set(p.part.index, p);
    cycles.set(p.rollup.collectedAt, cycle);
  }
  const newestFirst = [...cycles.entries()].sort(([a], [b]) => b - a).map(([, c]) => [...c.values()].sort((a, b) => a.part.index - b.part.index));
  const complete = newestFirst.find((c) => c.length === c[0].part.count);
  const current = complete ?? newestFirst[0];
  const merged = mergeCycle(current);
  return complete ? merged : { ...merged, partial: { parts: current.length, count: current[0].part.count } };
}

function mergeCycle(current: readonly { part: RollupPart; rollup: KubeRollup }[]): KubeRollup {
  if (current.length === 1) return current[0].rollup;
  const head = current.find((p) => p.part.index === 0)?.rollup ?? current[0].rollup;
  const workloads = new Map<string, WorkloadMinute>();
  for (const { rollup } of current) {
    for (const w of rollup.workloads) {
      const id = `${w.namespace}/${w.kind}/${w.name}`;
      const acc = workloads.get(id);
      workloads.set(
        id,
        acc
          ? {
              ...acc,
              pods: acc.pods + w.pods,
              readyPods: acc.readyPods + w.readyPods,
              restarts: acc.restarts + w.restarts,
              oomKilled: acc.oomKilled + w.oomKilled,
              cpuMilli: acc.cpuMilli + w.cpuMilli,
              memoryWorkingSetBytes: acc.memoryWorkingSetBytes + w.memoryWorkingSetBytes,
              desired: acc.desired ?? w.desired,
              available: acc.available ?? w.available,
            }
          : w,
      );
    }
  }
  return {
    ...head,
    nodes: current.flatMap((p) => p.rollup.nodes),
    workloads: [...workloads.values()],
    pendingPods: current.flatMap((p) => p.rollup.pendingPods),
    events: current.flatMap((p) => p.rollup.events),
    scrapeErrors: current.flatMap((p) => p.rollup.scrapeErrors),
  };
}

const skMinute = (t: EpochMs): string => isoMinute(t);

function toDocument<T>(item: Record<string, AttributeValue>): StoredDocument<T> {
  return { id: item[SK].S!, value: decode<T>(item.d.B!), version: Number(item.version.N) };
}

/** DynamoDB's item size: attribute names plus values (numbers counted at their decimal length, a safe bound). */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, v] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (v.S !== undefined) size += Buffer.byteLength(v.S);
    else if (v.B !== undefined) size += v.B.length;
    else if (v.N !== undefined) size += v.N.length;
    else size += Buffer.byteLength(JSON.stringify(v));
  }
  return size;
}

/**
 * DynamoDB refused the request as invalid (a key over its limits, an item too large, a bad attribute):
 * resending the same item fails the same way.
 */
function isPermanent(e: unknown): boolean {
  return (e as Error | undefined)?.name === 'ValidationException';
}

/** DynamoDB's key limits, in UTF-8 bytes (dynalite does not enforce them). */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

function checkKey(key: Key, what: string): void {
  for (const [name, value, max] of [['partition', key.pk, MAX_PARTITION_KEY_BYTES], ['sort', key.sk, MAX_SORT_KEY_BYTES]] as const) {
    const size = Buffer.byteLength(value);
    if (size > max) throw new ItemTooLargeError(`${what}: its ${name} key is ${size} bytes of UTF-8, over DynamoDB's ${max}-byte limit; refused`);
  }
}

function checkSize(item: Record<string, AttributeValue>, what: string): void {
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) {
    throw new ItemTooLargeError(
      `${what}: item is ${(size / 1024).toFixed(1)} KB encoded, over DynamoDB's 400 KB item limit; refused, not truncated`,
    );
  }
}

function summarize(results: readonly ('written' | 'skipped' | WriteFailure)[]): WriteReport {
  return {
    written: results.filter((r) => r === 'written').length,
    skipped: results.filter((r) => r === 'skipped').length,
    failed: results.filter((r): r is WriteFailure => typeof r === 'object'),
  };
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Runs `fn` over `xs` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  return out;
}
