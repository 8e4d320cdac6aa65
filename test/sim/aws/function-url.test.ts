import { gzipSync } from 'zlib';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { startFunctionUrl, type FunctionUrl } from '../../../sim/aws/function-url';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const otherAgent = {
  credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'other-secret' },
  roleArn: 'arn:aws:iam::111122223333:role/agents/vigil-agent-staging',
};
const region = 'eu-west-1';
let fu: FunctionUrl;
const seen: LambdaFunctionURLEvent[] = [];

beforeAll(async () => {
  fu = await startFunctionUrl({
    principals: [{ credentials, roleArn: 'arn:aws:iam::111122223333:role/vigil-agent-prod' }, otherAgent],
    region,
    handler: async (e) => {
      seen.push(e);
      return { statusCode: 200, body: JSON.stringify({ ok: true, bytes: Buffer.from(e.body ?? '', 'base64').length }) };
    },
  });
});
afterAll(() => fu.close());

async function post(body: Buffer, creds = credentials, tamper?: (h: Record<string, string>) => void, sent = body): Promise<Response> {
  const url = new URL(fu.url);
  const signer = new SignatureV4({ service: 'lambda', region, credentials: creds, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    }),
  );
  const headers = { ...(signed.headers as Record<string, string>) };
  tamper?.(headers);
  delete headers.host;
  return fetch(url, { method: 'POST', headers, body: sent });
}

test('a correctly signed request reaches the handler as a Function URL event with a base64 body', async () => {
  const body = gzipSync(JSON.stringify({ hello: 'world' }));
  const res = await post(body);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true, bytes: body.length });
  const e = seen.at(-1)!;
  expect(e).toMatchObject({
    version: '2.0',
    isBase64Encoded: true,
    requestContext: { http: { method: 'POST' }, authorizer: { iam: { accessKey: 'AKIDLOCAL' } } },
  });
  expect(e.headers['content-encoding']).toBe('gzip');
  expect(Buffer.from(e.body!, 'base64')).toEqual(body);
});

test("each principal's requests carry its own role session, as IAM reports the signer (the role's path left out)", async () => {
  expect((await post(Buffer.from('x'), otherAgent.credentials)).status).toBe(200);
  expect(seen.at(-1)!.requestContext).toMatchObject({
    authorizer: { iam: { accessKey: 'AKIDOTHER', userArn: 'arn:aws:sts::111122223333:assumed-role/vigil-agent-staging/local' } },
  });
});

test('wrong credentials, a changed header or body, or a missing signature are refused with 403', async () => {
  const before = seen.length;
  expect((await post(Buffer.from('x'), { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'wrong' })).status).toBe(403);
  expect((await post(Buffer.from('x'), credentials, (h) => (h['content-type'] = 'text/plain'))).status).toBe(403);
  expect((await post(Buffer.from('signed'), credentials, undefined, Buffer.from('sent!!'))).status).toBe(403);
  expect((await fetch(fu.url, { method: 'POST', body: 'x' })).status).toBe(403);
  expect(seen.length).toBe(before);
  expect(fu.refused.map((r) => r.status)).toEqual([403, 403, 403, 403]);
});
