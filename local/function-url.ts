/**
 * A Lambda Function URL on 127.0.0.1, for local mode: it checks the request's SigV4 signature (service
 * `lambda`) the way `AWS_IAM` auth does, turns the request into the payload-2.0 event Lambda would deliver
 * (binary body base64-encoded) and answers with the handler's result. The agent therefore talks to local
 * mode exactly as it talks to AWS.
 */
import { createHash, randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent, LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface FunctionUrlOptions {
  readonly handler: (event: LambdaFunctionURLEvent) => Promise<APIGatewayProxyStructuredResultV2>;
  /** The only credentials accepted, as IAM would accept only a principal allowed by the policy. */
  readonly credentials: Credentials;
  readonly region: string;
  /** Largest request body accepted, as Lambda's 6 MB invocation limit. @default 6 MB */
  readonly maxBodyBytes?: number;
}

export interface FunctionUrl {
  readonly url: string;
  /** Requests refused for a bad or missing signature. */
  readonly refused: () => number;
  close(): Promise<void>;
}

const FIVE_MINUTES = 5 * 60_000;

export async function startFunctionUrl(opts: FunctionUrlOptions): Promise<FunctionUrl> {
  const maxBody = opts.maxBodyBytes ?? 6 * 1024 * 1024;
  const signer = new SignatureV4({ service: 'lambda', region: opts.region, credentials: opts.credentials, sha256: Hash.bind(null, 'sha256') });
  let refused = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBody) chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        const reply = (status: number, body: string) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body);
        };
        if (size > maxBody) return reply(413, JSON.stringify({ Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' }));
        const body = Buffer.concat(chunks);
        if (!(await signatureValid(signer, req, body))) {
          refused++;
          return reply(403, JSON.stringify({ Message: 'Forbidden' }));
        }
        const url = new URL(req.url ?? '/', 'http://localhost');
        const now = Date.now();
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
        const event: LambdaFunctionURLEventWithIAMAuthorizer = {
          version: '2.0',
          routeKey: '$default',
          rawPath: url.pathname,
          rawQueryString: url.search.slice(1),
          headers,
          requestContext: {
            accountId: '000000000000',
            apiId: 'local',
            domainName: req.headers.host ?? 'localhost',
            domainPrefix: 'local',
            http: { method: req.method ?? 'POST', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? '' },
            requestId: randomUUID(),
            routeKey: '$default',
            stage: '$default',
            time: new Date(now).toUTCString(),
            timeEpoch: now,
            authorizer: {
              iam: {
                accessKey: opts.credentials.accessKeyId,
                accountId: '000000000000',
                callerId: 'local-agent',
                cognitoIdentity: null,
                principalOrgId: '',
                userArn: 'arn:aws:sts::000000000000:assumed-role/vigil-agent/local',
                userId: 'local-agent',
              },
            },
          },
          body: body.toString('base64'),
          isBase64Encoded: true,
        };
        try {
          const result = await opts.handler(event);
          res.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...(result.headers as Record<string, string> | undefined) });
          res.end(result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? ''));
        } catch {
          // What Lambda answers when the function throws.
          reply(502, JSON.stringify({ Message: 'Internal Server Error' }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Re-signs the request with the accepted credentials at its own date and compares signatures. */
async function signatureValid(signer: SignatureV4, req: http.IncomingMessage, body: Buffer): Promise<boolean> {
  const auth = req.headers.authorization;
  const date = req.headers['x-amz-date'];
  if (typeof auth !== 'string' || typeof date !== 'string') return false;
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const when = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(when) || Math.abs(Date.now() - when) > FIVE_MINUTES) return false;
  // The signer trusts x-amz-content-sha256 when present, so check it against the bytes received.
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== createHash('sha256').update(body).digest('hex')) return false;
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) {
    const v = req.headers[h];
    if (v === undefined) return false;
    headers[h] = Array.isArray(v) ? v.join(',') : v;
  }
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port) || undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  });
  const signed = await signer.sign(request, { signingDate: new Date(when) });
  return signed.headers.authorization === auth;
}
