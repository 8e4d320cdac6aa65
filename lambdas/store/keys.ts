/**
 * The table's key layout: one table, string partition key `pk` and sort key `sk`, no secondary index.
 * Every access pattern is a Query on one partition or a BatchGet of computed keys (docs/architecture.md).
 *
 * | item                | pk                         | sk                              | TTL |
 * |---------------------|----------------------------|---------------------------------|-----|
 * | node-minute, kube   | `<cluster>#N#<yyyy-mm-ddThh>` | `<yyyy-mm-ddThh:mm>#<nodeKey>#K` | yes |
 * | node-minute, host   | same                       | `<yyyy-mm-ddThh:mm>#<nodeKey>#H` | yes |
 * | pod specs of a node | `<cluster>#S`              | `<spec hash>`                   | yes |
 * | rollup, kube part i | `<cluster>#R#<yyyy-mm-dd>` | `<yyyy-mm-ddThh:mm>#K<collectedAt>#<i>` | yes |
 * | rollup, cloud       | same                       | `<yyyy-mm-ddThh:mm>#C`          | yes |
 * | event               | `<cluster>#E#<yyyy-mm-dd>` | `<object uid>#<reason>`         | yes |
 * | heartbeat           | `<cluster>#A`              | `heartbeat`                     | yes |
 * | AWS event           | `<cluster>#W`              | `<yyyy-mm-ddThh:mm:ss>#<kind>#<id>` | yes |
 * | AWS event, unrouted | `#W` (`NO_CLUSTER`)        | same                            | yes |
 * | document (alert…)   | `<cluster>#D#<kind>`       | `<id>`                          | per kind |
 *
 * Node-minutes are bucketed by hour so a window of N minutes is one or two Queries; rollups by day so a
 * day of them is one Query. AWS events (EventBridge) are few, so one partition per cluster holds them and the
 * recent timeline is one Query from a time on. An event about an instance no cluster's stored rollup lists
 * yet (a brand-new instance's first state changes) waits under `#W` until the collector lists it. Cluster
 * names cannot contain `#` (EKS allows `[A-Za-z0-9_-]`) nor be empty, so no cluster's partition is `#W`.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { NodeKey } from '../../model/domain';
import { isoMinute, type EpochMs, type Minute } from '../../model/time';

export const PK = 'pk';
export const SK = 'sk';
/** TTL attribute (epoch seconds). Switched on by the CDK stack; reads also skip expired items. */
export const TTL_ATTRIBUTE = 'expiresAt';

export type NodePart = 'K' | 'H';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

/** A key in DynamoDB's attribute-value form. */
export function keyAttributes(k: Key): Record<string, AttributeValue> {
  return { [PK]: { S: k.pk }, [SK]: { S: k.sk } };
}

/** `pk / sk`, for messages. */
export function keyText(k: Key): string {
  return `${k.pk} / ${k.sk}`;
}

const isoSecond = (t: EpochMs) => new Date(t).toISOString().slice(0, 19);
const hourOf = (t: EpochMs) => isoMinute(t).slice(0, 13);
const dayOf = (t: EpochMs) => isoMinute(t).slice(0, 10);

const nodePartition = (cluster: string, t: EpochMs): string => `${cluster}#N#${hourOf(t)}`;
const rollupPartition = (cluster: string, t: EpochMs): string => `${cluster}#R#${dayOf(t)}`;
const eventPartition = (cluster: string, t: EpochMs): string => `${cluster}#E#${dayOf(t)}`;
const documentPartition = (cluster: string, kind: string): string => `${cluster}#D#${kind}`;

/** The "cluster" of AWS events no cluster is known to own yet: their partition is `#W`. */
export const NO_CLUSTER = '';

/** Host parts cover at most this many minutes (basic monitoring's 5-minute period); reads of a minute look back that far. */
export const MAX_HOST_PERIOD_MINUTES = 5;

export const keys = {
  nodePartition,
  nodeMinute: (cluster: string, minute: Minute, nodeKey: NodeKey, part: NodePart): Key => ({
    pk: nodePartition(cluster, minute),
    sk: `${isoMinute(minute)}#${nodeKey}#${part}`,
  }),
  specs: (cluster: string, hash: string): Key => ({ pk: `${cluster}#S`, sk: hash }),
  rollupPartition,
  /**
   * One key per collection cycle, shard (a sharded agent's replicas may collect in the same millisecond) and
   * part: a late or partial cycle never overwrites another's parts.
   */
  rollupKube: (cluster: string, minute: Minute, collectedAt: EpochMs, part: number, shard?: number): Key => ({
    pk: rollupPartition(cluster, minute),
    sk: `${isoMinute(minute)}#K${collectedAt}#${shard === undefined ? '' : `s${shard}.`}${part}`,
  }),
  rollupCloud: (cluster: string, minute: Minute): Key => ({ pk: rollupPartition(cluster, minute), sk: `${isoMinute(minute)}#C` }),
  eventPartition,
  event: (cluster: string, t: EpochMs, objectUid: string, reason: string): Key => ({
    pk: eventPartition(cluster, t),
    sk: `${objectUid}#${reason}`,
  }),
  heartbeat: (cluster: string): Key => ({ pk: `${cluster}#A`, sk: 'heartbeat' }),
  awsEventPartition: (cluster: string): string => `${cluster}#W`,
  /** Filed under `t` (its `timelineTime`), so a range of the timeline is a range of sort keys. */
  awsEvent: (cluster: string, t: EpochMs, kind: string, id: string): Key => ({ pk: `${cluster}#W`, sk: `${isoSecond(t)}#${kind}#${id}` }),
  documentPartition,
  document: (cluster: string, kind: string, id: string): Key => ({ pk: documentPartition(cluster, kind), sk: id }),
};

/** The first sort key of AWS events filed at `t` or later. */
export function awsEventSkFrom(t: EpochMs): string {
  return isoSecond(t);
}

/** Parses a node-minute sort key back into its minute, node key and part. */
export function parseNodeMinuteSk(sk: string): { minute: Minute; nodeKey: NodeKey; part: NodePart } {
  const first = sk.indexOf('#');
  const last = sk.lastIndexOf('#');
  return {
    minute: Date.parse(`${sk.slice(0, first)}:00Z`),
    nodeKey: sk.slice(first + 1, last),
    part: sk.slice(last + 1) as NodePart,
  };
}

/** Parses a rollup sort key: a kube part (`K…`) or the cloud part (`C`). */
export function parseRollupSk(sk: string): { minute: Minute; part: 'C' | 'K' } {
  const [iso, p] = sk.split('#');
  return { minute: Date.parse(`${iso}:00Z`), part: p === 'C' ? 'C' : 'K' };
}

/** Hour buckets (as `t` values inside each hour) covering [from, to]. */
export function hoursCovering(from: EpochMs, to: EpochMs): EpochMs[] {
  const out: EpochMs[] = [];
  for (let h = Math.floor(from / 3_600_000) * 3_600_000; h <= to; h += 3_600_000) out.push(h);
  return out;
}

/** Day buckets covering [from, to]. */
export function daysCovering(from: EpochMs, to: EpochMs): EpochMs[] {
  const out: EpochMs[] = [];
  for (let d = Math.floor(from / 86_400_000) * 86_400_000; d <= to; d += 86_400_000) out.push(d);
  return out;
}
