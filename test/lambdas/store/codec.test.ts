import fc from 'fast-check';
import { gzipSync } from 'zlib';
import { CodecError, decode, encode } from '../../../lambdas/store/codec';
import { syntheticCluster, syntheticKubeMinutes } from '../../../sim/synthetic';
import { kubeNodeMinute } from '../../support/arbitraries';

describe('codec', () => {
  test('decode(encode(x)) equals x for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (x) => expect(decode(encode(x))).toEqual(x)),
      { numRuns: 500 },
    );
  });

  test('decode(encode(x)) equals x for any node-minute', () => {
    fc.assert(
      fc.property(kubeNodeMinute, (x) => expect(decode(encode(x))).toEqual(x)),
      { numRuns: 300 },
    );
  });

  test('keeps the numbers that need care: -0, fractions, negatives, huge and timestamp-like integers', () => {
    const x = {
      a: -0,
      b: 0.1,
      c: -5,
      d: Number.MAX_SAFE_INTEGER,
      e: 2 ** 60,
      f: [1_763_900_000_123, 1_763_899_000_000, 1_000_000_000_000],
      g: 4096 * 77,
      h: -1e300,
    };
    const y = decode<typeof x>(encode(x));
    expect(y).toEqual(x);
    expect(Object.is(y.a, -0)).toBe(true);
  });

  test('keeps unusual strings and keys, including "__proto__" as a plain field', () => {
    const x = JSON.parse(
      '{"__proto__": {"polluted": true}, "": "", "ünï": "😀\\u0000", "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "UUID": "0F8FAD5B-D9CB-469F-A165-70867728950E"}',
    );
    const y = decode<Record<string, unknown>>(encode(x));
    expect(y).toEqual(x);
    expect(Object.keys(y)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('refuses values JSON cannot hold, naming them', () => {
    expect(() => encode({ a: NaN })).toThrow(/non-finite number NaN/);
    expect(() => encode({ f: () => 1 })).toThrow(/type function/);
    expect(() => encode(1n)).toThrow(CodecError);
  });

  test('rejects corrupt or foreign bytes with a clear error', () => {
    const good = encode({ a: 1 });
    expect(() => decode(Buffer.from([9, 1, 2]))).toThrow(/unknown encoding format 9/);
    expect(() => decode(Buffer.from([1]))).toThrow(/too short/);
    expect(() => decode(Buffer.concat([good.subarray(0, 1), Buffer.from('not deflate at all')]))).toThrow(CodecError);
  });

  test("a 30-pod node-minute is several times smaller than its gzip'd JSON", () => {
    const k = syntheticKubeMinutes(syntheticCluster({ nodes: 3 }), Date.UTC(2026, 10, 23, 12, 0, 5))[0];
    const json = JSON.stringify(k);
    expect(encode(k).length).toBeLessThan(gzipSync(json).length);
    expect(encode(k).length).toBeLessThan(json.length / 7);
  });
});
