import { backoffDelay, queryKey } from '../../../lambdas/collector/backoff';
import { MINUTE_MS } from '../../../model/time';

test('the wait doubles from a minute, at most 30', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n) / MINUTE_MS)).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
});

test('a query is its operation and what it is about, never its times: a GetMetricData batch by its metric names', () => {
  const q = (metricName: string) => ({
    id: 'q0',
    namespace: 'AWS/EC2',
    metricName,
    dimensions: { InstanceId: 'i-01' },
    stat: 'Maximum',
    periodSeconds: 60,
  });
  expect(queryKey('cloudwatch:getMetricData', [[q('StatusCheckFailed'), q('CPUUtilization'), q('StatusCheckFailed')], 1, 2])).toBe(
    'cloudwatch:getMetricData CPUUtilization,StatusCheckFailed',
  );
  expect(queryKey('autoscaling:describeScalingActivities', ['asg-1', 1795435620000])).toBe('autoscaling:describeScalingActivities asg-1');
  expect(queryKey('eks:describeNodegroup', ['prod', 'general'])).toBe('eks:describeNodegroup prod general');
  expect(queryKey('autoscaling:describeGroups', [{ names: ['a'] }])).toBe('autoscaling:describeGroups {"names":["a"]}');
});
