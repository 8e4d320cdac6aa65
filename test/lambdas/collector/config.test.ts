import { ConfigError } from '../../../common/config';
import { DEFAULT_HOST_METRICS, readCollectorConfig } from '../../../lambdas/collector/config';

const base = {
  VIGIL_TABLE_NAME: 'vigil',
  VIGIL_CLUSTERS: '[{"name":"prod"},{"name":"staging","region":"us-east-1"}]',
  AWS_REGION: 'eu-west-1',
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    readCollectorConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

test('the defaults: every 5 minutes, a 15-minute window, CPU, status checks, agent memory and disk', () => {
  expect(readCollectorConfig(base)).toEqual({
    tableName: 'vigil',
    retentionDays: 14,
    clusters: [{ name: 'prod' }, { name: 'staging', region: 'us-east-1' }],
    defaultRegion: 'eu-west-1',
    hostMetrics: DEFAULT_HOST_METRICS,
  });
  expect(DEFAULT_HOST_METRICS).toEqual({
    periodMinutes: 5,
    everyMinutes: 5,
    windowMinutes: 15,
    groups: ['cpu', 'status', 'memory', 'disk'],
  });
});

test('every setting can be changed', () => {
  const c = readCollectorConfig({
    ...base,
    VIGIL_RETENTION_DAYS: '30',
    VIGIL_HOST_METRICS_PERIOD_MINUTES: '1',
    VIGIL_HOST_METRICS_EVERY_MINUTES: '10',
    VIGIL_HOST_METRICS_WINDOW_MINUTES: '30',
    VIGIL_HOST_METRICS: '["cpu","network","ebs"]',
  });
  expect(c.retentionDays).toBe(30);
  expect(c.hostMetrics).toEqual({ periodMinutes: 1, everyMinutes: 10, windowMinutes: 30, groups: ['cpu', 'network', 'ebs'] });
  expect(readCollectorConfig({ ...base, VIGIL_HOST_METRICS: '[]' }).hostMetrics.groups).toEqual([]);
});

test('every problem is reported at once, naming the variable', () => {
  expect(
    problems({
      VIGIL_CLUSTERS: '[{"name":"prod"},{"name":"prod","region":"mars-1"}]',
      VIGIL_HOST_METRICS_PERIOD_MINUTES: '3',
      VIGIL_HOST_METRICS_EVERY_MINUTES: '0',
      VIGIL_HOST_METRICS: '["cpu","gpu","cpu"]',
    }),
  ).toEqual([
    'VIGIL_TABLE_NAME is required',
    'VIGIL_CLUSTERS at [1].region: must be an AWS region like "eu-west-1", got "mars-1"',
    'VIGIL_CLUSTERS at [1].name: must be unique, in every region (the name keys the cluster\'s data): "prod" is listed twice',
    'AWS_REGION is required',
    'VIGIL_HOST_METRICS_PERIOD_MINUTES: expected 1 or 5',
    'VIGIL_HOST_METRICS_EVERY_MINUTES must be an integer from 1 to 60, got "0"',
    expect.stringMatching(
      /^VIGIL_HOST_METRICS at \[1\]: Invalid option: expected one of "cpu"\|"status"\|"network"\|"ebs"\|"memory"\|"disk"$/,
    ),
  ]);
});

test('a window shorter than the cadence would leave minutes unread', () => {
  expect(problems({ ...base, VIGIL_HOST_METRICS_EVERY_MINUTES: '20', VIGIL_HOST_METRICS_WINDOW_MINUTES: '15' })).toEqual([
    'VIGIL_HOST_METRICS_WINDOW_MINUTES (15) must be at least VIGIL_HOST_METRICS_EVERY_MINUTES (20), or the minutes between reads are never read',
  ]);
  expect(problems({ ...base, VIGIL_HOST_METRICS_EVERY_MINUTES: '1', VIGIL_HOST_METRICS_WINDOW_MINUTES: '3' })).toEqual([
    'VIGIL_HOST_METRICS_WINDOW_MINUTES (3) must be at least 5: instances with basic monitoring have one point per 5 minutes',
  ]);
  expect(problems({ ...base, VIGIL_CLUSTERS: '[]' })).toEqual([
    'VIGIL_CLUSTERS: must list at least one cluster, like [{"name": "prod", "region": "eu-west-1"}]',
  ]);
});
