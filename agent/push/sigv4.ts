/**
 * SigV4 for the ingest Function URL (`AuthType: AWS_IAM`): service `lambda`, the function's region,
 * credentials from the AWS SDK's default chain. In the cluster that chain finds IRSA (a web identity token
 * file) or EKS Pod Identity (the container credentials endpoint); the manifest sets
 * `AWS_EC2_METADATA_DISABLED=true` so a missing association fails loudly instead of borrowing the node's
 * instance role.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export interface SignerOptions {
  readonly region: string;
  /** @default the SDK's default chain (env, IRSA, Pod Identity …), memoized and refreshed before expiry */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default `lambda` (Function URLs); other values only for the AWS test vectors */
  readonly service?: string;
  /** @default true: sign a hash of the body (`x-amz-content-sha256`) */
  readonly signBody?: boolean;
}

/** A signed request: what is sent is its headers (with `authorization`) and the original body. */
export interface SignedRequest {
  readonly headers: Readonly<Record<string, string>>;
}

/** Signs one request; `signingDate` only for known-answer tests. */
export type RequestSigner = (request: HttpRequest, signingDate?: Date) => Promise<SignedRequest>;

export function createSigner(opts: SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: opts.service ?? 'lambda',
    region: opts.region,
    credentials: opts.credentials ?? defaultProvider(),
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: opts.signBody ?? true,
  });
  return (request, signingDate) => signer.sign(request, signingDate ? { signingDate } : {});
}

/** The POST of one body to a URL, as a request to sign. */
export function postRequest(url: URL, headers: Readonly<Record<string, string>>, body: Buffer): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname || '/',
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...headers },
    body,
  });
}
