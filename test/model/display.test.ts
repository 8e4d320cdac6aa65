import { increases, shortNode } from '../../model/display';

describe('shortNode', () => {
  test.each([
    ['ip-10-0-1-23.eu-west-1.compute.internal', 'ip-10-0-1-23'],
    ['ip-10-0-1-23.ec2.internal', 'ip-10-0-1-23'],
    ['ip-10-0-1-23.compute.internal', 'ip-10-0-1-23'],
    // Names that are not EC2's default private DNS are kept whole.
    ['gpu-node-7.corp.example.com', 'gpu-node-7.corp.example.com'],
  ])('%s → %s', (name, short) => expect(shortNode(name)).toBe(short));
});

describe('increases', () => {
  test('sums a counter across resets: a replaced pod starts its restart count again at 0', () => {
    const restarts = [3, 4, 4, 0, 2, 2, 5].map((v, i) => ({ t: i * 60_000, v }));
    expect(increases(restarts).map((p) => p.v)).toEqual([0, 1, 1, 1, 3, 3, 6]);
    expect(increases(restarts).map((p) => p.t)).toEqual(restarts.map((p) => p.t));
    expect(increases([])).toEqual([]);
  });
});
