/**
 * The AWS events function: EventBridge delivers each matched event (Spot warnings, instance state changes,
 * Auto Scaling launches and terminations, AWS Health scheduled changes); it is filed on the timeline of the
 * cluster it concerns. Which cluster is decided by what the collector last stored about each cluster's
 * instances and Auto Scaling groups (its newest cloud rollup): no AWS call, no extra permission. An event
 * about an instance or group no rollup lists yet is kept unrouted (`NO_CLUSTER`) and counted: a brand-new
 * instance's first state changes come before the collector lists it, and the collector files them on its
 * cluster's timeline once it does (`adoptAwsEvents`, lambdas/store/aws-events.ts). Those about no watched cluster expire there.
 */
import type { Logger } from '../../common/log';
import { membersOf, routeEvents, type AwsEvent } from '../../model/aws-event';
import { MINUTE_MS, type Clock } from '../../model/time';
import { NO_CLUSTER } from '../store/keys';
import type { VigilStore } from '../store/store';
import { AwsEventError, parseAwsEvent } from './parse';

export type AwsEventsStore = Pick<VigilStore, 'newestCloudRollup' | 'putAwsEvents'>;

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
    const members = await Promise.all(
      deps.clusters.map(async (c) => membersOf(c.name, await deps.store.newestCloudRollup(c.name, from, now))),
    );
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
