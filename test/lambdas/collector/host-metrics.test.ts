import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CallCounter } from '../../../lambdas/aws/calls';
import { SdkCloudWatch, type CloudWatchApi, type MetricQuery, type MetricSeries } from '../../../lambdas/aws/cloudwatch';
import { DEFAULT_HOST_METRICS, type MetricGroup } from '../../../lambdas/collector/config';
import {
  agentSeriesOf,
  withSiblingSeries,
  isDue,
  metricsWindow,
  planReads,
  readHostMetrics,
  type MonitoredInstance,
} from '../../../lambdas/collector/host-metrics';
import type { Host } from '../../../model/domain';
import { MINUTE_MS } from '../../../model/time';

const at = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 23, h, m, s);
const NOW = at(12, 7, 20);

const host = (id: string): Host => ({
  instanceId: id,
  instanceType: 'm6i.xlarge',
  zone: 'eu-west-1a',
  capacityType: 'on-demand',
  state: 'running',
  launchTime: at(9, 0),
});
const inst = (id: string, over: Partial<MonitoredInstance> = {}): MonitoredInstance => ({ host: host(id), periodMinutes: 5, ...over });

/** A CloudWatch that answers every query from `value(query, t)` at the query's period. */
function fakeCloudWatch(
  value: (q: MetricQuery, t: number) => number | undefined,
  opts: { fail?: (n: number) => Error | undefined; list?: Record<string, Record<string, string>[]> } = {},
) {
  const requests: MetricQuery[][] = [];
  const api: CloudWatchApi = {
    getMetricData: async (queries, from, to) => {
      requests.push([...queries]);
      const e = opts.fail?.(requests.length);
      if (e) throw e;
      return queries.map((q): MetricSeries => {
        const points = [];
        for (let t = from; t < to; t += q.periodSeconds * 1000) {
          const v = value(q, t);
          if (v !== undefined) points.push({ t, value: v });
        }
        return { id: q.id, points, status: 'Complete' };
      });
    },
    listMetrics: async (_ns, name) => opts.list?.[name] ?? [],
  };
  return { api, requests };
}

test('the window ends on a period boundary (EndTime is exclusive: no last period built from fewer minutes) and starts on a 5-minute boundary', () => {
  expect(metricsWindow(NOW, 15, 5)).toEqual({ from: at(11, 50), to: at(12, 5) });
  expect(metricsWindow(NOW, 15, 1)).toEqual({ from: at(11, 50), to: at(12, 7) });
  expect(metricsWindow(at(12, 10, 0), 15, 5)).toEqual({ from: at(11, 55), to: at(12, 10) });
});

test('a read is due every `everyMinutes`, at minute granularity', () => {
  expect(isDue(undefined, NOW, 5)).toBe(true);
  expect(isDue(at(12, 3, 59), NOW, 5)).toBe(false);
  expect(isDue(at(12, 2, 0), NOW, 5)).toBe(true);
  // A clock that went back does not stop reads.
  expect(isDue(at(13, 0), NOW, 5)).toBe(true);
});

test('the planned queries follow the groups, and status checks go per Auto Scaling group', () => {
  const instances = [inst('i-01', { autoScalingGroup: 'g1' }), inst('i-02', { autoScalingGroup: 'g1', periodMinutes: 1 }), inst('i-03')];
  const plan = (groups: MetricGroup[]) => planReads(instances, new Set(groups), new Map());
  const names = (groups: MetricGroup[]) =>
    plan(groups).map((p) => `${p.query.metricName}:${Object.values(p.query.dimensions)[0]}:${p.query.periodSeconds}`);
  expect(names(['cpu'])).toEqual(['CPUUtilization:i-01:300', 'CPUUtilization:i-02:60', 'CPUUtilization:i-03:300']);
  // One metric for the group, one for the instance outside any group: at 1 minute, as EC2 publishes them, whatever the monitoring.
  expect(names(['status'])).toEqual(['StatusCheckFailed:i-03:60', 'StatusCheckFailed:g1:60']);
  expect(plan(['cpu', 'status', 'network', 'ebs'])).toHaveLength(3 * 7 + 2);
  // Memory and disk only for instances that publish them.
  expect(plan(['memory', 'disk'])).toEqual([]);
});

test('agent series: the listed instances only, the root filesystem when it is listed', () => {
  const d = (id: string, path?: string) => ({
    InstanceId: id,
    ImageId: 'ami-1',
    InstanceType: 'm6i.xlarge',
    ...(path ? { path, device: 'nvme0n1p1', fstype: 'xfs' } : {}),
  });
  const listed = new Map([
    ['mem_used_percent', [d('i-01'), d('i-99')]],
    ['disk_used_percent', [d('i-01', '/boot'), d('i-01', '/'), d('i-02', '/data'), d('i-02', '/logs'), d('i-02', '/a'), d('i-02', '/b')]],
  ]);
  const s = agentSeriesOf(listed, new Set(['i-01', 'i-02']));
  expect(s.get('mem_used_percent')).toEqual(new Map([['i-01', [d('i-01')]]]));
  expect(s.get('disk_used_percent')?.get('i-01')).toEqual([d('i-01', '/')]);
  expect(
    s
      .get('disk_used_percent')
      ?.get('i-02')
      ?.map((x) => x.path),
  ).toEqual(['/data', '/logs', '/a']);
});

test("sibling series: a new unlisted instance borrows a listed sibling's dimensions, an old one does not", () => {
  const listed = { InstanceId: 'i-01', ImageId: 'ami-1', InstanceType: 'm6i.xlarge', AutoScalingGroupName: 'g1' };
  const agent = new Map([['mem_used_percent', new Map([['i-01', [listed]]])]]);
  const fresh = inst('i-02', { host: { ...host('i-02'), autoScalingGroup: 'g1', instanceType: 'm6i.2xlarge', launchTime: at(12, 0) } });
  const old = inst('i-03', { host: { ...host('i-03'), autoScalingGroup: 'g1' } });
  const other = inst('i-04', { host: { ...host('i-04'), autoScalingGroup: 'g2', launchTime: at(12, 0) } });
  const s = withSiblingSeries(agent, [inst('i-01', { host: { ...host('i-01'), autoScalingGroup: 'g1' } }), fresh, old, other], NOW);
  expect(s.get('mem_used_percent')).toEqual(
    new Map([
      ['i-01', [listed]],
      ['i-02', [{ ...listed, InstanceId: 'i-02', InstanceType: 'm6i.2xlarge' }]],
    ]),
  );
});

test('1,200 instances are read in requests of at most 500 queries, and assembled per instance and period', async () => {
  const instances = Array.from({ length: 1200 }, (_, i) => inst(`i-${String(i).padStart(17, '0')}`));
  const cw = fakeCloudWatch((q, t) => (t <= at(12, 0) ? Number(q.dimensions.InstanceId.slice(-3)) + t / 1e15 : undefined));
  const r = await readHostMetrics(cw.api, instances, { ...DEFAULT_HOST_METRICS, groups: ['cpu'] }, NOW);
  expect(cw.requests.map((q) => q.length)).toEqual([500, 500, 200]);
  expect(r.failures).toEqual([]);
  expect(r.minutes).toHaveLength(1200 * 3);
  const one = r.minutes.filter((m) => m.host.instanceId === instances[42].host.instanceId);
  expect(one.map((m) => [m.minute, m.periodMinutes, m.collectedAt])).toEqual([
    [at(11, 50), 5, NOW],
    [at(11, 55), 5, NOW],
    [at(12, 0), 5, NOW],
  ]);
  expect(one[2].metrics).toEqual({ cpuPct: 42 + at(12, 0) / 1e15 });
});

test('one failed request costs only its metrics: the answered ones are assembled, the failure names it', async () => {
  const instances = Array.from({ length: 600 }, (_, i) => inst(`i-${String(i).padStart(17, '0')}`));
  const cw = fakeCloudWatch(() => 1, {
    fail: (n) => (n === 2 ? Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }) : undefined),
  });
  const r = await readHostMetrics(cw.api, instances, { ...DEFAULT_HOST_METRICS, groups: ['cpu'] }, NOW);
  expect(r.failures).toEqual([{ operation: 'cloudwatch:GetMetricData', message: '100 metrics: Throttling: Rate exceeded' }]);
  expect(r.answered).toBe(true);
  expect(new Set(r.minutes.map((m) => m.host.instanceId)).size).toBe(500);
});

test('a query CloudWatch refuses (Forbidden) is reported and left out; the others are kept', async () => {
  const api: CloudWatchApi = {
    getMetricData: async (queries) =>
      queries.map((q) =>
        q.metricName === 'CPUUtilization'
          ? { id: q.id, points: [{ t: at(12, 0), value: 12 }], status: 'Complete' }
          : { id: q.id, points: [{ t: at(12, 0), value: 1 }], status: 'Forbidden', message: 'AccessDenied' },
      ),
    listMetrics: async () => [],
  };
  const r = await readHostMetrics(api, [inst('i-01')], { ...DEFAULT_HOST_METRICS, groups: ['cpu', 'status'] }, NOW);
  expect(r.failures).toEqual([{ operation: 'cloudwatch:GetMetricData', message: '1 metrics answered Forbidden: AccessDenied' }]);
  expect(r.minutes.map((m) => m.metrics)).toEqual([{ cpuPct: 12 }]);
  // Nothing answered at all: the window was not read.
  const none = await readHostMetrics(
    { ...api, getMetricData: async (queries) => queries.map((q) => ({ id: q.id, points: [], status: 'Forbidden' })) },
    [inst('i-01')],
    { ...DEFAULT_HOST_METRICS, groups: ['cpu'] },
    NOW,
  );
  expect(none).toMatchObject({ minutes: [], answered: false });
});

test('ListMetrics denied: memory and disk are reported missing, CPU and status checks are still read', async () => {
  const cw = fakeCloudWatch((q, t) => (t === at(12, 0) ? (q.metricName === 'CPUUtilization' ? 33 : 0) : undefined));
  const api: CloudWatchApi = {
    ...cw.api,
    listMetrics: async () =>
      Promise.reject(Object.assign(new Error('User is not authorized to perform: cloudwatch:ListMetrics'), { name: 'AccessDenied' })),
  };
  const r = await readHostMetrics(api, [inst('i-01')], DEFAULT_HOST_METRICS, NOW);
  expect(r.failures.map((f) => f.message)).toEqual([
    'CWAgent/mem_used_percent: AccessDenied: User is not authorized to perform: cloudwatch:ListMetrics',
    'CWAgent/disk_used_percent: AccessDenied: User is not authorized to perform: cloudwatch:ListMetrics',
  ]);
  expect(r.minutes.map((m) => m.metrics)).toEqual([{ cpuPct: 33, statusCheckFailed: 0 }]);
});

test("a group reading 0 clears every member minute by minute, up to the current minute, into each member's own period parts", async () => {
  const instances = [inst('i-01', { autoScalingGroup: 'g1', periodMinutes: 1 }), inst('i-02', { autoScalingGroup: 'g1' })];
  const cw = fakeCloudWatch((q, t) => (q.dimensions.AutoScalingGroupName === 'g1' && t >= at(12, 0) ? 0 : undefined));
  const r = await readHostMetrics(cw.api, instances, { ...DEFAULT_HOST_METRICS, groups: ['status'] }, NOW);
  expect(r.minutes.map((m) => `${m.host.instanceId}@${(m.minute - at(12, 0)) / MINUTE_MS}/${m.periodMinutes}`)).toEqual([
    'i-01@0/1',
    'i-01@1/1',
    'i-01@2/1',
    'i-01@3/1',
    'i-01@4/1',
    'i-01@5/1',
    'i-01@6/1',
    'i-02@0/5',
    'i-02@5/5',
  ]);
  expect(r.minutes.every((m) => m.metrics.statusCheckFailed === 0)).toBe(true);
});

test('an instance launched after a period gets nothing from that period', async () => {
  const late = inst('i-02', { autoScalingGroup: 'g1', host: { ...host('i-02'), launchTime: at(12, 1) } });
  const cw = fakeCloudWatch((q) => (q.dimensions.AutoScalingGroupName === 'g1' ? 0 : undefined));
  const r = await readHostMetrics(
    cw.api,
    [inst('i-01', { autoScalingGroup: 'g1' }), late],
    { ...DEFAULT_HOST_METRICS, groups: ['status'] },
    NOW,
  );
  // Its status minutes from 12:01 on, up to the current minute (12:05-12:10 so far).
  expect(r.minutes.filter((m) => m.host.instanceId === 'i-02').map((m) => m.minute)).toEqual([at(12, 0), at(12, 5)]);
});

test('the fullest of several disks counts', async () => {
  const list = {
    disk_used_percent: [
      { InstanceId: 'i-01', path: '/data' },
      { InstanceId: 'i-01', path: '/logs' },
    ],
  };
  const cw = fakeCloudWatch((q, t) => (t === at(12, 0) ? (q.dimensions.path === '/logs' ? 91 : 40) : undefined), { list });
  const r = await readHostMetrics(cw.api, [inst('i-01')], { ...DEFAULT_HOST_METRICS, groups: ['disk'] }, NOW);
  expect(r.minutes.map((m) => m.metrics)).toEqual([{ diskUsedPct: 91 }]);
});

test('nothing is requested when there is nothing to read', async () => {
  const cw = fakeCloudWatch(() => 1);
  expect(await readHostMetrics(cw.api, [], DEFAULT_HOST_METRICS, NOW)).toEqual({ minutes: [], failures: [], answered: true });
  expect(await readHostMetrics(cw.api, [inst('i-01')], { ...DEFAULT_HOST_METRICS, groups: [] }, NOW)).toEqual({
    minutes: [],
    failures: [],
    answered: true,
  });
  expect(cw.requests).toEqual([]);
});

describe('status checks at 1 minute (GetMetricData as CloudWatch answers it)', () => {
  const cw = mockClient(CloudWatchClient);
  afterAll(() => cw.restore());

  /** One result per query, timestamps ascending, only the points `value` has: CloudWatch leaves out minutes with no data. */
  function answer(value: (metric: string, dimension: string, periodSeconds: number, t: number) => number | undefined) {
    return (input: GetMetricDataCommandInput) => {
      const from = input.StartTime!.getTime();
      const to = input.EndTime!.getTime();
      const results: MetricDataResult[] = input.MetricDataQueries!.map((q) => {
        const stat = q.MetricStat!;
        const times: Date[] = [];
        const values: number[] = [];
        for (let t = from; t < to; t += stat.Period! * 1000) {
          const v = value(stat.Metric!.MetricName!, stat.Metric!.Dimensions![0].Value!, stat.Period!, t);
          if (v !== undefined) times.push(new Date(t)), values.push(v);
        }
        return { Id: q.Id, Label: stat.Metric!.MetricName, Timestamps: times, Values: values, StatusCode: 'Complete' };
      });
      return { MetricDataResults: results, Messages: [] };
    };
  }

  test("read to the current minute, folded into the 5-minute parts: a failure is known before its period's CPU (which stays unknown); still passing waits for the CPU", async () => {
    cw.reset();
    // CPU in 5-minute points, the 12:00 point not published yet; the system check of i-01 fails from 12:05.
    cw.on(GetMetricDataCommand).callsFake(
      answer((metric, dim, period, t) => {
        if (metric === 'CPUUtilization') return period === 300 && t < at(12, 0) ? 40 : undefined;
        if (period !== 60 || t > at(12, 6)) return undefined;
        const failing = t >= at(12, 5) && (dim === 'g1' || dim === 'i-01');
        return metric === 'StatusCheckFailed_Instance' ? 0 : failing ? 1 : 0;
      }),
    );
    const calls = new CallCounter();
    const api = new SdkCloudWatch(
      new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
      calls,
    );
    const r = await readHostMetrics(
      api,
      [inst('i-01', { autoScalingGroup: 'g1' }), inst('i-02', { autoScalingGroup: 'g1' })],
      { ...DEFAULT_HOST_METRICS, groups: ['cpu', 'status'] },
      NOW,
    );

    const inputs = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    const shape = (i: GetMetricDataCommandInput) =>
      `${i.MetricDataQueries!.map((q) => `${q.MetricStat!.Metric!.MetricName}/${q.MetricStat!.Period}`).join(',')} to ${i.EndTime!.toISOString().slice(11, 16)}`;
    expect(inputs.map(shape)).toEqual([
      'CPUUtilization/300,CPUUtilization/300 to 12:05',
      'StatusCheckFailed/60 to 12:07',
      // Which check, for the group's instances, only because the group failed.
      'StatusCheckFailed/60,StatusCheckFailed_Instance/60,StatusCheckFailed_System/60,StatusCheckFailed/60,StatusCheckFailed_Instance/60,StatusCheckFailed_System/60 to 12:07',
    ]);
    // Billed per metric: the same 9 metrics as at 5 minutes.
    expect(calls.metricsRequested).toBe(9);
    const parts = (id: string) =>
      r.minutes.filter((m) => m.host.instanceId === id).map((m) => [new Date(m.minute).toISOString().slice(11, 16), m.metrics]);
    expect(parts('i-01')).toEqual([
      ['11:50', { cpuPct: 40, statusCheckFailed: 0, statusCheckFailedInstance: 0, statusCheckFailedSystem: 0 }],
      ['11:55', { cpuPct: 40, statusCheckFailed: 0, statusCheckFailedInstance: 0, statusCheckFailedSystem: 0 }],
      // 12:00 passes as 11:55 did and its CPU is not published yet: no news, written with its CPU later.
      ['12:05', { statusCheckFailed: 1, statusCheckFailedInstance: 0, statusCheckFailedSystem: 1 }],
    ]);
    // i-02 still passes: nothing new to write for it until its CPU comes.
    expect(parts('i-02').map(([m]) => m)).toEqual(['11:50', '11:55']);
    expect(r.failures).toEqual([]);
  });

  test("a group that failed in a minute its instances' detail did not answer leaves that period unknown, never healthy", async () => {
    cw.reset();
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      if (input.MetricDataQueries!.some((q) => q.MetricStat!.Metric!.Dimensions![0].Name === 'InstanceId')) {
        return {
          MetricDataResults: input.MetricDataQueries!.map((q) => ({
            Id: q.Id,
            StatusCode: 'InternalError',
            Messages: [{ Code: 'InternalError', Value: 'try again' }],
          })),
        };
      }
      return answer((_m, _d, _p, t) => (t === at(12, 3) ? 1 : 0))(input);
    });
    const api = new SdkCloudWatch(
      new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
      new CallCounter(),
    );
    const r = await readHostMetrics(api, [inst('i-01', { autoScalingGroup: 'g1' })], { ...DEFAULT_HOST_METRICS, groups: ['status'] }, NOW);
    expect(r.minutes.map((m) => [new Date(m.minute).toISOString().slice(11, 16), m.metrics.statusCheckFailed])).toEqual([
      ['11:50', 0],
      ['11:55', 0],
      ['12:05', 0],
    ]);
    expect(r.failures[0].message).toMatch(/3 metrics answered InternalError/);
  });
});
