/**
 * Lambda Function URL events (payload format 2.0) as Lambda delivers them for a SigV4-signed POST: header
 * names lower-cased, the binary body base64-encoded, the IAM caller in `requestContext.authorizer`
 * (docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html, "Request payload format").
 */
import { gzipSync } from 'zlib';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { INGEST_REQUEST } from '../../../model/wire';

export interface EventOptions {
  /** @default POST */
  readonly method?: string;
  /** `content-encoding`; `null` leaves the header out. @default gzip */
  readonly encoding?: string | null;
  /** @default true */
  readonly base64?: boolean;
  readonly now?: number;
  /** The IAM caller (`authorizer.iam.userArn`); `null` leaves the authorizer out. @default a session of AGENT_ROLE_ARN */
  readonly caller?: string | null;
}

/** The agent role the test events are signed with, and the writers list that lets it write `cluster`. */
export const AGENT_ROLE_ARN = 'arn:aws:iam::123456789012:role/vigil-agent';
export const writersFor = (cluster: string) => [{ roleArn: AGENT_ROLE_ARN, cluster }];

/** A gzip'd JSON batch, as the agent sends it. */
export function batchEvent(batch: unknown, opts: EventOptions = {}): LambdaFunctionURLEvent {
  return rawEvent(gzipSync(Buffer.from(JSON.stringify(batch))), opts);
}

/** Any body bytes (or text), wrapped as Lambda would. */
export function rawEvent(body: Buffer | string, opts: EventOptions = {}): LambdaFunctionURLEvent {
  const base64 = opts.base64 ?? true;
  const now = opts.now ?? Date.UTC(2026, 10, 23, 12, 0, 31);
  const encoding = opts.encoding === undefined ? 'gzip' : opts.encoding;
  const caller =
    opts.caller === undefined ? 'arn:aws:sts::123456789012:assumed-role/vigil-agent/eks-prod-eu-1-vigil-agent-7d9f8-0f2c4b1e' : opts.caller;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      host: 'abcdefghij2klmnopq3rstuvwx4yz5ab.lambda-url.eu-west-1.on.aws',
      'content-type': INGEST_REQUEST.contentType,
      ...(encoding === null ? {} : { 'content-encoding': encoding }),
      'content-length': String(bytes.length),
      'x-amz-date': '20261123T120031Z',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amz-security-token': 'IQoJb3JpZ2luX2VjEXAMPLE',
      'user-agent': 'vigil-agent/0.1.0',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdefghij2klmnopq3rstuvwx4yz5ab',
      domainName: 'abcdefghij2klmnopq3rstuvwx4yz5ab.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abcdefghij2klmnopq3rstuvwx4yz5ab',
      http: { method: opts.method ?? 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'vigil-agent/0.1.0' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: '23/Nov/2026:12:00:31 +0000',
      timeEpoch: now,
      // Function URLs with AWS_IAM auth add the caller; the SDK's event type leaves it out.
      ...(caller === null
        ? {}
        : ({
            authorizer: {
              iam: {
                accessKey: 'ASIAEXAMPLE',
                accountId: '123456789012',
                callerId: 'AROAEXAMPLE:session',
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: caller,
                userId: 'AROAEXAMPLE:session',
              },
            },
          } as object)),
    },
    body: base64 ? bytes.toString('base64') : bytes.toString('utf8'),
    isBase64Encoded: base64,
  };
}
