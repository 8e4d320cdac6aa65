/**
 * AWS events that waited for their cluster: the AWS events function keeps an event about an instance no
 * cloud rollup lists yet unrouted (`NO_CLUSTER`); the collector, once its new rollup lists the instance,
 * files it on the cluster's timeline.
 */
import { membersOf, routeEvents } from '../../model/aws-event';
import type { CloudRollup } from '../../model/domain';
import { MINUTE_MS, type EpochMs } from '../../model/time';
import { NO_CLUSTER } from './keys';
import type { WriteReport } from './dynamo';
import type { VigilStore } from './store';

/** How far back the collector looks for events that waited for it to list their instance: a few of its runs. */
export const UNROUTED_LOOKBACK_MS = 15 * MINUTE_MS;

/**
 * Files on `cluster`'s timeline the unrouted events about what its new rollup lists (an instance launched
 * since the previous one). Idempotent: an event adopted twice is the same item; the unrouted copy expires.
 */
export async function adoptAwsEvents(
  store: Pick<VigilStore, 'awsEvents' | 'putAwsEvents'>,
  cluster: string,
  rollup: CloudRollup,
  now: EpochMs,
): Promise<WriteReport | undefined> {
  const waiting = await store.awsEvents(NO_CLUSTER, now - UNROUTED_LOOKBACK_MS);
  const mine = routeEvents(waiting, [membersOf(cluster, rollup)]).byCluster.get(cluster) ?? [];
  return mine.length ? store.putAwsEvents(cluster, mine) : undefined;
}
