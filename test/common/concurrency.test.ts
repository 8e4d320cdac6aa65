import { mapLimit } from '../../common/concurrency';

describe('mapLimit', () => {
  test('keeps results in input order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      most = Math.max(most, ++inFlight);
      // Later inputs finish first: order must come from the input, not completion.
      for (let i = 0; i < 6 - x; i++) await Promise.resolve();
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  test('an empty input calls nothing; a failure rejects the whole run', async () => {
    const fn = jest.fn(async (x: number) => x);
    await expect(mapLimit([], 4, fn)).resolves.toEqual([]);
    expect(fn).not.toHaveBeenCalled();
    await expect(
      mapLimit([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error('kubelet 2 timed out');
        return x;
      }),
    ).rejects.toThrow('kubelet 2 timed out');
  });
});
