import { alertId, instanceIdFromProviderId, nodeKeyOf } from '../../model/domain';
import { imageName, matchesSelector, parseSelector, peerOutliers, type ContainerSample } from '../../model/selector';
import { isoMinute, minutesBetween, minuteOf } from '../../model/time';

test('instance ids come from EC2 provider ids only', () => {
  expect(instanceIdFromProviderId('aws:///eu-west-1a/i-0abc1234def567890')).toBe('i-0abc1234def567890');
  expect(instanceIdFromProviderId('aws:///eu-west-1a/6c2b1a9e3d-fa41/fargate-ip-10-0-1-1.eu-west-1.compute.internal')).toBeUndefined();
  expect(instanceIdFromProviderId('gce://project/zone/instance')).toBeUndefined();
  expect(instanceIdFromProviderId(undefined)).toBeUndefined();
});

test('node keys join nodes to hosts by instance id, Fargate nodes by name', () => {
  expect(nodeKeyOf({ name: 'ip-10-0-1-1', instanceId: 'i-0abc1234def567890' })).toBe('i-0abc1234def567890');
  expect(nodeKeyOf({ name: 'fargate-ip-10-0-1-1' })).toBe('node/fargate-ip-10-0-1-1');
});

test('an alert id is the rule and the subject labels in a fixed order, never its values', () => {
  const a = alertId('node-memory-pressure', { node: 'n1', cluster: 'prod' });
  expect(a).toBe('node-memory-pressure|cluster=prod|node=n1');
  expect(alertId('node-memory-pressure', { cluster: 'prod', node: 'n1', namespace: undefined })).toBe(a);
});

test('time helpers', () => {
  const t = Date.UTC(2026, 10, 23, 12, 5, 42, 7);
  expect(minuteOf(t)).toBe(Date.UTC(2026, 10, 23, 12, 5));
  expect(isoMinute(t)).toBe('2026-11-23T12:05');
  expect(minutesBetween(t, t + 120_000)).toEqual([0, 1, 2].map((i) => Date.UTC(2026, 10, 23, 12, 5 + i)));
});

describe('selectors', () => {
  const s = (over: Partial<ContainerSample>): ContainerSample => ({
    minute: 0,
    node: 'n1',
    zone: 'eu-west-1a',
    namespace: 'shop',
    pod: 'web-1',
    workload: 'Deployment/web',
    container: 'web',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.4.2',
    labels: { app: 'web', tier: 'front' },
    restarts: 0,
    cpuMilli: 100,
    ...over,
  });

  test('image short names, with or without registry, tag and digest', () => {
    expect(imageName('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.4.2')).toBe('web');
    expect(imageName('nginx')).toBe('nginx');
    expect(imageName('localhost:5000/web@sha256:abc')).toBe('web');
  });

  test('tags, labels and wildcards', () => {
    expect(matchesSelector(s({}), parseSelector('image=web zone=eu-west-1a'))).toBe(true);
    expect(matchesSelector(s({}), parseSelector('image=web,zone=*1b'))).toBe(false);
    expect(matchesSelector(s({}), parseSelector('zone=*1a app=web label:tier=fr*'))).toBe(true);
    expect(matchesSelector(s({}), parseSelector('workload=web'))).toBe(true);
    expect(matchesSelector(s({}), parseSelector('workload=Deployment/web'))).toBe(true);
    expect(matchesSelector(s({}), parseSelector('app=api'))).toBe(false);
    expect(matchesSelector(s({ zone: undefined }), parseSelector('zone=*'))).toBe(false);
    expect(() => parseSelector('image')).toThrow('selector term "image" is not key=value');
  });

  test('peer outliers: containers more than N% above their group average', () => {
    const rows = peerOutliers(
      [
        s({ pod: 'a', cpuMilli: 100 }),
        s({ pod: 'b', cpuMilli: 100 }),
        s({ pod: 'c', cpuMilli: 100 }),
        s({ pod: 'd', cpuMilli: 300 }),
        s({ pod: 'd', cpuMilli: 300, minute: 60_000 }),
        s({ pod: 'x', workload: 'Deployment/api', cpuMilli: 1000 }),
      ],
      { groupBy: ['workload'], metric: 'cpuMilli', thresholdPct: 50 },
    );
    const d = rows.find((r) => r.pod === 'd')!;
    expect(d).toMatchObject({ value: 300, groupAverage: 150, groupSize: 4, abovePct: 100, outlier: true, minutes: 2 });
    expect(rows.filter((r) => r.outlier).map((r) => r.pod)).toEqual(['d']);
    // A group of one is never an outlier of itself.
    expect(rows.find((r) => r.pod === 'x')?.outlier).toBe(false);
  });
});
