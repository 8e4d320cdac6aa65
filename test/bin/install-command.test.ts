/**
 * End to end, as a first deploy runs it: the stack synthesized from cdk.json's sample, its printed
 * `AgentInstall…` command with CloudFormation's values filled in, run through the real CLI, and the manifests
 * it prints checked against the Kubernetes schemas and against what the stack set up.
 */
import { loadAll } from 'js-yaml';
import { readAgentConfig } from '../../agent/config';
import { buildApp } from '../../bin/app';
import { main } from '../../cli/main';
import { Template } from 'aws-cdk-lib/assertions';
import { validateObject } from '../sim/kube/k8s-schema';
import { testApp } from '../support/cdk';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const INGEST_URL = `https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.${REGION}.on.aws/`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/Vigil-VigilAgentmyclusterRole-EXAMPLE`;

/** What CloudFormation makes of the output's value in eu-west-1 (the few intrinsics it uses). */
function resolve(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  if (o['Fn::GetAtt']) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (attr === 'FunctionUrl' && id.startsWith('VigilIngestFunction')) return INGEST_URL;
    if (attr === 'Arn' && id.startsWith('VigilAgentmycluster')) return ROLE_ARN;
  }
  if (typeof o['Fn::Sub'] === 'string') {
    const vars: Record<string, string> = { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION, 'AWS::URLSuffix': 'amazonaws.com' };
    return (o['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_m, k: string) => vars[k] ?? `<${k}>`);
  }
  throw new Error(`unexpected intrinsic ${JSON.stringify(v)}`);
}

type K8s = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any };

describe('the install command of a first deploy', () => {
  const app = testApp();
  const stack = buildApp(app);
  const template = Template.fromStack(stack).toJSON() as {
    Outputs: Record<string, { Value: unknown }>;
    Rules?: Record<string, unknown>;
    Resources: Record<string, { Type: string; Properties: any }>;
  };
  const command = resolve(template.Outputs.AgentInstallmycluster.Value);
  const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}:`;

  test('is the vigil CLI piped to kubectl, naming the image the stack builds by its content hash', () => {
    expect(command).toMatch(/^npx vigil agent manifest .* \| kubectl apply -f -$/);
    expect(command).toContain(` --image ${image}`);
    expect(command).toMatch(/ --image \S+:[0-9a-f]{64} /);
  });

  test('prints manifests that validate, run that image on amd64 nodes through the storms they report, with Pod Identity as the stack set it up', async () => {
    const args = command
      .replace(/^npx vigil /, '')
      .replace(/ \| kubectl apply -f -$/, '')
      .split(' ');
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) })).toBe(0);
    expect(err.join('')).toBe('');
    const objects = loadAll(out.join('')) as K8s[];
    for (const o of objects) validateObject(o);
    const byKind = Object.fromEntries(objects.map((o) => [o.kind, o]));

    const pod = byKind.Deployment.spec.template.spec;
    expect(pod.containers[0].image).toMatch(new RegExp(`^${image.replace(/\./g, '\\.')}[0-9a-f]{64}$`));
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    expect(pod.tolerations).toEqual(
      expect.arrayContaining(
        ['memory-pressure', 'disk-pressure', 'pid-pressure'].map((t) => ({
          key: `node.kubernetes.io/${t}`,
          operator: 'Exists',
          effect: 'NoSchedule',
        })),
      ),
    );

    // One auth default: the stack associates the service account with the role (Pod Identity), and the
    // manifests put no IRSA annotation on it, which would make the SDK try web identity first.
    const associations = Object.values(template.Resources).filter((r) => r.Type === 'AWS::EKS::PodIdentityAssociation');
    expect(associations.map((a) => [a.Properties.ClusterName, a.Properties.Namespace, a.Properties.ServiceAccount])).toEqual([
      ['my-cluster', 'vigil', 'vigil-agent'],
    ]);
    expect(byKind.ServiceAccount.metadata.annotations).toBeUndefined();
    const env = Object.fromEntries((pod.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(env.VIGIL_AGENT_AUTH).toBe('pod-identity');
    // As EKS starts the pod: the Pod Identity webhook's variables, and the agent accepts its configuration.
    const injected = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    };
    expect(readAgentConfig({ ...env, ...injected })).toMatchObject({ cluster: 'my-cluster', ingestUrl: INGEST_URL, region: REGION });
  });

  test('comes from a template that refuses regions without function URLs', () => {
    expect(JSON.stringify(template.Rules ?? {})).toContain('Fn::Contains');
    expect(JSON.stringify(template.Rules ?? {})).toContain('eu-central-2');
  });
});
