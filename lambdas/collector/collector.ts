/**
 * The scheduled collector: once a minute, for every watched cluster, the cloud side of the cluster-minute
 * (EKS, EC2, Auto Scaling, new scaling activities) and, every `everyMinutes`, the host part of each
 * node-minute from CloudWatch. Clusters are isolated: one failing never stops another, and within a
 * cluster every API that failed is recorded in the rollup's `failures` for the evaluator to alert on, and
 * what the other calls read is kept.
 */
import type { Logger } from '../../common/log';
import type { ClusterConfig, CloudRollup, CollectorFailure, HostMetrics, HostNodeMinute, ScalingActivity } from '../../model/domain';
import { DAY_MS, MINUTE_MS, minuteOf, type Clock, type EpochMs, type Minute } from '../../model/time';
import { boundedAccount, deadlineIn, type AwsAccount, type AwsAccountFor } from '../aws/account';
import { CallCounter, describeError, type CallCounts } from '../aws/calls';
import { adoptAwsEvents } from '../store/aws-events';
import { mapLimit } from '../../common/concurrency';
import type { StoredDocument } from '../store/documents';
import type { WriteReport } from '../store/dynamo';
import type { VigilStore } from '../store/store';
import { BackoffError, Backoffs, type QueryBackoff } from './backoff';
import { activitiesSince, advanceWatermark, needsActivityRead, type GroupWatermark } from './activities';
import { readCloudState, type CloudState } from './cloud';
import type { HostMetricsSettings } from './config';
import { isDue, readHostMetrics, type MonitoredInstance } from './host-metrics';

export interface CollectorDeps {
  readonly store: VigilStore;
  readonly clusters: readonly ClusterConfig[];
  /** Region of clusters that name none. */
  readonly defaultRegion: string;
  readonly aws: AwsAccountFor;
  readonly hostMetrics: HostMetricsSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Most time one cluster's AWS reads may take (default {@link CLUSTER_BUDGET_MS}). */
  readonly clusterBudgetMs?: number;
}

/** The Lambda context's clock of the invocation. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * One cluster's AWS reads get at most this long, and never past the invocation's end less
 * {@link STORE_RESERVE_MS}: a stalled region costs its own cluster part of a minute, not the others theirs.
 */
export const CLUSTER_BUDGET_MS = 30_000;
/** Kept at the end of an invocation to store what was read. */
export const STORE_RESERVE_MS = 8_000;

/** What the collector remembers between runs, per cluster (a versioned store document). */
export interface CollectorState {
  readonly groups: Readonly<Record<string, GroupWatermark>>;
  readonly metricsReadAt?: EpochMs;
  /** Queries that keep failing, by query key (see `backoff.ts`). */
  readonly backoff?: Readonly<Record<string, QueryBackoff>>;
}

export const STATE_DOCUMENT = { kind: 'collector', id: 'state' } as const;

export interface ClusterRun {
  readonly cluster: string;
  readonly minute: Minute;
  /** The cloud rollup was written. */
  readonly stored: boolean;
  readonly hosts: number;
  /** Host parts written this run: new or changed periods of the window (0 when CloudWatch was not due). */
  readonly hostMinutes: number;
  readonly metricsRead: boolean;
  readonly newActivities: number;
  readonly failures: readonly CollectorFailure[];
  readonly calls: CallCounts;
  readonly metricsRequested: number;
  readonly durationMs: number;
}

export class CollectorError extends Error {
  override readonly name = 'CollectorError';
}

/**
 * Host parts this Lambda instance wrote, with what they held. Each CloudWatch read re-reads the whole
 * trailing window, but only the periods whose figures changed (late points) are written again: a
 * 15-minute window would otherwise write every period three times. A new instance starts empty and
 * rewrites the window once, which is harmless (the writes are idempotent).
 */
export class WrittenHostParts {
  private readonly parts = new Map<string, { readonly minute: Minute; readonly content: string; readonly fields: readonly string[] }>();

  /** The parts not already written with the same content. */
  changed(cluster: string, minutes: readonly HostNodeMinute[]): HostNodeMinute[] {
    return minutes.filter((m) => this.parts.get(partKey(cluster, m))?.content !== partContent(m));
  }

  /**
   * The changed parts that keep every figure written before: a partial read may complete a part (the CPU of
   * a period whose status checks were written first), never replace it with fewer figures.
   */
  withoutLoss(cluster: string, minutes: readonly HostNodeMinute[]): HostNodeMinute[] {
    return this.changed(cluster, minutes).filter((m) =>
      (this.parts.get(partKey(cluster, m))?.fields ?? []).every((f) => m.metrics[f as keyof HostMetrics] !== undefined),
    );
  }

  remember(cluster: string, minutes: readonly HostNodeMinute[]): void {
    for (const m of minutes)
      this.parts.set(partKey(cluster, m), { minute: m.minute, content: partContent(m), fields: Object.keys(m.metrics) });
  }

  /** Forgets parts older than `before`: they are out of every future window. */
  prune(before: EpochMs): void {
    for (const [k, v] of this.parts) if (v.minute < before) this.parts.delete(k);
  }
}

const partKey = (cluster: string, m: HostNodeMinute) => `${cluster}|${m.host.instanceId}|${m.minute}`;
const partContent = (m: HostNodeMinute) => JSON.stringify([m.periodMinutes, m.metrics, m.host]);

const PARALLEL_CLUSTERS = 4;
const PARALLEL_ACTIVITY_READS = 4;
const LIVE_STATES = new Set(['running', 'stopping', 'shutting-down']);

/** The scheduled handler: every cluster, isolated. Throws (after all clusters ran) if a rollup was not stored. */
export function createCollectorHandler(deps: CollectorDeps): (event?: unknown, context?: InvocationContext) => Promise<ClusterRun[]> {
  const written = new WrittenHostParts();
  return async (_event?: unknown, context?: InvocationContext) => {
    written.prune(deps.clock.now() - (deps.hostMetrics.windowMinutes + 10) * MINUTE_MS);
    const ends = context ? Date.now() + context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
    const listings: Listings = new Map();
    const runs = await mapLimit(deps.clusters, PARALLEL_CLUSTERS, async (c) => {
      const budget = Math.min(deps.clusterBudgetMs ?? CLUSTER_BUDGET_MS, ends - STORE_RESERVE_MS - Date.now());
      const deadline = deadlineIn(budget, `cluster ${c.name}`);
      try {
        const region = c.region ?? deps.defaultRegion;
        return await collectCluster(deps, c, written, (aws) => sharedListings(boundedAccount(aws, deadline), listings, region));
      } catch (e) {
        deps.logger.error('cluster not collected', { cluster: c.name, error: e });
        const failure = { operation: 'collector', message: describeError(e) };
        return {
          cluster: c.name,
          minute: minuteOf(deps.clock.now()),
          stored: false,
          hosts: 0,
          hostMinutes: 0,
          metricsRead: false,
          newActivities: 0,
          failures: [failure],
          calls: {},
          metricsRequested: 0,
          durationMs: 0,
        };
      } finally {
        deadline.clear();
      }
    });
    const lost = runs.filter((r) => !r.stored).map((r) => r.cluster);
    if (lost.length)
      throw new CollectorError(`cloud rollup not stored for cluster(s) ${lost.join(', ')}; see the log lines before this one`);
    return runs;
  };
}

export async function collectCluster(
  deps: CollectorDeps,
  cluster: ClusterConfig,
  written = new WrittenHostParts(),
  bound: (aws: AwsAccount) => AwsAccount = (aws) => aws,
): Promise<ClusterRun> {
  const { store, clock } = deps;
  const started = clock.now();
  const minute = minuteOf(started);
  const log = deps.logger.child({ cluster: cluster.name });
  const calls = new CallCounter();
  const failures: CollectorFailure[] = [];

  let doc: StoredDocument<CollectorState> | undefined;
  let stateRead = true;
  try {
    doc = await store.getDocument<CollectorState>(cluster.name, STATE_DOCUMENT.kind, STATE_DOCUMENT.id);
  } catch (e) {
    stateRead = false;
    failures.push({ operation: 'dynamodb:GetItem', message: `collector state: ${describeError(e)}` });
  }
  const state: CollectorState = doc?.value ?? { groups: {} };
  const backoffs = new Backoffs(state.backoff, started);
  const aws = backoffs.wrap(bound(deps.aws(cluster.region ?? deps.defaultRegion, calls)));

  const cloud = await readCloudState(aws, cluster.name);
  failures.push(...cloud.failures);
  const { activities, groups } = await readActivities(aws, cloud, state, started, failures);

  let hostReport: WriteReport | undefined;
  let metricsRead = false;
  // Without the instance list there is nothing to read metrics for: the read did not happen, so it is not done.
  if (deps.hostMetrics.groups.length && cloud.instancesRead && isDue(state.metricsReadAt, started, deps.hostMetrics.everyMinutes)) {
    const read = await readHostMetrics(aws.cloudWatch, monitored(cloud, deps.hostMetrics), deps.hostMetrics, started);
    failures.push(...read.failures);
    if (read.answered) {
      metricsRead = true;
      // A partial read never replaces complete figures with fewer.
      const changed = read.failures.length ? written.withoutLoss(cluster.name, read.minutes) : written.changed(cluster.name, read.minutes);
      if (changed.length) {
        hostReport = await store.putHostMinutes(cluster.name, changed);
        if (hostReport.failed.length) failures.push(storeFailure('host minutes', hostReport));
        else written.remember(cluster.name, changed);
      }
    }
  }

  const rollup: CloudRollup = {
    minute,
    collectedAt: started,
    cluster: cloud.cluster,
    nodeGroups: cloud.nodeGroups,
    autoScalingGroups: cloud.autoScalingGroups,
    scalingActivities: activities,
    hosts: cloud.instances.map((i) => i.host),
    failures,
  };
  const rollupReport = await store.putCloudRollup(cluster.name, rollup);
  const stored = rollupReport.failed.length === 0;
  if (!stored) log.error('cloud rollup not stored', { failed: rollupReport.failed });
  const adoption = stored ? await adoptWaitingEvents(store, cluster.name, rollup, started) : undefined;
  if (adoption) failures.push(adoption);

  // Watermarks move only once what they cover is stored, so nothing is skipped after a failed write.
  if (stored && stateRead) {
    const backoff = backoffs.snapshot();
    const next: CollectorState = {
      groups,
      metricsReadAt: metricsRead && !hostReport?.failed.length ? started : state.metricsReadAt,
      ...(backoff ? { backoff } : {}),
    };
    if (JSON.stringify(next) !== JSON.stringify(state)) {
      try {
        const v = await store.putDocument(cluster.name, STATE_DOCUMENT.kind, STATE_DOCUMENT.id, next, doc?.version, {
          expiresAt: started + store.retentionDays * DAY_MS,
        });
        if (v === undefined) log.warn("collector state changed by an overlapping run; this run's watermarks are dropped");
      } catch (e) {
        log.warn('collector state not stored; the next run re-reads the same activities', { error: e });
      }
    }
  }

  const run: ClusterRun = {
    cluster: cluster.name,
    minute,
    stored,
    hosts: cloud.instances.length,
    hostMinutes: hostReport?.written ?? 0,
    metricsRead,
    newActivities: activities.length,
    failures,
    calls: calls.snapshot(),
    metricsRequested: calls.metricsRequested,
    durationMs: clock.now() - started,
  };
  // A failing query is told when it fails (at growing intervals) and when it recovers, not every minute it waits.
  for (const key of backoffs.started) log.warn('query failing; asked again at growing intervals', { query: key });
  for (const r of backoffs.recovered)
    log.info('query recovered', { query: r.key, failures: r.failures, since: new Date(r.since).toISOString() });
  const waiting = failures.filter((f) => f.message.includes(`${BackoffError.name}:`)).length;
  if (failures.length > waiting) log.warn('cluster collected with failures', { ...run });
  else log.info(failures.length ? 'cluster collected; failing queries wait for their next attempt' : 'cluster collected', { ...run });
  return run;
}

/** Activities new since each group's watermark, for the groups that can have news. */
async function readActivities(
  aws: AwsAccount,
  cloud: CloudState,
  state: CollectorState,
  now: EpochMs,
  failures: CollectorFailure[],
): Promise<{ activities: ScalingActivity[]; groups: Record<string, GroupWatermark> }> {
  const groups: Record<string, GroupWatermark> = {};
  const activities: ScalingActivity[] = [];
  await mapLimit(cloud.autoScalingGroups, PARALLEL_ACTIVITY_READS, async (g) => {
    const prev = state.groups[g.name];
    if (!needsActivityRead(g, prev, now)) {
      if (prev) groups[g.name] = prev;
      return;
    }
    try {
      const read = await aws.autoScaling.describeScalingActivities(g.name, activitiesSince(prev, now));
      const { report, next } = advanceWatermark(g, prev, read, now);
      activities.push(...report);
      groups[g.name] = next;
    } catch (e) {
      failures.push({
        operation: 'autoscaling:DescribeScalingActivities',
        message: `group ${g.name}: ${describeError(e)}`,
        subject: { autoScalingGroup: g.name },
      });
      if (prev) groups[g.name] = prev;
    }
  });
  // A group that could not be described this run keeps its watermark (gone groups drop out).
  if (failures.some((f) => f.operation === 'autoscaling:DescribeAutoScalingGroups')) {
    for (const [name, w] of Object.entries(state.groups)) groups[name] ??= w;
  }
  return { activities: activities.sort((a, b) => a.startTime - b.startTime || a.activityId.localeCompare(b.activityId)), groups };
}

/** The instances whose metrics are read, with the period their monitoring allows. */
function monitored(cloud: CloudState, settings: HostMetricsSettings): MonitoredInstance[] {
  const groups = new Set(cloud.autoScalingGroups.map((g) => g.name));
  return cloud.instances
    .filter((i) => LIVE_STATES.has(i.host.state))
    .map((i) => ({
      host: i.host,
      periodMinutes: settings.periodMinutes === 1 && i.detailedMonitoring ? 1 : 5,
      autoScalingGroup: i.host.autoScalingGroup && groups.has(i.host.autoScalingGroup) ? i.host.autoScalingGroup : undefined,
    }));
}

/** `ListMetrics` answers, per region and metric, shared by the clusters of one invocation. */
type Listings = Map<string, Promise<Record<string, string>[]>>;

/**
 * The account with `ListMetrics` asked once per region and metric per invocation: the listing is the
 * region's (every instance of every cluster, paged 500 at a time), not the cluster's. A failed listing is
 * not kept, so the next cluster asks again.
 */
function sharedListings(aws: AwsAccount, listings: Listings, region: string): AwsAccount {
  const cw = aws.cloudWatch;
  return {
    ...aws,
    cloudWatch: {
      getMetricData: (queries, from, to) => cw.getMetricData(queries, from, to),
      listMetrics: (namespace, metricName) => {
        const key = `${region}|${namespace}|${metricName}`;
        let listing = listings.get(key);
        if (!listing) {
          listing = cw.listMetrics(namespace, metricName);
          listings.set(key, listing);
          listing.catch(() => listings.delete(key));
        }
        return listing;
      },
    },
  };
}

/** Files the AWS events that came before this rollup listed their instance; on failure the next runs try again. */
async function adoptWaitingEvents(
  store: VigilStore,
  cluster: string,
  rollup: CloudRollup,
  now: EpochMs,
): Promise<CollectorFailure | undefined> {
  try {
    const report = await adoptAwsEvents(store, cluster, rollup, now);
    return report?.failed.length ? storeFailure('AWS events adopted', report) : undefined;
  } catch (e) {
    return { operation: 'dynamodb:Query', message: `AWS events waiting for their instance: ${describeError(e)}` };
  }
}

function storeFailure(what: string, r: WriteReport): CollectorFailure {
  return {
    operation: 'dynamodb:BatchWriteItem',
    message: `${r.failed.length} ${what} not stored (first: ${r.failed[0].key}: ${r.failed[0].reason})`,
  };
}
