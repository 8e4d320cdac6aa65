import { readFileSync } from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { readAgentConfig } from '../../../agent/config';
import {
  agentManifests,
  agentRules,
  exampleManifestFile,
  installCommand,
  ManifestOptionsError,
  parseToleration,
  renderManifests,
  HEALTH_PORT,
  type ManifestOptions,
} from '../../../agent/deploy/manifests';
import { VIGIL_DEFAULTS } from '../../../lib/vigil';
import { validateObject } from '../../sim/kube/k8s-schema';

const OPTIONS = {
  cluster: 'prod-eu-1',
  ingestUrl: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/',
  roleArn: 'arn:aws:iam::123456789012:role/vigil-agent-prod-eu-1',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/vigil-agent:0.1.0',
} satisfies ManifestOptions;

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [k: string]: unknown;
};
const byKind = (objs: unknown[]) =>
  Object.fromEntries((objs as Obj[]).map((o) => [o.kind, o])) as Record<string, Obj & Record<string, never>>;
type Deployment = any;

describe("the agent's manifests", () => {
  it.each([
    ['IRSA, direct kubelet reads', { ...OPTIONS, auth: 'irsa' as const }],
    [
      'Pod Identity, pinned to arm64, with a toleration',
      { ...OPTIONS, roleArn: undefined, architecture: 'arm64' as const, tolerations: [parseToleration('dedicated=infra:NoSchedule')] },
    ],
    ['the API-server proxy fallback', { ...OPTIONS, kubeletProxy: true, namespace: 'monitoring' }],
  ])('validate against the official schemas (%s), as YAML read back', (_name, options) => {
    const objects = loadAll(renderManifests(options));
    expect(objects).toEqual(agentManifests(options));
    expect((objects as Obj[]).map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
    ]);
    for (const o of objects) validateObject(o);
  });

  it('grant only reads, with nodes/stats and nodes/configz, and nodes/proxy only with the fallback (which then drops both)', () => {
    const rules = (o: ManifestOptions) =>
      byKind(agentManifests(o)).ClusterRole.rules as unknown as {
        apiGroups?: string[];
        resources?: string[];
        verbs: string[];
        nonResourceURLs?: string[];
      }[];
    const direct = rules(OPTIONS);
    expect(direct.flatMap((r) => r.verbs).every((v) => ['get', 'list', 'watch'].includes(v))).toBe(true);
    expect(direct.flatMap((r) => r.resources ?? [])).toEqual([
      'nodes',
      'pods',
      'events',
      'persistentvolumeclaims',
      'persistentvolumes',
      'namespaces',
      'nodes/stats',
      'nodes/metrics',
      'nodes/configz',
      'deployments',
      'statefulsets',
      'daemonsets',
      'replicasets',
      'jobs',
      'nodepools',
      'nodeclaims',
    ]);
    // Karpenter's two resources, read-only, in their own API group and nothing else of it.
    expect(direct.find((r) => r.apiGroups?.includes('karpenter.sh'))).toEqual({
      apiGroups: ['karpenter.sh'],
      resources: ['nodepools', 'nodeclaims'],
      verbs: ['get', 'list', 'watch'],
    });
    expect(direct.flatMap((r) => r.nonResourceURLs ?? [])).toEqual(['/readyz']);
    const proxied = rules({ ...OPTIONS, kubeletProxy: true }).flatMap((r) => r.resources ?? []);
    expect(proxied).toContain('nodes/proxy');
    expect(proxied).not.toContain('nodes/stats');
    expect(proxied).not.toContain('nodes/configz');
    expect(agentRules(false)).toEqual(direct);
  });

  it('put the IAM role on the service account with IRSA, and nothing with Pod Identity', () => {
    expect(byKind(agentManifests({ ...OPTIONS, auth: 'irsa' })).ServiceAccount.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': OPTIONS.roleArn,
      'eks.amazonaws.com/sts-regional-endpoints': 'true',
    });
    expect(byKind(agentManifests({ ...OPTIONS, auth: 'pod-identity' })).ServiceAccount.metadata.annotations).toBeUndefined();
  });

  it("default to the stack's auth, Pod Identity: no IRSA annotation unless asked", () => {
    expect(VIGIL_DEFAULTS.agentAuth.kind).toBe('pod-identity');
    expect(byKind(agentManifests(OPTIONS)).ServiceAccount.metadata.annotations).toBeUndefined();
    expect(renderManifests(OPTIONS)).toContain('AWS credentials: EKS Pod Identity');
  });

  it('tolerate the node-pressure taints, and the taints asked for', () => {
    const tolerations = (o: ManifestOptions) => (byKind(agentManifests(o)).Deployment as Deployment).spec.template.spec.tolerations;
    const pressure = ['memory-pressure', 'disk-pressure', 'pid-pressure'].map((t) => ({
      key: `node.kubernetes.io/${t}`,
      operator: 'Exists',
      effect: 'NoSchedule',
    }));
    expect(tolerations(OPTIONS)).toEqual(pressure);
    const extra = ['dedicated=infra:NoSchedule', 'example.com/gpu', 'spot:NoExecute'].map(parseToleration);
    expect(tolerations({ ...OPTIONS, tolerations: extra })).toEqual([
      ...pressure,
      { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
      { key: 'example.com/gpu', operator: 'Exists' },
      { key: 'spot', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(() => parseToleration('dedicated=infra:Sometimes')).toThrow('the effect must be one of NoSchedule, PreferNoSchedule, NoExecute');
    expect(() => parseToleration('=x')).toThrow('must be KEY[=VALUE][:EFFECT]');
  });

  it('pin the agent to the architecture of its image, and not without one', () => {
    const selector = (o: ManifestOptions) => (byKind(agentManifests(o)).Deployment as Deployment).spec.template.spec.nodeSelector;
    expect(selector({ ...OPTIONS, architecture: 'arm64' })).toEqual({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' });
    expect(selector(OPTIONS)).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(() => agentManifests({ ...OPTIONS, architecture: 's390x' as 'amd64' })).toThrow('--arch must be amd64 or arm64, got "s390x"');
  });

  it('install with a command that spells out every value, which reads back as the same manifests', () => {
    const cmd = installCommand({
      ...OPTIONS,
      auth: 'pod-identity',
      architecture: 'amd64',
      tolerations: [parseToleration('dedicated=infra:NoSchedule')],
    });
    expect(cmd).toBe(
      `npx vigil agent manifest --cluster prod-eu-1 --ingest-url ${OPTIONS.ingestUrl} --role-arn ${OPTIONS.roleArn} --auth pod-identity --image ${OPTIONS.image} --arch amd64 --toleration dedicated=infra:NoSchedule | kubectl apply -f -`,
    );
  });

  it('run one hardened replica: non-root, read-only root, no capabilities, RuntimeDefault seccomp, requests, limits, probes', () => {
    const d: Deployment = byKind(agentManifests(OPTIONS)).Deployment;
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(d.spec.replicas).toBe(1);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(Object.keys(c.resources.requests)).toEqual(['cpu', 'memory']);
    expect(Object.keys(c.resources.limits)).toEqual(['cpu', 'memory']);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: HEALTH_PORT, protocol: 'TCP' }]);
    expect(c.image).toBe(OPTIONS.image);
    // The namespace enforces the "restricted" Pod Security Standard, which this pod meets.
    expect(byKind(agentManifests(OPTIONS)).Namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it("configure the agent with variables it accepts, and keep it off the node's instance role", () => {
    // What the EKS Pod Identity webhook injects into the pod (Amazon EKS: "Understand how EKS Pod Identity works").
    const podIdentity = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    };
    for (const options of [OPTIONS, { ...OPTIONS, kubeletProxy: true }] as ManifestOptions[]) {
      const env: Record<string, string> = {
        ...Object.fromEntries(
          (byKind(agentManifests(options)).Deployment as Deployment).spec.template.spec.containers[0].env.map(
            (e: { name: string; value: string }) => [e.name, e.value],
          ),
        ),
        ...podIdentity,
      };
      expect(env.AWS_EC2_METADATA_DISABLED).toBe('true');
      expect(readAgentConfig(env)).toMatchObject({
        cluster: 'prod-eu-1',
        ingestUrl: OPTIONS.ingestUrl,
        region: 'eu-west-1',
        healthPort: HEALTH_PORT,
        kubeletTransport: options.kubeletProxy ? 'proxy' : 'direct',
      });
    }
  });

  it("size the memory request and limit by the cluster's node count, or as told", () => {
    const memory = (o: ManifestOptions) => {
      const r = (byKind(agentManifests(o)).Deployment as Deployment).spec.template.spec.containers[0].resources;
      return [r.requests.memory, r.limits.memory];
    };
    expect(memory(OPTIONS)).toEqual(['128Mi', '256Mi']);
    expect(memory({ ...OPTIONS, nodes: 1000 })).toEqual(['384Mi', '640Mi']);
    expect(memory({ ...OPTIONS, nodes: 3000 })).toEqual(['512Mi', '1Gi']);
    expect(memory({ ...OPTIONS, nodes: 1000, memoryLimit: '2Gi' })).toEqual(['384Mi', '2Gi']);
    expect(() => agentManifests({ ...OPTIONS, nodes: 0.5, memoryRequest: '1G', memoryLimit: '512Mi' })).toThrow(
      new ManifestOptionsError([
        '--nodes must be a whole number of nodes, got "0.5"',
        '--memory-request must be a quantity in Mi or Gi like 512Mi, got "1G"',
      ]),
    );
    expect(() => agentManifests({ ...OPTIONS, memoryRequest: '1Gi', memoryLimit: '512Mi' })).toThrow(
      '--memory-request (1Gi) must not exceed --memory-limit (512Mi)',
    );
  });

  it('refuse bad options, listing every problem', () => {
    let err: ManifestOptionsError | undefined;
    try {
      agentManifests({ cluster: 'no spaces', ingestUrl: 'http://x.example.com/', roleArn: 'role/vigil', namespace: 'Vigil', image: '' });
    } catch (e) {
      err = e as ManifestOptionsError;
    }
    expect(err?.problems).toEqual([
      '--cluster must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _), got "no spaces"',
      '--ingest-url must be https, got "http://x.example.com/"',
      '--region is required when --ingest-url is not a Lambda Function URL (https://<id>.lambda-url.<region>.on.aws/)',
      '--role-arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "role/vigil"',
      '--namespace must be a DNS label (a-z 0-9 -, at most 63), got "Vigil"',
      '--image must be an image reference (the stack\'s AgentInstall output names the one it built), got ""',
    ]);
    expect(() => agentManifests({ ...OPTIONS, auth: 'irsa', roleArn: undefined })).toThrow('--role-arn is required with --auth irsa');
  });

  it("quote values kubectl's YAML 1.1 reader would take for a boolean or a number, and read back as written", () => {
    const options = {
      ...OPTIONS,
      tolerations: ['dedicated=yes:NoSchedule', 'gpu=0x1F:NoSchedule', 'spot=on', 'tier=1e3'].map(parseToleration),
    };
    const text = renderManifests(options);
    for (const v of ['yes', '0x1F', 'on', '1e3']) expect(text).toContain(`value: "${v}"`);
    expect(loadAll(text)).toEqual(agentManifests(options));
  });

  it('ship an example (agent/deploy/vigil-agent.yaml) that is exactly what the generator prints', () => {
    const file = readFileSync(path.join(__dirname, '../../../agent/deploy/vigil-agent.yaml'), 'utf8');
    expect(file).toBe(exampleManifestFile());
    for (const o of loadAll(file)) validateObject(o);
  });
});

describe("the agent's manifests with --replicas", () => {
  it('are exactly the one-replica manifests for 1, the default', () => {
    expect(renderManifests({ ...OPTIONS, replicas: 1 })).toBe(renderManifests(OPTIONS));
    expect((agentManifests(OPTIONS) as Obj[]).map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
    ]);
  });

  it('are sized by the node count when not given: one replica per 200 nodes, as measured', () => {
    const replicas = (o: ManifestOptions) => (byKind(agentManifests(o)).Deployment as Deployment).spec.replicas;
    expect(replicas({ ...OPTIONS, nodes: 200 })).toBe(1);
    expect(replicas({ ...OPTIONS, nodes: 201 })).toBe(2);
    expect(replicas({ ...OPTIONS, nodes: 1000 })).toBe(5);
    expect(replicas({ ...OPTIONS, nodes: 1000, replicas: 1 })).toBe(1);
    expect(replicas({ ...OPTIONS, nodes: 100_000 })).toBe(32);
    // Sharded by default: the Role for the Leases comes with it.
    expect((agentManifests({ ...OPTIONS, nodes: 1000 }) as Obj[]).map((o) => o.kind)).toContain('Role');
  });

  it("run N replicas with a Role that may create Leases and get and update only the shard and standby Leases, in the agent's namespace; valid objects", () => {
    const options = { ...OPTIONS, replicas: 3, namespace: 'monitoring' };
    const objects = loadAll(renderManifests(options)) as Obj[];
    expect(objects).toEqual(agentManifests(options));
    expect(objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Deployment',
    ]);
    for (const o of objects) validateObject(o);
    const k = byKind(objects);
    expect(k.Role.metadata).toMatchObject({ name: 'vigil-agent-shards', namespace: 'monitoring' });
    expect(k.Role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['vigil-agent-shard-0', 'vigil-agent-shard-1', 'vigil-agent-shard-2', 'vigil-agent-standby'],
        verbs: ['get', 'update'],
      },
    ]);
    expect(k.RoleBinding).toMatchObject({
      metadata: { namespace: 'monitoring' },
      roleRef: { kind: 'Role', name: 'vigil-agent-shards' },
      subjects: [{ kind: 'ServiceAccount', name: 'vigil-agent', namespace: 'monitoring' }],
    });
    // The ClusterRole is unchanged: leases are granted in the namespace only.
    expect(k.ClusterRole.rules).toEqual(byKind(agentManifests(OPTIONS)).ClusterRole.rules);
    const spec = (k.Deployment as Deployment).spec;
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    // The pod's variables, with the downward API's values as the kubelet fills them in, configure a sharded agent.
    const env: Record<string, string> = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' };
    const downward: Record<string, string> = { 'metadata.name': 'vigil-agent-7d9f8-abcde', 'metadata.namespace': 'monitoring' };
    for (const e of spec.template.spec.containers[0].env) env[e.name] = e.value ?? downward[e.valueFrom.fieldRef.fieldPath];
    expect(readAgentConfig(env)).toMatchObject({ shards: 3, podName: 'vigil-agent-7d9f8-abcde', namespace: 'monitoring' });
  });

  it('refuse a replica count that is not a whole number from 1 to 32, saying why', () => {
    for (const replicas of [0, 33, 1.5, Number('two')]) {
      expect(() => agentManifests({ ...OPTIONS, replicas })).toThrow(ManifestOptionsError);
      expect(() => agentManifests({ ...OPTIONS, replicas })).toThrow(
        `--replicas must be a whole number from 1 to 32 (each replica reads its share of the nodes), got "${replicas}"`,
      );
    }
  });
});

describe("the sharded agent's configuration", () => {
  const base = { VIGIL_CLUSTER: 'prod', VIGIL_INGEST_URL: 'https://abc.lambda-url.eu-west-1.on.aws/' };
  it("needs the pod's name and namespace with more than one shard, and takes none with one", () => {
    expect(() => readAgentConfig({ ...base, VIGIL_SHARDS: '3' })).toThrow(
      /VIGIL_POD_NAME is required when VIGIL_SHARDS is 3[\s\S]*VIGIL_NAMESPACE is required when VIGIL_SHARDS is 3/,
    );
    expect(() => readAgentConfig({ ...base, VIGIL_SHARDS: '40' })).toThrow('VIGIL_SHARDS must be an integer from 1 to 32, got "40"');
    expect(readAgentConfig({ ...base, VIGIL_SHARDS: '1' }).shards).toBeUndefined();
  });
});
