/**
 * The agent's configuration: environment variables, read once at start-up and validated together, so a
 * misconfigured Deployment fails its first start with every problem listed (see `docs/agent.md`).
 */
import { accessSync, constants, statSync } from 'fs';
import { ConfigError, EnvReader } from '../common/config';
import type { LogLevel } from '../common/log';
import { CLUSTER_NAME_PATTERN } from '../model/batch-constants';
import { MAX_SHARDS } from './shard';

/** The variables the agent reads; the manifest generator sets them from the same names. */
export const AGENT_ENV = {
  cluster: 'VIGIL_CLUSTER',
  ingestUrl: 'VIGIL_INGEST_URL',
  region: 'AWS_REGION',
  intervalSeconds: 'VIGIL_INTERVAL_SECONDS',
  kubeletTransport: 'VIGIL_KUBELET_TRANSPORT',
  kubeletTimeoutSeconds: 'VIGIL_KUBELET_TIMEOUT_SECONDS',
  kubeletConcurrency: 'VIGIL_KUBELET_CONCURRENCY',
  kubeletInsecureTls: 'VIGIL_KUBELET_INSECURE_TLS',
  kubeletCaFile: 'VIGIL_KUBELET_CA_FILE',
  changeDebounceSeconds: 'VIGIL_CHANGE_DEBOUNCE_SECONDS',
  bufferMaxBatches: 'VIGIL_BUFFER_MAX_BATCHES',
  bufferMaxMiB: 'VIGIL_BUFFER_MAX_MIB',
  pushTimeoutSeconds: 'VIGIL_PUSH_TIMEOUT_SECONDS',
  unreadyAfterFailures: 'VIGIL_UNREADY_AFTER_FAILURES',
  healthPort: 'VIGIL_HEALTH_PORT',
  auth: 'VIGIL_AGENT_AUTH',
  shards: 'VIGIL_SHARDS',
  podName: 'VIGIL_POD_NAME',
  namespace: 'VIGIL_NAMESPACE',
  kubeconfig: 'KUBECONFIG',
  logLevel: 'LOG_LEVEL',
} as const;

export type KubeletTransport = 'direct' | 'proxy';

export interface AgentConfig {
  readonly cluster: string;
  readonly ingestUrl: string;
  /** The region requests are signed for: the Function URL's own, else `AWS_REGION`. */
  readonly region: string;
  readonly intervalMs: number;
  readonly kubeletTransport: KubeletTransport;
  readonly kubeletTimeoutMs: number;
  readonly kubeletConcurrency: number;
  /** Not read from the environment: the agent's defaults (`AgentSettings`) fit; tests shorten them. */
  readonly kubeletNotReadyTimeoutMs?: number;
  readonly scrapeDeadlineMs?: number;
  readonly stopDeadlineMs?: number;
  readonly staleAfterMs?: number;
  readonly kubeletInsecureTls: boolean;
  readonly kubeletCaFile?: string;
  readonly changeDebounceMs: number;
  readonly bufferMaxBatches: number;
  readonly bufferMaxBytes: number;
  readonly pushTimeoutMs: number;
  readonly unreadyAfterFailures: number;
  readonly healthPort: number;
  /** Shards the nodes are split into, one Lease each (`agent/shard.ts`); absent or 1: one replica reads every node. */
  readonly shards?: number;
  /** With shards: this replica's identity (its pod's name) and the namespace of the shard leases. */
  readonly podName?: string;
  readonly namespace?: string;
  /** Not read from the environment: how long an unrenewed shard lease is kept. @default min(30 s, interval / 2) */
  readonly leaseDurationMs?: number;
  /** Out of the cluster only; in it the service account is used. */
  readonly kubeconfig?: string;
  readonly logLevel: LogLevel;
}

/** `https://<id>.lambda-url.<region>.on.aws/` → the region. */
export function regionOfFunctionUrl(url: URL): string | undefined {
  return /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
// A record, so the compiler keeps it in step with `LogLevel`.
const LOG_LEVELS: Record<LogLevel, true> = { debug: true, info: true, warn: true, error: true };
const E = AGENT_ENV;

/** Reads and checks every variable; throws one `ConfigError` listing all problems. */
export function readAgentConfig(env: Readonly<Record<string, string | undefined>> = process.env): AgentConfig {
  const r = new EnvReader(env);
  const problems: string[] = [];

  const cluster = r.string(E.cluster);
  if (cluster && !CLUSTER_NAME_PATTERN.test(cluster))
    problems.push(`${E.cluster} must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _, starting alphanumeric), got "${cluster}"`);

  const ingestUrl = r.string(E.ingestUrl);
  let region = env[E.region] || env.AWS_DEFAULT_REGION || '';
  if (ingestUrl) {
    let url: URL | undefined;
    try {
      url = new URL(ingestUrl);
    } catch {
      problems.push(`${E.ingestUrl} is not a URL: "${ingestUrl}"`);
    }
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      problems.push(`${E.ingestUrl} must be https (plain http only to a loopback address), got "${ingestUrl}"`);
    }
    if (url) region = regionOfFunctionUrl(url) ?? region;
  }
  if (!region) problems.push(`${E.region} is required when ${E.ingestUrl} is not a Lambda Function URL naming its region`);

  const intervalSeconds = r.int(E.intervalSeconds, 60, 10, 3600);
  const transport = r.string(E.kubeletTransport, 'direct');
  if (transport !== 'direct' && transport !== 'proxy')
    problems.push(`${E.kubeletTransport} must be "direct" or "proxy", got "${transport}"`);
  const kubeletTimeoutSeconds = r.int(E.kubeletTimeoutSeconds, 10, 1, 60);
  if (kubeletTimeoutSeconds >= intervalSeconds)
    problems.push(`${E.kubeletTimeoutSeconds} (${kubeletTimeoutSeconds}) must be shorter than ${E.intervalSeconds} (${intervalSeconds})`);
  const pushTimeoutSeconds = r.int(E.pushTimeoutSeconds, 20, 1, 120);
  if (pushTimeoutSeconds >= intervalSeconds)
    problems.push(`${E.pushTimeoutSeconds} (${pushTimeoutSeconds}) must be shorter than ${E.intervalSeconds} (${intervalSeconds})`);
  const insecure = r.string(E.kubeletInsecureTls, 'false');
  if (insecure !== 'true' && insecure !== 'false') problems.push(`${E.kubeletInsecureTls} must be "true" or "false", got "${insecure}"`);
  const caFile = env[E.kubeletCaFile];
  const caProblem = caFile ? unreadableFile(caFile) : undefined;
  if (caProblem) problems.push(`${E.kubeletCaFile} "${caFile}" ${caProblem}`);
  // As `createLogger` reads it (any case), but refused rather than silently taken as `info`.
  const logLevel = r.string(E.logLevel, 'info').toLowerCase();
  if (!Object.hasOwn(LOG_LEVELS, logLevel))
    problems.push(`${E.logLevel} must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got "${env[E.logLevel]}"`);
  problems.push(...credentialProblems(env));
  const shards = r.int(E.shards, 1, 1, MAX_SHARDS);
  const podName = env[E.podName];
  const namespace = env[E.namespace];
  if (shards > 1) {
    // Set by the manifests from the downward API (metadata.name, metadata.namespace).
    for (const [name, value] of [
      [E.podName, podName],
      [E.namespace, namespace],
    ] as const) {
      if (!value) problems.push(`${name} is required when ${E.shards} is ${shards}: the shard leases need the pod's name and namespace`);
    }
  }

  const config: AgentConfig = {
    cluster,
    ingestUrl,
    region,
    intervalMs: intervalSeconds * 1000,
    kubeletTransport: transport as KubeletTransport,
    kubeletTimeoutMs: kubeletTimeoutSeconds * 1000,
    kubeletConcurrency: r.int(E.kubeletConcurrency, 16, 1, 256),
    kubeletInsecureTls: insecure === 'true',
    ...(caFile ? { kubeletCaFile: caFile } : {}),
    changeDebounceMs: r.int(E.changeDebounceSeconds, 5, 0, 60) * 1000,
    bufferMaxBatches: r.int(E.bufferMaxBatches, 120, 1, 10_000),
    bufferMaxBytes: r.int(E.bufferMaxMiB, 64, 1, 1024) * 1024 * 1024,
    pushTimeoutMs: pushTimeoutSeconds * 1000,
    unreadyAfterFailures: r.int(E.unreadyAfterFailures, 3, 1, 1000),
    healthPort: r.int(E.healthPort, 8080, 0, 65535),
    ...(shards > 1 ? { shards, podName, namespace } : {}),
    ...(env[E.kubeconfig] ? { kubeconfig: env[E.kubeconfig] } : {}),
    logLevel: logLevel as LogLevel,
  };
  try {
    r.done();
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError([...e.problems, ...problems]);
    throw e;
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/**
 * With `VIGIL_AGENT_AUTH` (set by the manifests), the credentials Kubernetes injected must be of that kind: an
 * IRSA annotation left on a service account whose role trusts Pod Identity makes the SDK try web identity
 * first and get AccessDenied on every push; a missing Pod Identity association or IRSA annotation leaves
 * no credentials at all. Either is found at start, in words, rather than as failed pushes.
 */
export function credentialProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const auth = env[E.auth];
  if (auth === undefined) return [];
  const webIdentity = !!env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const podIdentity = !!env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (auth === 'pod-identity') {
    if (webIdentity) {
      return [
        `${E.auth} is pod-identity but the pod has IRSA credentials (AWS_WEB_IDENTITY_TOKEN_FILE): remove the eks.amazonaws.com/role-arn annotation from the service account, or install the manifests with --auth irsa for a stack that uses IRSA for this cluster`,
      ];
    }
    if (!podIdentity) {
      return [
        `${E.auth} is pod-identity but EKS injected no Pod Identity credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): deploy the Vigil stack (it creates the association for this service account), check the cluster name, then restart this pod`,
      ];
    }
    return [];
  }
  if (auth === 'irsa') {
    return webIdentity
      ? []
      : [
          `${E.auth} is irsa but the pod has no IRSA credentials (AWS_WEB_IDENTITY_TOKEN_FILE): the service account needs the eks.amazonaws.com/role-arn annotation and the cluster its IAM OIDC provider; or install with --auth pod-identity if the stack uses Pod Identity for this cluster`,
        ];
  }
  return [`${E.auth} must be "pod-identity" or "irsa", got "${auth}"`];
}

/** Why `file` cannot be read as a file, if it cannot: found now rather than when the agent first needs it. */
function unreadableFile(file: string): string | undefined {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile() ? undefined : 'is not a file';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
  }
}
