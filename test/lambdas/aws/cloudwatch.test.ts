/** The CloudWatch adapter against `aws-sdk-client-mock`, responses shaped like the real API's (typed by the SDK's output types). */
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CallCounter } from '../../../lambdas/aws/calls';
import { SdkCloudWatch, type MetricQuery } from '../../../lambdas/aws/cloudwatch';

const cw = mockClient(CloudWatchClient);
const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let calls: CallCounter;

beforeEach(() => {
  cw.reset();
  calls = new CallCounter();
});

describe('CloudWatch', () => {
  const api = () => new SdkCloudWatch(new CloudWatchClient({ region, credentials }), calls);
  const q = (id: string, InstanceId: string): MetricQuery => ({
    id,
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { InstanceId },
    stat: 'Average',
    periodSeconds: 300,
  });
  const T = Date.UTC(2026, 10, 23, 12, 0);

  test('GetMetricData: one request, pages merged by id, each page billed for every metric', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Label: 'CPUUtilization', Timestamps: [new Date(T)], Values: [12.5], StatusCode: 'PartialData' },
          { Id: 'q1', Label: 'CPUUtilization', Timestamps: [], Values: [], StatusCode: 'Complete' },
        ],
        NextToken: 'more',
        Messages: [],
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Label: 'CPUUtilization', Timestamps: [new Date(T + 300_000)], Values: [14], StatusCode: 'Complete' },
        ],
      });
    const series = await api().getMetricData([q('q0', 'i-01'), q('q1', 'i-02')], T, T + 900_000);
    expect(series).toEqual([
      {
        id: 'q0',
        points: [
          { t: T, value: 12.5 },
          { t: T + 300_000, value: 14 },
        ],
        status: 'Complete',
        message: undefined,
      },
      { id: 'q1', points: [], status: 'Complete', message: undefined },
    ]);
    expect(calls.snapshot()).toEqual({ 'cloudwatch:GetMetricData': 2 });
    expect(calls.metricsRequested).toBe(4);
    const input = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input).toMatchObject({
      StartTime: new Date(T),
      EndTime: new Date(T + 900_000),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'q0',
          MetricStat: {
            Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: 'i-01' }] },
            Period: 300,
            Stat: 'Average',
          },
          ReturnData: true,
        },
        expect.anything(),
      ],
    });
  });

  test('a query CloudWatch refused keeps its status and message', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'not authorized for CWAgent' }] }],
    });
    expect((await api().getMetricData([q('q0', 'i-01')], T, T + 900_000))[0]).toMatchObject({
      status: 'Forbidden',
      message: 'Forbidden not authorized for CWAgent',
    });
  });

  test("a query left out of the response did not run: it is NotReturned, with the response's Messages", async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Label: 'CPUUtilization', Timestamps: [new Date(T)], Values: [4], StatusCode: 'Complete' }],
      Messages: [{ Code: 'MaxMetricsExceeded', Value: 'Maximum number of allowed metrics exceeded' }],
    });
    const [a, b] = await api().getMetricData([q('q0', 'i-01'), q('q1', 'i-02')], T, T + 900_000);
    expect(a).toMatchObject({ status: 'Complete', points: [{ t: T, value: 4 }] });
    expect(b).toEqual({
      id: 'q1',
      points: [],
      status: 'NotReturned',
      message: 'MaxMetricsExceeded Maximum number of allowed metrics exceeded',
    });
  });

  test('more than 500 queries in one request is refused before any call', async () => {
    await expect(
      api().getMetricData(
        Array.from({ length: 501 }, (_, i) => q(`q${i}`, 'i-01')),
        T,
        T + 1,
      ),
    ).rejects.toThrow('at most 500');
    expect(cw.calls()).toHaveLength(0);
  });

  test('ListMetrics: recently active only, every page, dimensions as a record', async () => {
    cw.on(ListMetricsCommand, { Namespace: 'CWAgent', MetricName: 'disk_used_percent' })
      .resolvesOnce({
        Metrics: [
          {
            Namespace: 'CWAgent',
            MetricName: 'disk_used_percent',
            Dimensions: [
              { Name: 'InstanceId', Value: 'i-01' },
              { Name: 'path', Value: '/' },
            ],
          },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({
        Metrics: [
          {
            Namespace: 'CWAgent',
            MetricName: 'disk_used_percent',
            Dimensions: [
              { Name: 'InstanceId', Value: 'i-02' },
              { Name: 'path', Value: '/data' },
            ],
          },
        ],
      });
    expect(await api().listMetrics('CWAgent', 'disk_used_percent')).toEqual([
      { InstanceId: 'i-01', path: '/' },
      { InstanceId: 'i-02', path: '/data' },
    ]);
    expect(cw.commandCalls(ListMetricsCommand)[0].args[0].input.RecentlyActive).toBe('PT3H');
    expect(calls.snapshot()).toEqual({ 'cloudwatch:ListMetrics': 2 });
  });
});
