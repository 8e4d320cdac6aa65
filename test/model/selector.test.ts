/**
 * Selecting containers by tags and labels, and peer outliers: what `vigil query containers`, the store's
 * container query and the peer-outlier rule answer.
 */
import {
  glob,
  imageName,
  matchesSelector,
  parseSelector,
  peerFieldProblem,
  peerOutliers,
  SelectorError,
  type ContainerSample,
} from '../../model/selector';

const T0 = Date.UTC(2026, 10, 23, 12, 0);

const sample = (over: Partial<ContainerSample> = {}): ContainerSample => ({
  minute: T0,
  node: 'ip-10-0-1-17.eu-west-1.compute.internal',
  zone: 'eu-west-1a',
  nodeGroup: 'general',
  instanceType: 'm6i.xlarge',
  capacityType: 'on-demand',
  namespace: 'shop',
  pod: 'web-7d9f8-abcde',
  workload: 'Deployment/web',
  container: 'web',
  image:
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.4@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
  restarts: 0,
  cpuMilli: 100,
  ...over,
});

describe('parseSelector', () => {
  it('reads tags, labels by prefix and any other key as a label, separated by spaces or commas', () => {
    expect(parseSelector('image=web, zone=eu-west-1a  label:namespace=prod app.kubernetes.io/part-of=shop')).toEqual({
      tags: { image: 'web', zone: 'eu-west-1a' },
      labels: { namespace: 'prod', 'app.kubernetes.io/part-of': 'shop' },
    });
    expect(parseSelector('')).toEqual({ tags: {}, labels: {} });
  });

  it.each(['image', '=web', 'image='])('refuses "%s", naming the term', (term) => {
    expect(() => parseSelector(`zone=a ${term}`)).toThrow(new SelectorError(`selector term "${term}" is not key=value`));
  });
});

describe('glob', () => {
  it('matches * as anything and everything else literally', () => {
    expect(glob('web-*').test('web-canary')).toBe(true);
    expect(glob('web-*').test('web-')).toBe(true);
    expect(glob('*').test('')).toBe(true);
    expect(glob('web-*').test('api-web-1')).toBe(false);
    expect(glob('eu-west-1.').test('eu-west-1a')).toBe(false);
    expect(glob('a+b(c)').test('a+b(c)')).toBe(true);
  });
});

describe('imageName', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.4@sha256:abc', 'web'],
    ['nginx', 'nginx'],
    ['public.ecr.aws/eks-distro/kubernetes/pause:3.9', 'pause'],
    ['localhost:5000/web:1.0', 'web'],
    ['registry.k8s.io/coredns/coredns@sha256:abc', 'coredns'],
  ])('%s is %s', (image, name) => {
    expect(imageName(image)).toBe(name);
  });
});

describe('matchesSelector', () => {
  const s = sample();

  it('matches an image by its short name, its full reference or a glob', () => {
    expect(matchesSelector(s, { tags: { image: 'web' } })).toBe(true);
    expect(matchesSelector(s, { tags: { image: s.image } })).toBe(true);
    expect(matchesSelector(s, { tags: { image: '*.amazonaws.com/team/*' } })).toBe(true);
    expect(matchesSelector(s, { tags: { image: 'api' } })).toBe(false);
  });

  it('matches a workload by name or by Kind/name', () => {
    expect(matchesSelector(s, { tags: { workload: 'web' } })).toBe(true);
    expect(matchesSelector(s, { tags: { workload: 'Deployment/web' } })).toBe(true);
    expect(matchesSelector(s, { tags: { workload: 'StatefulSet/web' } })).toBe(false);
  });

  it('needs every term, and a tag or label the container lacks never matches', () => {
    expect(matchesSelector(s, parseSelector('zone=eu-west-1* nodeGroup=general app=web'))).toBe(true);
    expect(matchesSelector(s, parseSelector('zone=eu-west-1a nodeGroup=spot'))).toBe(false);
    expect(matchesSelector(s, parseSelector('team=*'))).toBe(false);
    expect(matchesSelector(sample({ zone: undefined }), parseSelector('zone=*'))).toBe(false);
  });

  it('an empty selector matches everything', () => {
    expect(matchesSelector(s, {})).toBe(true);
  });
});

describe('peerFieldProblem', () => {
  it('accepts the grouping tags and label keys, and names what is wrong otherwise', () => {
    expect(peerFieldProblem('workload')).toBeUndefined();
    expect(peerFieldProblem('label:app.kubernetes.io/name')).toBeUndefined();
    expect(peerFieldProblem('label:-bad')).toBe('"label:-bad": "-bad" is not a label key');
    expect(peerFieldProblem('pod')).toBe('"pod": expected one of workload, image, zone, namespace, nodeGroup, container or label:<key>');
  });
});

describe('peerOutliers', () => {
  const replica = (pod: string, cpuMilli: number, minute = T0, over: Partial<ContainerSample> = {}) =>
    sample({ pod, cpuMilli, minute, ...over });

  it('marks the replica far above its group, averaging each container over its minutes first', () => {
    const rows = peerOutliers(
      [
        replica('web-1', 100),
        replica('web-1', 100, T0 + 60_000),
        replica('web-2', 100),
        // 500 then 300: a mean of 400 over its two minutes.
        replica('web-3', 500),
        replica('web-3', 300, T0 + 60_000),
      ],
      { groupBy: ['workload'], metric: 'cpuMilli', thresholdPct: 50 },
    );
    expect(rows.map((r) => [r.pod, r.value, r.minutes, Math.round(r.abovePct), r.outlier])).toEqual([
      ['web-3', 400, 2, 100, true],
      ['web-1', 100, 2, -50, false],
      ['web-2', 100, 1, -50, false],
    ]);
    expect(rows[0]).toMatchObject({ group: 'shop/Deployment/web', groupAverage: 200, groupSize: 3, from: T0, to: T0 + 60_000 });
  });

  it('never calls a member of a group smaller than minGroupSize an outlier', () => {
    const rows = peerOutliers([replica('web-1', 100), replica('web-2', 900)], {
      groupBy: ['workload'],
      metric: 'cpuMilli',
      thresholdPct: 50,
    });
    expect(rows.map((r) => r.outlier)).toEqual([false, false]);
    expect(
      peerOutliers([replica('web-1', 100), replica('web-2', 900)], {
        groupBy: ['workload'],
        metric: 'cpuMilli',
        thresholdPct: 50,
        minGroupSize: 2,
      }).map((r) => r.outlier),
    ).toEqual([true, false]);
  });

  it('groups across workloads by image and zone, and leaves out containers without the grouping label or the metric', () => {
    const rows = peerOutliers(
      [
        replica('web-1', 100),
        replica('web-b', 100, T0, { zone: 'eu-west-1b' }),
        replica('api-1', 100, T0, { workload: 'Deployment/api' }),
        sample({ pod: 'web-2', cpuMilli: undefined }),
      ],
      { groupBy: ['image', 'zone'], metric: 'cpuMilli', thresholdPct: 50 },
    );
    expect(rows.map((r) => [r.group, r.pod])).toEqual([
      ['web eu-west-1a', 'web-1'],
      ['web eu-west-1a', 'api-1'],
      ['web eu-west-1b', 'web-b'],
    ]);
    expect(
      peerOutliers([replica('web-1', 100, T0, { labels: {} })], { groupBy: ['label:app'], metric: 'cpuMilli', thresholdPct: 50 }),
    ).toEqual([]);
  });
});
