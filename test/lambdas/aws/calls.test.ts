import { CallCounter, describeError } from '../../../lambdas/aws/calls';

test('counts calls by operation and metrics requested', () => {
  const c = new CallCounter();
  c.count('ec2:DescribeInstances');
  c.count('eks:DescribeCluster');
  c.count('ec2:DescribeInstances');
  c.countMetrics(500);
  c.countMetrics(68);
  expect(c.snapshot()).toEqual({ 'ec2:DescribeInstances': 2, 'eks:DescribeCluster': 1 });
  expect(Object.keys(c.snapshot())).toEqual(['ec2:DescribeInstances', 'eks:DescribeCluster']);
  expect(c.metricsRequested).toBe(568);
});

test('errors are described by name and message, bounded', () => {
  expect(describeError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).toBe(
    'ThrottlingException: Rate exceeded',
  );
  expect(describeError('plain')).toBe('plain');
  const long = describeError(new Error('x'.repeat(1000)));
  expect(long).toHaveLength(300);
  expect(long.endsWith('...')).toBe(true);
});
