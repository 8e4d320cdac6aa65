import { gzipSync } from 'zlib';
import { decodeBody, header } from '../../../lambdas/ingest/decode';
import { BATCH_LIMITS } from '../../../model/batch';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';
import { rawEvent } from './function-url-event';

const json = { v: 1, hello: 'world' };
const small = { ...BATCH_LIMITS, maxCompressedBytes: 1000, maxJsonBytes: 5000 };

test('base64 + gzip decodes to the JSON value, with both sizes', () => {
  const gz = gzipSync(JSON.stringify(json));
  const r = decodeBody(rawEvent(gz));
  expect(r).toEqual({ ok: true, value: json, compressedBytes: gz.length, jsonBytes: JSON.stringify(json).length });
});

test('plain JSON is accepted without content-encoding, and gzip is recognised by its magic bytes', () => {
  expect(decodeBody(rawEvent(JSON.stringify(json), { encoding: null, base64: false }))).toMatchObject({ ok: true, value: json });
  expect(decodeBody(rawEvent(gzipSync(JSON.stringify(json)), { encoding: null }))).toMatchObject({ ok: true, value: json });
  expect(decodeBody(rawEvent(JSON.stringify(json), { encoding: 'identity' }))).toMatchObject({ ok: true, value: json });
});

test.each([
  ['an empty body', rawEvent(''), 400, 'empty body'],
  ['characters that are not base64', { ...rawEvent(gzipSync('{}')), body: 'H4sI*AAAAAAAA==' }, 400, 'not valid base64'],
  ['base64 cut short', { ...rawEvent(gzipSync('{}')), body: 'H4sIAAAAAAAAA' }, 400, 'not valid base64'],
  ['padding in the middle', { ...rawEvent(gzipSync('{}')), body: 'H4s=IAAA' }, 400, 'not valid base64'],
  ['bytes that are not gzip', rawEvent(Buffer.from('this is not gzip at all')), 400, 'not valid gzip'],
  ['truncated gzip', rawEvent(gzipSync(JSON.stringify(json)).subarray(0, 15)), 400, 'not valid gzip'],
  ['gzip of text that is not JSON', rawEvent(gzipSync('{"v": 1,')), 400, 'not valid JSON'],
  ['another content-encoding', rawEvent(Buffer.from('x'), { encoding: 'br' }), 415, 'content-encoding "br" is not supported'],
])('%s is refused with a clear problem', (_what, event, status, problem) => {
  const r = decodeBody(event);
  expect(r).toMatchObject({ ok: false, status });
  expect(r.ok ? '' : r.problem).toContain(problem);
});

test('a body over the compressed limit is refused before it is decoded', () => {
  const big = Buffer.alloc(1500, 7);
  const r = decodeBody(rawEvent(big), small);
  expect(r).toEqual({ ok: false, status: 413, problem: 'body is 1500 bytes, over the 1000-byte limit: split the batch by nodes' });
  expect(decodeBody(rawEvent(big.toString('latin1'), { base64: false, encoding: null }), small)).toMatchObject({ ok: false, status: 413 });
});

test('a gzip bomb stops inflating at the JSON limit', () => {
  const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20));
  expect(bomb.length).toBeLessThan(small.maxCompressedBytes * 2);
  const r = decodeBody(rawEvent(bomb), { ...small, maxCompressedBytes: 5000 });
  expect(r).toEqual({ ok: false, status: 413, problem: 'decompressed body is over the 5000-byte limit: split the batch by nodes' });
});

test('a real batch at the JSON limit is inside every shape limit, with room to spare', () => {
  const gz = gzipSync(JSON.stringify(syntheticBatch(syntheticCluster({ nodes: 100, podsPerNode: 30 }), Date.UTC(2026, 10, 23, 12, 0, 5))));
  const r = decodeBody(rawEvent(gz));
  expect(r.ok && r.jsonBytes).toBeGreaterThan(0.85 * BATCH_LIMITS.maxJsonBytes);
  expect(r.ok && r.jsonBytes).toBeLessThanOrEqual(BATCH_LIMITS.maxJsonBytes);
});

// What a few kilobytes of gzip can inflate to, each within the byte limit: refused before JSON.parse runs.
test.each([
  [
    'a million empty objects',
    `{"v":1,"x":[${'{},'.repeat(1_300_000)}{}]}`,
    413,
    'JSON has more than 60000 objects and arrays, over the limit',
  ],
  ['two million numbers', `{"v":1,"x":[${'0,'.repeat(2_000_000)}0]}`, 413, 'JSON has more than 250000 values, over the limit'],
  ['a million levels of nesting', `{"v":1,"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`, 400, 'JSON nests deeper than 16 levels'],
  [
    'twenty thousand objects with keys of their own',
    `{"v":1,"x":[${Array.from({ length: 20_000 }, (_, i) => `{"k${i}":0}`).join(',')}]}`,
    400,
    'JSON has more than 10000 distinct object keys',
  ],
  [
    'an object with a hundred thousand keys',
    `{"v":1,"x":{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":0`).join(',')}}}`,
    400,
    'JSON has an object with more than 64 members',
  ],
])('%s: refused by shape before it is parsed', (_what, text, status, problem) => {
  const gz = gzipSync(text);
  expect(gz.length).toBeLessThan(300_000);
  const parse = jest.spyOn(JSON, 'parse');
  const r = decodeBody(rawEvent(gz));
  expect(parse).not.toHaveBeenCalled();
  parse.mockRestore();
  expect(r).toMatchObject({ ok: false, status });
  expect(r.ok ? '' : r.problem).toContain(problem);
});

test('plain JSON over the JSON limit is refused', () => {
  const body = JSON.stringify({ pad: 'x'.repeat(900) });
  expect(decodeBody(rawEvent(body, { encoding: null }), { ...BATCH_LIMITS, maxCompressedBytes: 10_000, maxJsonBytes: 500 })).toMatchObject({
    ok: false,
    status: 413,
  });
});

test('headers are found whatever their case', () => {
  expect(header({ 'Content-Encoding': 'gzip' }, 'content-encoding')).toBe('gzip');
  expect(header({ 'content-encoding': 'gzip' }, 'content-encoding')).toBe('gzip');
  expect(header(undefined, 'content-encoding')).toBeUndefined();
});
