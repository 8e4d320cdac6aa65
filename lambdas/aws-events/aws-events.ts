/**
 * The AWS events function: EventBridge delivers each matched event (Spot warnings, instance state changes,
 * Auto Scaling launches and terminations, AWS Health scheduled changes); it is filed on the timeline of the
 * cluster it concerns. Which cluster is decided by what the collector last stored about each cluster's
 * instances and Auto Scaling groups (its newest cloud rollup): no AWS call, no extra permission. An event
 * about an instance or group no rollup lists yet is kept unrouted (`NO_CLUSTER`) and counted: a brand-new
 * instance's first state changes come before the collector lists it, and the collector files them on its
 * cluster's timeline once it does (`adoptAwsEvents`). Those about no watched cluster expire there.
 */
import type { Logger } from '../../common/log';
import type { AwsEvent } from '../../model/aws-event';
import type { CloudRollup } from '../../model/domain';
import { MINUTE_MS, type Clock, type EpochMs } from '../../model/time';
import { NO_CLUSTER } from '../store/keys';
import type { WriteReport } from '../store/dynamo';
import type { VigilStore } from '../store/store';
import { AwsEventError, parseAwsEvent } from './parse';

/** What a cluster is made of, for routing events: its instances and Auto Scaling groups. */
export interface ClusterMembers {
  readonly cluster: string;
  readonly instances: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
}

export function membersOf(cluster: string, cloud: CloudRollup | undefined): ClusterMembers {
  const groups = cloud?.autoScalingGroups ?? [];
  return {
    cluster,
    instances: new Set([...(cloud?.hosts ?? []).map((h) => h.instanceId), ...groups.flatMap((g) => g.instances.map((i) => i.instanceId))]),
    groups: new Set([...groups.map((g) => g.name), ...(cloud?.hosts ?? []).flatMap((h) => h.autoScalingGroup ?? [])]),
  };
}

/** Each event to the clusters it concerns (its instance, else its Auto Scaling group); the rest unmatched. */
export function routeEvents(events: readonly AwsEvent[], clusters: readonly ClusterMembers[]): { byCluster: Map<string, AwsEvent[]>; unmatched: AwsEvent[] } {
  const byCluster = new Map<string, AwsEvent[]>();
  const unmatched: AwsEvent[] = [];
  for (const e of events) {
    const group = 'autoScalingGroup' in e ? e.autoScalingGroup : undefined;
    const owners = clusters.filter((c) => (e.instanceId !== undefined && c.instances.has(e.instanceId)) || (group !== undefined && c.groups.has(group)));
    if (owners.length === 0) unmatched.push(e);
    for (const c of owners) byCluster.set(c.cluster, [...(byCluster.get(c.cluster) ?? []), e]);
  }
  return { byCluster, unmatched };
}

export type AwsEventsStore = Pick<VigilStore, 'newestCloudRollup' | 'putAwsEvents'>;

/** How far back the collector looks for events that waited for it to list their instance: a few of its runs. */
export const UNROUTED_LOOKBACK_MS = 15 * MINUTE_MS;

/**
 * Files on `cluster`'s timeline the unrouted events about what its new rollup lists (an instance launched
 * since the previous one). Idempotent: an event adopted twice is the same item; the unrouted copy expires.
 */
export async function adoptAwsEvents(store: Pick<VigilStore, 'awsEvents' | 'putAwsEvents'>, cluster: string, rollup: CloudRollup, now: EpochMs): Promise<WriteReport | undefined> {
  const waiting = await store.awsEvents(NO_CLUSTER, now - UNROUTED_LOOKBACK_MS);
  const mine = routeEvents(waiting, [membersOf(cluster, rollup)]).byCluster.get(cluster) ?? [];
  return mine.length ? store.putAwsEvents(cluster, mine) : undefined;
}

export interface AwsEventsDeps {
  readonly store: AwsEventsStore;
  readonly clusters: readonly { readonly name: string }[];
  /** How often the collector runs: its newest cloud rollup is at most this old (plus a margin). */
  readonly collectorEveryMinutes: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface AwsEventsResult {
  readonly stored: Readonly<Record<string, number>>;
  /** Events about no instance or group a cluster's rollup lists yet, kept unrouted for the collector to adopt. */
  readonly unmatched: number;
}

/** Writes that failed; thrown so Lambda retries the event and, once its retries are spent, the failure queue keeps it. */
export class AwsEventWriteError extends Error {
  override readonly name = 'AwsEventWriteError';
}

export function createAwsEventsHandler(deps: AwsEventsDeps) {
  return async (raw: unknown): Promise<AwsEventsResult> => {
    let events: AwsEvent[];
    try {
      events = parseAwsEvent(raw);
    } catch (e) {
      // A malformed event will not improve on retry: log it, name what is wrong, and drop it.
      if (e instanceof AwsEventError) {
        deps.logger.warn('AWS event refused', { error: e.message });
        return { stored: {}, unmatched: 0 };
      }
      throw e;
    }
    const now = deps.clock.now();
    const from = now - (deps.collectorEveryMinutes + 2) * MINUTE_MS;
    const members = await Promise.all(deps.clusters.map(async (c) => membersOf(c.name, await deps.store.newestCloudRollup(c.name, from, now))));
    const { byCluster, unmatched } = routeEvents(events, members);
    const stored: Record<string, number> = {};
    const failed: string[] = [];
    for (const [cluster, list] of [...byCluster, [NO_CLUSTER, unmatched] as const]) {
      if (list.length === 0) continue;
      const report = await deps.store.putAwsEvents(cluster, list);
      if (cluster !== NO_CLUSTER) stored[cluster] = report.written + report.skipped;
      failed.push(...report.failed.map((f) => `${cluster || 'unrouted'}: ${f.key}: ${f.reason}`));
    }
    deps.logger.info('AWS events', { kinds: [...new Set(events.map((e) => e.kind))], stored, unmatched: unmatched.length });
    if (failed.length) throw new AwsEventWriteError(`${failed.length} AWS events not stored: ${failed.slice(0, 3).join('; ')}`);
    return { stored, unmatched: unmatched.length };
  };
}
