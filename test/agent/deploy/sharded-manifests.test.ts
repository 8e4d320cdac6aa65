/**
 * `vigil agent manifest --replicas N`: one replica (the default) is exactly today's manifest; more add the
 * shard Leases' Role (in the agent's namespace only) and the variables a replica needs, and validate.
 */
import { loadAll } from 'js-yaml';
import { readAgentConfig } from '../../../agent/config';
import { agentManifests, ManifestOptionsError, renderManifests, type ManifestOptions } from '../../../agent/deploy/manifests';
import { validateObject } from '../../sim/kube/k8s-schema';

const OPTIONS = {
  cluster: 'prod-eu-1',
  ingestUrl: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/',
  roleArn: 'arn:aws:iam::123456789012:role/vigil-agent-prod-eu-1',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/vigil-agent:0.1.0',
} satisfies ManifestOptions;

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };
const byKind = (objs: unknown[]) => Object.fromEntries((objs as Obj[]).map((o) => [o.kind, o])) as Record<string, Obj>;

describe('the agent\'s manifests with --replicas', () => {
  it('are exactly the one-replica manifests for 1, the default', () => {
    expect(renderManifests({ ...OPTIONS, replicas: 1 })).toBe(renderManifests(OPTIONS));
    expect((agentManifests(OPTIONS) as Obj[]).map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment']);
  });

  it('run N replicas with a Role that may create Leases and get and update only the shard and standby Leases, in the agent\'s namespace; valid objects', () => {
    const options = { ...OPTIONS, replicas: 3, namespace: 'monitoring' };
    const objects = loadAll(renderManifests(options)) as Obj[];
    expect(objects).toEqual(agentManifests(options));
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment']);
    for (const o of objects) validateObject(o);
    const k = byKind(objects);
    expect(k.Role.metadata).toMatchObject({ name: 'vigil-agent-shards', namespace: 'monitoring' });
    expect(k.Role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['vigil-agent-shard-0', 'vigil-agent-shard-1', 'vigil-agent-shard-2', 'vigil-agent-standby'], verbs: ['get', 'update'] },
    ]);
    expect(k.RoleBinding).toMatchObject({ metadata: { namespace: 'monitoring' }, roleRef: { kind: 'Role', name: 'vigil-agent-shards' }, subjects: [{ kind: 'ServiceAccount', name: 'vigil-agent', namespace: 'monitoring' }] });
    // The ClusterRole is unchanged: leases are granted in the namespace only.
    expect(k.ClusterRole.rules).toEqual(byKind(agentManifests(OPTIONS)).ClusterRole.rules);
    const spec = k.Deployment.spec;
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    // The pod's variables, with the downward API's values as the kubelet fills them in, configure a sharded agent.
    const env: Record<string, string> = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' };
    const downward: Record<string, string> = { 'metadata.name': 'vigil-agent-7d9f8-abcde', 'metadata.namespace': 'monitoring' };
    for (const e of spec.template.spec.containers[0].env) env[e.name] = e.value ?? downward[e.valueFrom.fieldRef.fieldPath];
    expect(readAgentConfig(env)).toMatchObject({ shards: 3, podName: 'vigil-agent-7d9f8-abcde', namespace: 'monitoring' });
  });

  it('refuse a replica count that is not a whole number from 1 to 32, saying why', () => {
    for (const replicas of [0, 33, 1.5, Number('two')]) {
      expect(() => agentManifests({ ...OPTIONS, replicas })).toThrow(ManifestOptionsError);
      expect(() => agentManifests({ ...OPTIONS, replicas })).toThrow(`--replicas must be a whole number from 1 to 32 (each replica reads its share of the nodes), got "${replicas}"`);
    }
  });
});

describe('the sharded agent\'s configuration', () => {
  const base = { VIGIL_CLUSTER: 'prod', VIGIL_INGEST_URL: 'https://abc.lambda-url.eu-west-1.on.aws/' };
  it('needs the pod\'s name and namespace with more than one shard, and takes none with one', () => {
    expect(() => readAgentConfig({ ...base, VIGIL_SHARDS: '3' })).toThrow(/VIGIL_POD_NAME is required when VIGIL_SHARDS is 3[\s\S]*VIGIL_NAMESPACE is required when VIGIL_SHARDS is 3/);
    expect(() => readAgentConfig({ ...base, VIGIL_SHARDS: '40' })).toThrow('VIGIL_SHARDS must be an integer from 1 to 32, got "40"');
    expect(readAgentConfig({ ...base, VIGIL_SHARDS: '1' }).shards).toBeUndefined();
  });
});
