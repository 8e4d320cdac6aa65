import { HttpRequest } from '@smithy/protocol-http';
import { createSigner, postRequest } from '../../../agent/push/sigv4';
import { verifySigV4 } from '../../../sim/aws/sigv4';

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const VECTOR_DATE = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

describe("the agent's SigV4 signer", () => {
  it.each([
    ['get-vanilla', 'GET', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['post-vanilla', 'POST', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
  ])("produces AWS's published %s signature (known-answer test)", async (_name, method, signature) => {
    const sign = createSigner({ region: 'us-east-1', service: 'service', credentials: KEYS, signBody: false });
    const signed = await sign(
      new HttpRequest({
        method,
        protocol: 'https:',
        hostname: 'example.amazonaws.com',
        path: '/',
        headers: { host: 'example.amazonaws.com' },
      }),
      VECTOR_DATE,
    );
    expect(signed.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    );
  });

  it("signs a Function URL POST (service lambda, the body's hash) that an independent verifier accepts, and only as sent", async () => {
    const url = new URL('https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/');
    const body = Buffer.from('gzip bytes of a batch');
    const sign = createSigner({ region: 'eu-west-1', credentials: { ...KEYS, sessionToken: 'session-token-from-irsa' } });
    const signed = await sign(postRequest(url, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, body));
    expect(signed.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/);
    expect(signed.headers['x-amz-security-token']).toBe('session-token-from-irsa');
    const request = { method: 'POST', path: '/', query: '', headers: signed.headers, body };
    const opts = { credentials: KEYS, region: 'eu-west-1', service: 'lambda' };
    expect(verifySigV4(request, opts)).toEqual({ ok: true });
    expect(verifySigV4({ ...request, body: Buffer.from('another batch') }, opts)).toMatchObject({ ok: false });
    expect(verifySigV4({ ...request, headers: { ...signed.headers, 'content-encoding': 'identity' } }, opts)).toMatchObject({ ok: false });
  });

  it('reports missing credentials as an error of the signing, not a crash', async () => {
    const sign = createSigner({
      region: 'eu-west-1',
      credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
    });
    await expect(sign(postRequest(new URL('https://x.lambda-url.eu-west-1.on.aws/'), {}, Buffer.alloc(0)))).rejects.toThrow(/credentials/);
  });
});
