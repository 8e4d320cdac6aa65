import { expectedSignature, signingKey, verifySigV4, type SignedRequestInput } from '../../../sim/aws/sigv4';

// AWS Signature Version 4 test suite (aws-sig-v4-test-suite): credentials, scope and published signatures.
const EXAMPLE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  now: Date.UTC(2015, 7, 30, 12, 36, 0),
};
const auth = (signature: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`;
const request = (method: string, query: string, signature: string, body = Buffer.alloc(0)): SignedRequestInput => ({
  method,
  path: '/',
  query,
  headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z', authorization: auth(signature) },
  body,
});

describe('the independent SigV4 verifier', () => {
  it('derives the signing key AWS publishes', () => {
    expect(signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'service').toString('hex')).toBe(
      '938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75',
    );
  });

  it.each([
    ['get-vanilla', 'GET', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    [
      'get-vanilla-query-order-key-case',
      'GET',
      'Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
    ['post-vanilla', 'POST', '', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
  ])("accepts AWS's %s signature, and computes it", (_name, method, query, signature) => {
    const r = request(method, query, signature);
    expect(
      expectedSignature(
        r,
        ['host', 'x-amz-date'],
        '20150830T123600Z',
        '20150830/us-east-1/service/aws4_request',
        EXAMPLE.credentials.secretAccessKey,
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ),
    ).toBe(signature);
    expect(verifySigV4(r, EXAMPLE)).toEqual({ ok: true });
  });

  it('refuses a changed request, another key, region or service, a stale date, a body that does not match its hash', () => {
    const good = request('POST', '', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
    expect(verifySigV4({ ...good, method: 'PUT' }, EXAMPLE)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifySigV4({ ...good, body: Buffer.from('x') }, EXAMPLE)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifySigV4(good, { ...EXAMPLE, credentials: { ...EXAMPLE.credentials, secretAccessKey: 'other' } })).toMatchObject({
      ok: false,
    });
    expect(verifySigV4(good, { ...EXAMPLE, region: 'eu-west-1' })).toMatchObject({ ok: false, reason: expect.stringContaining('region') });
    expect(verifySigV4(good, { ...EXAMPLE, service: 'lambda' })).toMatchObject({ ok: false, reason: expect.stringContaining('service') });
    expect(verifySigV4(good, { ...EXAMPLE, now: EXAMPLE.now + 16 * 60_000 })).toMatchObject({
      ok: false,
      reason: 'request time too skewed',
    });
    expect(verifySigV4({ ...good, headers: { ...good.headers, 'x-amz-content-sha256': 'ab'.repeat(32) } }, EXAMPLE)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('x-amz-content-sha256'),
    });
    expect(verifySigV4({ ...good, headers: { host: 'example.amazonaws.com' } }, EXAMPLE)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('Authorization'),
    });
  });
});
