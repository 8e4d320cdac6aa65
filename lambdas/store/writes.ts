/**
 * The time-series writes: ingest's node-minutes (Kubernetes part), rollup parts, events and heartbeat; the
 * collector's host parts and cloud rollups; AWS events. Two writers, no read-modify-write: ingest writes a
 * node-minute's Kubernetes part (`K`), the collector its host part (`H`), as sibling items that reads merge.
 * Idempotent: the same input twice writes the same items. Late or repeated data is `skipped` by conditional
 * puts, never written over newer data.
 */
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mapLimit } from '../../common/concurrency';
import { timelineTime, type AwsEvent } from '../../model/aws-event';
import type { CloudRollup, Heartbeat, HostNodeMinute, KubeEvent, KubeNodeMinute, KubeRollup } from '../../model/domain';
import { nodeKeyOf } from '../../model/domain';
import { isoMinute, minuteOf, type EpochMs } from '../../model/time';
import {
  PARALLEL_REQUESTS,
  summarize,
  type ConditionalResult,
  type DynamoTable,
  type PendingItem,
  type WriteFailure,
  type WriteReport,
} from './dynamo';
import { keys, keyText, MAX_HOST_PERIOD_MINUTES } from './keys';
import { remember, splitKubeMinute } from './pod-specs';
import { WHOLE, type RollupPart, type StoredRollupPart } from './rollup-parts';

/** Specs are rewritten this often so their TTL always outlives the minutes that point at them. */
const SPEC_REFRESH_MS = 86_400_000;

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

/** What ingest writes for one agent batch. */
export interface KubeBatchWrite {
  readonly minutes: readonly KubeNodeMinute[];
  /** Full batches only: change batches leave the rollup to the full ones. */
  readonly rollup?: { readonly rollup: KubeRollup; readonly part?: RollupPart; readonly shard?: RollupPart };
  readonly events: readonly KubeEvent[];
  readonly heartbeat: Heartbeat;
}

export class TimeSeriesWriter {
  /** Spec hash → when this process last wrote it. Bounded; a miss costs one idempotent rewrite. */
  private readonly writtenSpecs = new Map<string, EpochMs>();

  constructor(private readonly table: DynamoTable) {}

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
    return this.table.batchPut(items);
  }

  /** Writes the cloud fields of a cluster-minute rollup (collector). */
  async putCloudRollup(cluster: string, rollup: CloudRollup): Promise<WriteReport> {
    const key = keys.rollupCloud(cluster, minuteOf(rollup.minute));
    return this.table.batchPut([
      { key, what: `cloud rollup at ${isoMinute(rollup.minute)}`, value: rollup, dataTime: rollup.minute, collectedAt: rollup.collectedAt },
    ]);
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
    return this.table.batchPut(
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

  private planKubeMinutes(cluster: string, minutes: readonly KubeNodeMinute[]): WritePlan {
    const now = this.table.clock.now();
    const specs = new Map<string, PendingItem>();
    const newer: PendingItem[] = [];
    for (const k of minutes) {
      const { specs: podSpecs, hash, minute } = splitKubeMinute(k);
      const specKey = keys.specs(cluster, hash);
      const written = this.writtenSpecs.get(keyText(specKey));
      if ((written === undefined || now - written > SPEC_REFRESH_MS) && !specs.has(hash)) {
        specs.set(hash, {
          key: specKey,
          what: `pod specs of node ${k.node.name}`,
          value: podSpecs,
          dataTime: now + 2 * SPEC_REFRESH_MS,
          specHash: hash,
        });
      }
      const key = keys.nodeMinute(cluster, minuteOf(k.minute), nodeKeyOf(k.node), 'K');
      newer.push({
        key,
        what: `node ${k.node.name} at ${isoMinute(k.minute)}`,
        value: minute,
        dataTime: k.minute,
        collectedAt: k.collectedAt,
        specHash: hash,
      });
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
    const counted = events.map(
      (e): PendingItem => ({
        key: keys.event(cluster, e.lastSeen, e.objectUid, e.reason),
        what: `event ${e.reason} of ${e.objectKind} ${e.objectName}`,
        value: e,
        dataTime: e.lastSeen,
        count: e.count,
        lastSeen: e.lastSeen,
      }),
    );
    return this.prepared({ ...EMPTY_PLAN, counted });
  }

  private planHeartbeat(hb: Heartbeat): WritePlan {
    return this.prepared({
      ...EMPTY_PLAN,
      counted: [{ key: keys.heartbeat(hb.cluster), what: 'heartbeat', value: hb, dataTime: hb.lastSeen, lastSeen: hb.lastSeen }],
    });
  }

  /** The plan with every item built and checked; what can never be stored moves to `refused`. */
  private prepared(plan: WritePlan): WritePlan {
    const refused = [...plan.refused];
    const keep = (items: readonly PendingItem[]) => this.table.prepareAll(items, refused);
    return { specs: keep(plan.specs), newer: keep(plan.newer), counted: keep(plan.counted), refused };
  }

  /**
   * Sends a prepared plan: specs first (a minute must never point at a spec that is not stored), then the
   * conditional puts. Items refused while planning are reported with the rest. No retry starts (and no
   * request is sent) that would end after `deadline`: what is left is reported instead.
   */
  private async write(plan: WritePlan, deadline?: EpochMs): Promise<WriteReport> {
    const now = this.table.clock.now();
    const specReport = await this.table.sendPuts(plan.specs, deadline);
    const failedSpecs = new Set(specReport.failed.map((f) => f.key));
    for (const p of plan.specs) if (!failedSpecs.has(keyText(p.key))) remember(this.writtenSpecs, keyText(p.key), now);
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
    if (failed.length) this.table.log.warn('writes failed', { failed: failed.length, first: failed[0] });
    return { written: specReport.written + report.written, skipped: report.skipped, failed };
  }

  /**
   * One conditional put. `count` (events): written when new or its count grew; `lastSeen` alone (heartbeat):
   * never back in time; `collectedAt` (node-minutes, rollup parts): unless the stored one was collected later.
   */
  private sendConditional(p: PendingItem, deadline?: EpochMs): Promise<ConditionalResult> {
    const condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      p.count !== undefined
        ? {
            ConditionExpression: 'attribute_not_exists(pk) OR #count < :count OR (#count = :count AND lastSeen < :lastSeen)',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':count': { N: String(p.count) }, ':lastSeen': { N: String(p.lastSeen) } },
          }
        : p.lastSeen !== undefined
          ? {
              ConditionExpression: 'attribute_not_exists(pk) OR lastSeen <= :t',
              ExpressionAttributeValues: { ':t': { N: String(p.lastSeen) } },
            }
          : {
              ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
              ExpressionAttributeNames: { '#at': 'at' },
              ExpressionAttributeValues: { ':at': { N: String(p.collectedAt) } },
            };
    const item = {
      ...p.item!,
      ...(p.count !== undefined ? { count: { N: String(p.count) } } : {}),
      ...(p.lastSeen !== undefined ? { lastSeen: { N: String(p.lastSeen) } } : {}),
    };
    return this.table.conditional(
      'PutItem',
      keyText(p.key),
      () =>
        this.table.client.send(
          new PutItemCommand({ TableName: this.table.tableName, Item: item, ...condition, ReturnConsumedCapacity: 'TOTAL' }),
        ),
      deadline,
    );
  }
}
