/**
 * A Lambda Function URL with `AuthType: AWS_IAM` on 127.0.0.1: it checks the request's SigV4 signature
 * (service `lambda`, with the independent verifier in `sigv4.ts`), refuses bodies over Lambda's 6 MB
 * invocation limit, turns the request into the payload-2.0 event Lambda delivers (a binary body
 * base64-encoded) and answers with the handler's result. Local mode puts the real ingest handler behind it;
 * the agent's tests put a recording stand-in (`ingest-endpoint.ts`). The agent talks to either exactly as
 * to AWS.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo, Socket } from 'net';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent, LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import { verifySigV4, type SigV4Credentials } from './sigv4';

/** The Function URL's request payload limit (synchronous invoke). */
export const FUNCTION_URL_MAX_BYTES = 6 * 1024 * 1024;

export interface FunctionUrlOptions {
  readonly handler: (event: LambdaFunctionURLEvent) => Promise<APIGatewayProxyStructuredResultV2>;
  /** The only credentials accepted, as IAM would accept only a principal the policy allows. */
  readonly credentials: SigV4Credentials;
  readonly region: string;
  /** Told of every request refused before the handler (403, 413). */
  readonly onRefused?: (r: RefusedRequest) => void;
}

export interface RefusedRequest {
  readonly status: number;
  readonly reason: string;
}

export interface FunctionUrl {
  readonly url: string;
  /** Requests refused before reaching the handler: a bad signature, too large. */
  readonly refused: readonly RefusedRequest[];
  close(): Promise<void>;
}

export async function startFunctionUrl(opts: FunctionUrlOptions): Promise<FunctionUrl> {
  const refused: RefusedRequest[] = [];
  const refuse = (res: http.ServerResponse, status: number, message: string, reason: string) => {
    const r = { status, reason };
    refused.push(r);
    opts.onRefused?.(r);
    if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: message }));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= FUNCTION_URL_MAX_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        if (size > FUNCTION_URL_MAX_BYTES) return refuse(res, 413, `Request must be smaller than ${FUNCTION_URL_MAX_BYTES} bytes for the InvokeFunction operation`, 'too large');
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://loopback');
        const verdict = verifySigV4(
          { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: req.headers, body },
          { credentials: opts.credentials, region: opts.region, service: 'lambda' },
        );
        if (!verdict.ok) return refuse(res, 403, 'Forbidden', `signature: ${verdict.reason}`);
        let result: APIGatewayProxyStructuredResultV2;
        try {
          result = await opts.handler(functionUrlEvent(req, url, body, opts.credentials.accessKeyId));
        } catch {
          // What Lambda answers when the function throws.
          if (!res.destroyed) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: 'Internal Server Error' }));
          return;
        }
        if (res.destroyed) return;
        res.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...(result.headers as Record<string, string> | undefined) });
        res.end(result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? ''));
      })();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The event Lambda delivers for a Function URL request (payload format 2.0, IAM-authenticated). */
function functionUrlEvent(req: http.IncomingMessage, url: URL, body: Buffer, accessKey: string): LambdaFunctionURLEventWithIAMAuthorizer {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])),
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
          accessKey,
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
}
