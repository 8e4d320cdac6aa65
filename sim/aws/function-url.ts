/**
 * A Lambda Function URL with `AuthType: AWS_IAM` on 127.0.0.1: it checks the request's SigV4 signature
 * (service `lambda`, with the independent verifier in `sigv4.ts`) against the principals it knows, hands
 * the handler the signer's role session as IAM would (`requestContext.authorizer.iam.userArn`, an STS
 * assumed-role ARN), refuses bodies over Lambda's 6 MB
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

/** A role allowed to invoke the URL, and the credentials of one of its sessions. */
export interface FunctionUrlPrincipal {
  readonly credentials: SigV4Credentials;
  /** `arn:aws:iam::<account>:role/<name>`. */
  readonly roleArn: string;
}

/** Local mode's agent role for `cluster` (one per cluster, as the stack creates them) and its session's keys. */
export function localAgentPrincipal(cluster: string): FunctionUrlPrincipal {
  return {
    credentials: { accessKeyId: `local-agent-${cluster}`, secretAccessKey: 'local' },
    roleArn: `arn:aws:iam::000000000000:role/${`vigil-agent-${cluster}`.slice(0, 64)}`,
  };
}

export interface FunctionUrlOptions {
  readonly handler: (event: LambdaFunctionURLEvent) => Promise<APIGatewayProxyStructuredResultV2>;
  /** The only principals accepted, as IAM would accept only those the policy allows. */
  readonly principals: readonly FunctionUrlPrincipal[];
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
        if (size > FUNCTION_URL_MAX_BYTES)
          return refuse(
            res,
            413,
            `Request must be smaller than ${FUNCTION_URL_MAX_BYTES} bytes for the InvokeFunction operation`,
            'too large',
          );
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://loopback');
        const signer = signerOf(req.headers.authorization, opts.principals);
        const verdict = verifySigV4(
          { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: req.headers, body },
          { credentials: signer.credentials, region: opts.region, service: 'lambda' },
        );
        if (!verdict.ok) return refuse(res, 403, 'Forbidden', `signature: ${verdict.reason}`);
        let result: APIGatewayProxyStructuredResultV2;
        try {
          result = await opts.handler(functionUrlEvent(req, url, body, signer));
        } catch {
          // What Lambda answers when the function throws.
          if (!res.destroyed)
            res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: 'Internal Server Error' }));
          return;
        }
        if (res.destroyed) return;
        res.writeHead(result.statusCode ?? 200, {
          'content-type': 'application/json',
          ...(result.headers as Record<string, string> | undefined),
        });
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

/** The principal whose access key signed the request (the first one when none did: the verifier says why). */
function signerOf(authorization: string | undefined, principals: readonly FunctionUrlPrincipal[]): FunctionUrlPrincipal {
  const key = /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
  return principals.find((p) => p.credentials.accessKeyId === key) ?? principals[0];
}

/** The session ARN STS reports for a role, `arn:aws:sts::<account>:assumed-role/<name>/<session>`. */
export function assumedRoleArn(roleArn: string, session: string): string {
  const m = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!m) throw new Error(`"${roleArn}" is not an IAM role ARN`);
  return `arn:${m[1]}:sts::${m[2]}:assumed-role/${m[3]}/${session}`;
}

/** The event Lambda delivers for a Function URL request (payload format 2.0, IAM-authenticated). */
function functionUrlEvent(
  req: http.IncomingMessage,
  url: URL,
  body: Buffer,
  signer: FunctionUrlPrincipal,
): LambdaFunctionURLEventWithIAMAuthorizer {
  const now = Date.now();
  const account = signer.roleArn.split(':')[4];
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
      http: {
        method: req.method ?? 'POST',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      authorizer: {
        iam: {
          accessKey: signer.credentials.accessKeyId,
          accountId: account,
          callerId: 'AROALOCALAGENT:local',
          cognitoIdentity: null,
          principalOrgId: '',
          userArn: assumedRoleArn(signer.roleArn, 'local'),
          userId: 'AROALOCALAGENT:local',
        },
      },
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
