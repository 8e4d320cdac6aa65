import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { readAgentConfig, regionOfFunctionUrl } from '../../agent/config';
import { ConfigError } from '../../common/config';

const URL_ = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';

describe('readAgentConfig', () => {
  it('reads the defaults and takes the signing region from the Function URL', () => {
    expect(readAgentConfig({ VIGIL_CLUSTER: 'prod-eu-1', VIGIL_INGEST_URL: URL_, AWS_REGION: 'us-east-1' })).toEqual({
      cluster: 'prod-eu-1',
      ingestUrl: URL_,
      region: 'eu-west-1',
      intervalMs: 60_000,
      kubeletTransport: 'direct',
      kubeletTimeoutMs: 10_000,
      kubeletConcurrency: 16,
      kubeletInsecureTls: false,
      changeDebounceMs: 5000,
      bufferMaxBatches: 120,
      bufferMaxBytes: 64 * 1024 * 1024,
      pushTimeoutMs: 20_000,
      unreadyAfterFailures: 3,
      healthPort: 8080,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-agent-'));
    const ca = path.join(dir, 'kubelet-ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const c = readAgentConfig({
      VIGIL_CLUSTER: 'c',
      VIGIL_INGEST_URL: 'https://ingest.example.com/v1',
      AWS_REGION: 'ap-south-1',
      VIGIL_INTERVAL_SECONDS: '30',
      VIGIL_KUBELET_TRANSPORT: 'proxy',
      VIGIL_KUBELET_TIMEOUT_SECONDS: '5',
      VIGIL_KUBELET_CONCURRENCY: '4',
      VIGIL_KUBELET_INSECURE_TLS: 'true',
      VIGIL_KUBELET_CA_FILE: ca,
      VIGIL_CHANGE_DEBOUNCE_SECONDS: '0',
      VIGIL_BUFFER_MAX_BATCHES: '10',
      VIGIL_BUFFER_MAX_MIB: '8',
      VIGIL_PUSH_TIMEOUT_SECONDS: '10',
      VIGIL_UNREADY_AFTER_FAILURES: '5',
      VIGIL_HEALTH_PORT: '9090',
      KUBECONFIG: '/home/me/.kube/config',
      LOG_LEVEL: 'DEBUG',
    });
    expect(c).toMatchObject({
      region: 'ap-south-1',
      intervalMs: 30_000,
      kubeletTransport: 'proxy',
      kubeletInsecureTls: true,
      kubeletCaFile: ca,
      changeDebounceMs: 0,
      bufferMaxBytes: 8 * 1024 * 1024,
      healthPort: 9090,
      kubeconfig: '/home/me/.kube/config',
      logLevel: 'debug',
    });
    rmSync(dir, { recursive: true });
  });

  it('lists every problem at once', () => {
    let err: ConfigError | undefined;
    try {
      readAgentConfig({
        VIGIL_CLUSTER: 'bad name',
        VIGIL_INGEST_URL: 'http://ingest.example.com/',
        VIGIL_INTERVAL_SECONDS: '5',
        VIGIL_KUBELET_TRANSPORT: 'ssh',
        VIGIL_KUBELET_TIMEOUT_SECONDS: '60',
        VIGIL_KUBELET_INSECURE_TLS: 'yes',
        VIGIL_KUBELET_CA_FILE: '/nonexistent/kubelet-ca.crt',
        LOG_LEVEL: 'verbose',
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.problems).toEqual([
      'VIGIL_INTERVAL_SECONDS must be an integer from 10 to 3600, got "5"',
      'VIGIL_CLUSTER must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _, starting alphanumeric), got "bad name"',
      'VIGIL_INGEST_URL must be https (plain http only to a loopback address), got "http://ingest.example.com/"',
      'AWS_REGION is required when VIGIL_INGEST_URL is not a Lambda Function URL naming its region',
      'VIGIL_KUBELET_TRANSPORT must be "direct" or "proxy", got "ssh"',
      'VIGIL_KUBELET_TIMEOUT_SECONDS (60) must be shorter than VIGIL_INTERVAL_SECONDS (60)',
      'VIGIL_KUBELET_INSECURE_TLS must be "true" or "false", got "yes"',
      'VIGIL_KUBELET_CA_FILE "/nonexistent/kubelet-ca.crt" does not exist',
      'LOG_LEVEL must be one of debug, info, warn, error, got "verbose"',
    ]);
  });

  it('refuses a CA file that is not a file', () => {
    expect(() => readAgentConfig({ VIGIL_CLUSTER: 'c', VIGIL_INGEST_URL: URL_, VIGIL_KUBELET_CA_FILE: tmpdir() })).toThrow(
      `VIGIL_KUBELET_CA_FILE "${tmpdir()}" is not a file`,
    );
  });

  it('names the required variables', () => {
    expect(() => readAgentConfig({})).toThrow(/VIGIL_CLUSTER is required[\s\S]*VIGIL_INGEST_URL is required/);
  });

  it('allows plain http only to loopback (local mode, tests)', () => {
    expect(readAgentConfig({ VIGIL_CLUSTER: 'c', VIGIL_INGEST_URL: 'http://127.0.0.1:4000/', AWS_REGION: 'eu-west-1' }).ingestUrl).toBe(
      'http://127.0.0.1:4000/',
    );
  });

  describe("refuses to start when the pod's credentials are not of the kind the manifests set up (VIGIL_AGENT_AUTH)", () => {
    const base = { VIGIL_CLUSTER: 'prod', VIGIL_INGEST_URL: URL_ };
    // What EKS injects: Pod Identity's webhook the container-credentials pair, IRSA's the web identity pair.
    const podIdentity = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    };
    const irsa = {
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/vigil-agent',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
    };
    const problems = (env: Record<string, string>) => {
      try {
        readAgentConfig({ ...base, ...env });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };

    it('starts when they agree, and when the variable is absent (local mode, keys in the environment)', () => {
      expect(problems({ VIGIL_AGENT_AUTH: 'pod-identity', ...podIdentity })).toEqual([]);
      expect(problems({ VIGIL_AGENT_AUTH: 'irsa', ...irsa })).toEqual([]);
      expect(problems({})).toEqual([]);
    });

    it('names an IRSA annotation left on a Pod Identity agent, which would make every push AccessDenied', () => {
      expect(problems({ VIGIL_AGENT_AUTH: 'pod-identity', ...podIdentity, ...irsa })).toEqual([
        expect.stringContaining('remove the eks.amazonaws.com/role-arn annotation'),
      ]);
    });

    it('names missing credentials of either kind, and an unknown kind', () => {
      expect(problems({ VIGIL_AGENT_AUTH: 'pod-identity' })).toEqual([expect.stringContaining('EKS injected no Pod Identity credentials')]);
      expect(problems({ VIGIL_AGENT_AUTH: 'irsa', ...podIdentity })).toEqual([
        expect.stringContaining('is irsa but the pod has no IRSA credentials'),
      ]);
      expect(problems({ VIGIL_AGENT_AUTH: 'keys' })).toEqual(['VIGIL_AGENT_AUTH must be "pod-identity" or "irsa", got "keys"']);
    });
  });

  it('reads the region of a Function URL host, and nothing else', () => {
    expect(regionOfFunctionUrl(new URL(URL_))).toBe('eu-west-1');
    expect(regionOfFunctionUrl(new URL('https://lambda-url.eu-west-1.on.aws.evil.com/'))).toBeUndefined();
  });
});
