/**
 * The agent's Kubernetes manifests, as data: Namespace, ServiceAccount, least-privilege ClusterRole and
 * its binding, and a hardened one-replica Deployment. `vigil agent manifest` prints them as YAML with the
 * cluster's values (the CDK stack outputs that exact command); `vigil-agent.yaml` beside this file is an
 * example rendering, kept identical to the generator by a test.
 */
import { dump } from 'js-yaml';
import { CLUSTER_NAME_PATTERN } from '../../model/batch-constants';
import { AGENT_ENV, regionOfFunctionUrl } from '../config';
import { MAX_SHARDS, shardLeaseName } from '../shard';
import { AGENT_VERSION } from '../version';

/** Plain JSON data: what the manifests are (a key whose value is undefined is left out). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue | undefined };

/**
 * js-yaml's writer: keys in the order given; strings quoted where a YAML 1.1 or 1.2 reader would take them
 * for something else (`"yes"`, `"8080"`), as kubectl's YAML 1.1 reader needs; no line folding, so an image
 * reference or URL stays on one line.
 */
const YAML_OPTIONS = { lineWidth: -1, noRefs: true, quotingType: '"', skipInvalid: true } as const;

export const AGENT_AUTHS = ['pod-identity', 'irsa'] as const;
export type AgentAuth = (typeof AGENT_AUTHS)[number];

/**
 * The one default, the stack's (`vigil:agentAuth`, `VIGIL_DEFAULTS.agentAuth`): the install command the stack
 * prints and a hand-run `vigil agent manifest` agree, so the agent never gets an IRSA annotation for a role
 * that trusts Pod Identity.
 */
export const DEFAULT_AGENT_AUTH = 'pod-identity' satisfies AgentAuth;

/** Node architectures (`kubernetes.io/arch`) an agent image is built for. */
export const AGENT_ARCHITECTURES = ['amd64', 'arm64'] as const;
export type AgentArchitecture = (typeof AGENT_ARCHITECTURES)[number];

/** A pod toleration, as the Kubernetes API spells it. */
export interface Toleration {
  readonly key?: string;
  readonly operator: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/**
 * The taints the node lifecycle controller puts on a node under pressure. The agent tolerates them so it can
 * be rescheduled during the very incidents it reports (DaemonSets get these tolerations; a Deployment does not).
 */
export const NODE_PRESSURE_TOLERATIONS: readonly Toleration[] = ['memory-pressure', 'disk-pressure', 'pid-pressure'].map((t) => ({
  key: `node.kubernetes.io/${t}`,
  operator: 'Exists',
  effect: 'NoSchedule',
}));

export interface ManifestOptions {
  readonly cluster: string;
  /** The ingest Function URL (a stack output). */
  readonly ingestUrl: string;
  /** The agent's IAM role (a stack output); annotated on the service account with IRSA. */
  readonly roleArn?: string;
  /** @default DEFAULT_AGENT_AUTH */
  readonly auth?: AgentAuth;
  /** The agent image: the stack's (built from agent/Dockerfile at deploy, an `AgentInstall…` output), or your own. */
  readonly image: string;
  /** Pins the agent to nodes of this architecture (the image's). @default no pin: a multi-arch image */
  readonly architecture?: AgentArchitecture;
  /** Tolerations beyond the node-pressure ones, for clusters whose every node is tainted. @default none */
  readonly tolerations?: readonly Toleration[];
  /** Read kubelet summaries through the API server (grants `nodes/proxy`). @default false */
  readonly kubeletProxy?: boolean;
  /** @default vigil */
  readonly namespace?: string;
  /** @default the Function URL's region */
  readonly region?: string;
  /** The cluster's node count, which picks the memory request and limit (`agentMemory`). @default up to 100 nodes */
  readonly nodes?: number;
  /** The container's memory request, a quantity like `256Mi`. @default from `nodes` */
  readonly memoryRequest?: string;
  /** The container's memory limit, a quantity like `512Mi`. @default from `nodes` */
  readonly memoryLimit?: string;
  /**
   * Agent replicas, each reading its share of the nodes (a shard per replica, `agent/shard.ts`). More than one
   * adds a Role for the shard Leases in the agent's namespace. @default from `nodes` (`agentReplicas`), else 1
   */
  readonly replicas?: number;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
// A label key (optional DNS prefix, then a name) and a label value, as taints use them.
const TAINT_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const TAINT_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `KEY[=VALUE][:EFFECT]`, as `kubectl taint` writes a taint: the toleration that matches it (any effect if none). */
export function parseToleration(text: string): Toleration {
  const m = /^([^=:]+)(?:=([^:]*))?(?::(.*))?$/.exec(text);
  const [key, value, effect] = m ? [m[1], m[2], m[3]] : [undefined, undefined, undefined];
  const problems: string[] = [];
  if (key === undefined || !TAINT_KEY.test(key))
    problems.push(`--toleration "${text}" must be KEY[=VALUE][:EFFECT], KEY a label key like dedicated or example.com/team`);
  if (value !== undefined && !TAINT_VALUE.test(value)) problems.push(`--toleration "${text}": the value must be a label value`);
  if (effect !== undefined && !(TAINT_EFFECTS as readonly string[]).includes(effect))
    problems.push(`--toleration "${text}": the effect must be one of ${TAINT_EFFECTS.join(', ')}`);
  if (problems.length) throw new ManifestOptionsError(problems);
  return {
    key,
    operator: value === undefined ? 'Exists' : 'Equal',
    ...(value !== undefined ? { value } : {}),
    ...(effect !== undefined ? { effect: effect as Toleration['effect'] } : {}),
  };
}

export const AGENT_NAME = 'vigil-agent';
export const DEFAULT_NAMESPACE = 'vigil';
export const HEALTH_PORT = 8080;

/**
 * Requests and limits for clusters of up to 100 nodes, from `npm run bench` (peak RSS 90 MiB and 0.4 CPU-s
 * per minute at 1,500 pods): larger clusters get more memory (`agentMemory`); see docs/agent.md.
 */
export const AGENT_RESOURCES = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
} as const;

/**
 * Memory request and limit by cluster size: the agent's peak RSS grows with the pods it keeps (the first
 * list of every pod is its high-water mark), measured by `npm run bench` at 50, 200 and 1,000 nodes
 * (30 pods a node) and given a margin, so a large cluster does not OOM-kill it in a loop.
 */
const MEMORY_BY_NODES: readonly { readonly upTo: number; readonly request: string; readonly limit: string }[] = [
  { upTo: 100, request: AGENT_RESOURCES.requests.memory, limit: AGENT_RESOURCES.limits.memory },
  { upTo: 300, request: '256Mi', limit: '384Mi' },
  { upTo: 1000, request: '384Mi', limit: '640Mi' },
  { upTo: Infinity, request: '512Mi', limit: '1Gi' },
];

/**
 * Nodes one replica reads within its 5 CPU-s a minute, with room: `npm run bench` measured the replica that
 * also sends what is cluster-wide at 3.5 CPU-s for 182 of 1,000 nodes (five replicas), 5.8 for 250 (four).
 */
export const NODES_PER_REPLICA = 200;

/** Replicas for a cluster of `nodes`: one per `NODES_PER_REPLICA` nodes, at least one. */
export function agentReplicas(nodes = 0): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(nodes / NODES_PER_REPLICA)));
}

export function agentMemory(nodes = 0): { readonly request: string; readonly limit: string } {
  const row = MEMORY_BY_NODES.find((r) => nodes <= r.upTo) as (typeof MEMORY_BY_NODES)[number];
  return { request: row.request, limit: row.limit };
}

const MEMORY_QUANTITY = /^([1-9]\d{0,5})(Mi|Gi)$/;
const mebibytes = (q: string) => {
  const m = MEMORY_QUANTITY.exec(q);
  return m ? Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) : NaN;
};

export class ManifestOptionsError extends Error {
  override readonly name = 'ManifestOptionsError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The options with their defaults, or every problem with them at once. */
export function resolveManifestOptions(
  o: ManifestOptions,
): Required<Omit<ManifestOptions, 'roleArn' | 'architecture' | 'nodes'>> & Pick<ManifestOptions, 'roleArn' | 'architecture'> {
  const problems: string[] = [];
  if (!CLUSTER_NAME_PATTERN.test(o.cluster))
    problems.push(`--cluster must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _), got "${o.cluster}"`);
  let url: URL | undefined;
  try {
    url = new URL(o.ingestUrl);
    if (url.protocol !== 'https:') problems.push(`--ingest-url must be https, got "${o.ingestUrl}"`);
  } catch {
    problems.push(`--ingest-url is not a URL: "${o.ingestUrl}"`);
  }
  const region = o.region ?? (url ? regionOfFunctionUrl(url) : undefined);
  if (!region)
    problems.push('--region is required when --ingest-url is not a Lambda Function URL (https://<id>.lambda-url.<region>.on.aws/)');
  const auth = o.auth ?? DEFAULT_AGENT_AUTH;
  if (!AGENT_AUTHS.includes(auth)) problems.push(`--auth must be ${AGENT_AUTHS.join(' or ')}, got "${String(auth)}"`);
  if (auth === 'irsa' && !o.roleArn) problems.push('--role-arn is required with --auth irsa');
  if (o.roleArn && !ROLE_ARN.test(o.roleArn))
    problems.push(`--role-arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "${o.roleArn}"`);
  const namespace = o.namespace ?? DEFAULT_NAMESPACE;
  if (!DNS_LABEL.test(namespace)) problems.push(`--namespace must be a DNS label (a-z 0-9 -, at most 63), got "${namespace}"`);
  const image = o.image ?? '';
  if (!image.trim() || /\s/.test(image))
    problems.push(`--image must be an image reference (the stack's AgentInstall output names the one it built), got "${image}"`);
  if (o.architecture !== undefined && !AGENT_ARCHITECTURES.includes(o.architecture))
    problems.push(`--arch must be ${AGENT_ARCHITECTURES.join(' or ')}, got "${String(o.architecture)}"`);
  if (o.nodes !== undefined && !(Number.isInteger(o.nodes) && o.nodes >= 1))
    problems.push(`--nodes must be a whole number of nodes, got "${String(o.nodes)}"`);
  const sized = agentMemory(o.nodes);
  const memoryRequest = o.memoryRequest ?? sized.request;
  const memoryLimit = o.memoryLimit ?? sized.limit;
  for (const [flag, q] of [
    ['--memory-request', memoryRequest],
    ['--memory-limit', memoryLimit],
  ] as const) {
    if (!MEMORY_QUANTITY.test(q)) problems.push(`${flag} must be a quantity in Mi or Gi like 512Mi, got "${q}"`);
  }
  if (mebibytes(memoryRequest) > mebibytes(memoryLimit))
    problems.push(`--memory-request (${memoryRequest}) must not exceed --memory-limit (${memoryLimit})`);
  const replicas = o.replicas ?? agentReplicas(o.nodes);
  if (!(Number.isInteger(replicas) && replicas >= 1 && replicas <= MAX_SHARDS))
    problems.push(
      `--replicas must be a whole number from 1 to ${MAX_SHARDS} (each replica reads its share of the nodes), got "${String(o.replicas)}"`,
    );
  if (problems.length) throw new ManifestOptionsError(problems);
  return {
    cluster: o.cluster,
    ingestUrl: o.ingestUrl,
    auth,
    image,
    kubeletProxy: o.kubeletProxy ?? false,
    namespace,
    region: region as string,
    tolerations: o.tolerations ?? [],
    memoryRequest,
    memoryLimit,
    replicas,
    ...(o.roleArn ? { roleArn: o.roleArn } : {}),
    ...(o.architecture ? { architecture: o.architecture } : {}),
  };
}

/**
 * Exactly what the agent calls: lists and watches of nodes, pods, events, the workload kinds it
 * resolves owners through, and claims and volumes (the zones a pod's volumes pin it to); `nodes/stats` for the
 * kubelet summary, `nodes/metrics` for its `/metrics/cadvisor` (CPU throttling) and `nodes/configz` for its
 * eviction thresholds, or `nodes/proxy` instead only when the proxy fallback is on (it also allows exec into
 * any container); Karpenter's NodePools and NodeClaims (read only while the cluster serves them); and `/readyz`.
 */
export function agentRules(kubeletProxy: boolean): JsonValue[] {
  const watch = ['get', 'list', 'watch'];
  return [
    { apiGroups: [''], resources: ['nodes', 'pods', 'events', 'persistentvolumeclaims', 'persistentvolumes', 'namespaces'], verbs: watch },
    // nodes/configz: each kubelet's eviction thresholds (Kubernetes 1.33+; older kubelets refuse it and the defaults apply).
    { apiGroups: [''], resources: kubeletProxy ? ['nodes/proxy'] : ['nodes/stats', 'nodes/metrics', 'nodes/configz'], verbs: ['get'] },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], verbs: watch },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: watch },
    // Harmless without Karpenter: RBAC may name resources the cluster does not serve.
    { apiGroups: ['karpenter.sh'], resources: ['nodepools', 'nodeclaims'], verbs: watch },
    { nonResourceURLs: ['/readyz'], verbs: ['get'] },
  ];
}

/**
 * What sharding needs, in the agent's namespace only: create a Lease (RBAC cannot restrict a create by
 * name), and get and update exactly the shard Leases and the standby Lease.
 */
export function shardRules(replicas: number): JsonValue[] {
  const names = [...Array.from({ length: replicas }, (_, s) => shardLeaseName(s, AGENT_NAME)), shardLeaseName('standby', AGENT_NAME)];
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: names, verbs: ['get', 'update'] },
  ];
}

/** A sharded agent's extra documents: the Role for its Leases and the binding to its service account. */
function shardAccess(namespace: string, replicas: number, labels: Record<string, string>): JsonValue[] {
  const name = `${AGENT_NAME}-shards`;
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace, labels }, rules: shardRules(replicas) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace }],
    },
  ];
}

export function agentManifests(options: ManifestOptions): JsonValue[] {
  const o = resolveManifestOptions(options);
  const labels = { 'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'vigil', 'app.kubernetes.io/version': AGENT_VERSION };
  const env: Record<string, string> = {
    [AGENT_ENV.cluster]: o.cluster,
    [AGENT_ENV.ingestUrl]: o.ingestUrl,
    [AGENT_ENV.region]: o.region,
    ...(o.kubeletProxy ? { [AGENT_ENV.kubeletTransport]: 'proxy' } : {}),
    [AGENT_ENV.healthPort]: String(HEALTH_PORT),
    // The agent checks at start that the credentials Kubernetes injected are of this kind.
    [AGENT_ENV.auth]: o.auth,
    // Never fall back to the node's instance role: a missing IRSA/Pod Identity setup must fail loudly.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    ...(o.replicas > 1 ? { [AGENT_ENV.shards]: String(o.replicas) } : {}),
  };
  // A replica's identity and the namespace of its leases, from the downward API.
  const fieldEnv =
    o.replicas > 1
      ? [
          [AGENT_ENV.podName, 'metadata.name'],
          [AGENT_ENV.namespace, 'metadata.namespace'],
        ].map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } }))
      : [];
  const sharded = o.replicas > 1;
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: o.namespace,
        labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: AGENT_NAME,
        namespace: o.namespace,
        labels,
        ...(o.auth === 'irsa' && o.roleArn
          ? { annotations: { 'eks.amazonaws.com/role-arn': o.roleArn, 'eks.amazonaws.com/sts-regional-endpoints': 'true' } }
          : {}),
      },
      automountServiceAccountToken: true,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: AGENT_NAME, labels },
      rules: agentRules(o.kubeletProxy),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: AGENT_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: o.namespace }],
    },
    ...(sharded ? shardAccess(o.namespace, o.replicas, labels) : []),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: AGENT_NAME, namespace: o.namespace, labels },
      spec: {
        // One agent per cluster (or per shard); a rollout starts the new one before stopping the old (batches
        // are idempotent; a sharded replica releases its leases as it stops, and the new one takes them).
        replicas: o.replicas,
        revisionHistoryLimit: 3,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
        template: {
          metadata: {
            labels,
            annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(HEALTH_PORT), 'prometheus.io/path': '/metrics' },
          },
          spec: {
            serviceAccountName: AGENT_NAME,
            automountServiceAccountToken: true,
            // Monitoring must outlive the node pressure it reports: not the first pod evicted.
            priorityClassName: 'system-cluster-critical',
            nodeSelector: { 'kubernetes.io/os': 'linux', ...(o.architecture ? { 'kubernetes.io/arch': o.architecture } : {}) },
            tolerations: [...NODE_PRESSURE_TOLERATIONS, ...o.tolerations].map((t) => ({ ...t })),
            // Replicas on different nodes where possible: losing a node then costs one shard, taken over.
            ...(sharded
              ? {
                  affinity: {
                    podAntiAffinity: {
                      preferredDuringSchedulingIgnoredDuringExecution: [
                        {
                          weight: 100,
                          podAffinityTerm: {
                            topologyKey: 'kubernetes.io/hostname',
                            labelSelector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
                          },
                        },
                      ],
                    },
                  },
                }
              : {}),
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              fsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'agent',
                image: o.image,
                imagePullPolicy: 'IfNotPresent',
                env: [...Object.entries(env).map(([name, value]) => ({ name, value })), ...fieldEnv],
                ports: [{ name: 'http', containerPort: HEALTH_PORT, protocol: 'TCP' }],
                resources: {
                  requests: { cpu: AGENT_RESOURCES.requests.cpu, memory: o.memoryRequest },
                  limits: { cpu: AGENT_RESOURCES.limits.cpu, memory: o.memoryLimit },
                },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http' },
                  initialDelaySeconds: 30,
                  periodSeconds: 30,
                  timeoutSeconds: 5,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'http' },
                  initialDelaySeconds: 10,
                  periodSeconds: 15,
                  timeoutSeconds: 5,
                  failureThreshold: 2,
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
          },
        },
      },
    },
  ];
}

/** The manifests as one YAML stream, headed by how to apply them and what they grant. */
export function renderManifests(options: ManifestOptions): string {
  const o = resolveManifestOptions(options);
  const header = [
    `Vigil agent for EKS cluster "${o.cluster}": generated by \`vigil agent manifest\` (Vigil ${AGENT_VERSION}).`,
    `Apply with: kubectl --context <cluster> apply -f <this file>`,
    o.auth === 'irsa'
      ? `AWS credentials: IRSA, role ${o.roleArn} (the cluster needs its IAM OIDC provider).`
      : `AWS credentials: EKS Pod Identity (the stack associates ${o.namespace}/${AGENT_NAME} with the agent's role; the cluster needs the eks-pod-identity-agent add-on).`,
    o.kubeletProxy
      ? 'Kubelet stats: through the API server proxy. This grants nodes/proxy, which also allows exec into any container.'
      : "Kubelet stats: read directly from each node's kubelet (port 10250) with nodes/stats and nodes/metrics; no nodes/proxy.",
    ...(o.replicas > 1
      ? [`Sharded: ${o.replicas} replicas, each reading its share of the nodes; a Role lets them hold their Leases in ${o.namespace}.`]
      : []),
    '',
  ];
  return (
    header.map((h) => `# ${h}`.trimEnd() + '\n').join('') +
    agentManifests(o)
      .map((d) => `---\n${dump(d, YAML_OPTIONS)}`)
      .join('')
  );
}

/**
 * The command that installs the agent: what the stack outputs per cluster (`AgentInstall<cluster>`), with
 * every value spelled out so it never depends on a default. The values may be CDK tokens.
 */
export function installCommand(o: ManifestOptions & { readonly roleArn: string; readonly auth: AgentAuth }): string {
  const flags = [
    ['cluster', o.cluster],
    ['ingest-url', o.ingestUrl],
    ['role-arn', o.roleArn],
    ['auth', o.auth],
    ['image', o.image],
    ['arch', o.architecture],
    ...(o.tolerations ?? []).map((t) => [
      'toleration',
      `${t.key}${t.value !== undefined ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`,
    ]),
  ].filter((f): f is [string, string] => f[1] !== undefined);
  return `npx vigil agent manifest ${flags.map(([k, v]) => `--${k} ${v}`).join(' ')} | kubectl apply -f -`;
}

/** The values `vigil-agent.yaml` (the example beside this file) is rendered with: a stack's install command. */
export const EXAMPLE_MANIFEST_OPTIONS = {
  cluster: 'prod-eu-1',
  ingestUrl: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/',
  roleArn: 'arn:aws:iam::123456789012:role/Vigil-VigilAgentprodeu1Role-EXAMPLE',
  auth: DEFAULT_AGENT_AUTH,
  image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets-123456789012-eu-west-1:${'0'.repeat(64)}`,
  architecture: 'amd64',
} as const satisfies ManifestOptions;

/** The text of `vigil-agent.yaml`: the example rendering, marked as one. */
export function exampleManifestFile(): string {
  return [
    '# EXAMPLE with placeholder values. Generate your own with the AgentInstall<cluster> command of the stack outputs:',
    `#   ${installCommand(EXAMPLE_MANIFEST_OPTIONS)}`,
    renderManifests(EXAMPLE_MANIFEST_OPTIONS),
  ].join('\n');
}
