/**
 * What the collector reads from CloudWatch: host metric data points (`GetMetricData`, billed per metric
 * requested) and which CloudWatch agent metrics exist (`ListMetrics`, billed per request, i.e. nearly free).
 */
import { paginateGetMetricData, paginateListMetrics, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { EpochMs } from '../../model/time';
import { countedPages, type CallCounter } from './calls';

export type MetricStatistic = 'Average' | 'Maximum' | 'Sum';

export interface MetricQuery {
  /** `^[a-z][a-zA-Z0-9_]*$`, unique within a call. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: MetricStatistic;
  readonly periodSeconds: number;
}

export interface MetricPoint {
  /** Start of the period the value covers. */
  readonly t: EpochMs;
  readonly value: number;
}

export interface MetricSeries {
  readonly id: string;
  /** Oldest first. */
  readonly points: readonly MetricPoint[];
  /** `Complete`, or `InternalError` / `Forbidden` / {@link NOT_RETURNED} for a query CloudWatch did not answer. */
  readonly status: string;
  readonly message?: string;
}

export interface CloudWatchApi {
  /** One `GetMetricData` request of at most {@link MAX_QUERIES_PER_CALL} queries over [from, to), every page. */
  getMetricData(queries: readonly MetricQuery[], from: EpochMs, to: EpochMs): Promise<MetricSeries[]>;
  /** Dimension sets of `namespace`/`metricName` that received data in the last 3 hours, every page. */
  listMetrics(namespace: string, metricName: string): Promise<Record<string, string>[]>;
}

/** The status of a query missing from the response: CloudWatch did not run it. */
export const NOT_RETURNED = 'NotReturned';

/** The API's limit on queries per `GetMetricData` request. */
export const MAX_QUERIES_PER_CALL = 500;
/** `GetMetricData` returns at most 100,800 data points a page (its `MaxDatapoints` default); each page is billed for every query. */
export const DATAPOINTS_PER_PAGE = 100_800;
/** `ListMetrics` returns at most 500 metrics a page (there is no page-size parameter). */
export const LISTED_METRICS_PER_PAGE = 500;

export class SdkCloudWatch implements CloudWatchApi {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly calls: CallCounter,
  ) {}

  async getMetricData(queries: readonly MetricQuery[], from: EpochMs, to: EpochMs): Promise<MetricSeries[]> {
    if (queries.length > MAX_QUERIES_PER_CALL) {
      throw new RangeError(`GetMetricData takes at most ${MAX_QUERIES_PER_CALL} queries a request, got ${queries.length}`);
    }
    if (queries.length === 0) return [];
    const byId = new Map<string, { points: MetricPoint[]; status: string; message?: string }>();
    const messages: string[] = [];
    const pages = paginateGetMetricData(countedPages(this.client, this.calls, 'cloudwatch:GetMetricData', queries.length), {
      MetricDataQueries: queries.map((q) => ({
        Id: q.id,
        MetricStat: {
          Metric: {
            Namespace: q.namespace,
            MetricName: q.metricName,
            Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: q.periodSeconds,
          Stat: q.stat,
        },
        ReturnData: true,
      })),
      StartTime: new Date(from),
      EndTime: new Date(to),
      ScanBy: 'TimestampAscending',
    });
    for await (const out of pages) {
      for (const r of out.MetricDataResults ?? []) merge(byId, r);
      messages.push(...messagesOf(out.Messages));
    }
    return queries.map((q) => {
      const s = byId.get(q.id);
      // CloudWatch answers every query it ran, even with no data; one it left out did not run, and the
      // response's `Messages` say why ("as much of the operation as possible is still executed").
      if (!s) return { id: q.id, points: [], status: NOT_RETURNED, message: messages.join('; ') || undefined };
      return { id: q.id, points: s.points.sort((a, b) => a.t - b.t), status: s.status, message: s.message };
    });
  }

  async listMetrics(namespace: string, metricName: string): Promise<Record<string, string>[]> {
    const out: Record<string, string>[] = [];
    const pages = paginateListMetrics(countedPages(this.client, this.calls, 'cloudwatch:ListMetrics'), {
      Namespace: namespace,
      MetricName: metricName,
      RecentlyActive: 'PT3H',
    });
    for await (const page of pages) {
      for (const m of page.Metrics ?? []) out.push(Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])));
    }
    return out;
  }
}

function merge(byId: Map<string, { points: MetricPoint[]; status: string; message?: string }>, r: MetricDataResult): void {
  if (!r.Id) return;
  const s = byId.get(r.Id) ?? { points: [], status: 'Complete' };
  const times = r.Timestamps ?? [];
  const values = r.Values ?? [];
  for (let i = 0; i < Math.min(times.length, values.length); i++) s.points.push({ t: new Date(times[i]).getTime(), value: values[i] });
  // `PartialData` only means "more on the next page"; a failed query stays failed.
  if (r.StatusCode === 'InternalError' || r.StatusCode === 'Forbidden') {
    s.status = r.StatusCode;
    s.message = messagesOf(r.Messages).join('; ') || undefined;
  }
  byId.set(r.Id, s);
}

function messagesOf(messages: readonly { Code?: string; Value?: string }[] | undefined): string[] {
  return (messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).filter(Boolean);
}
