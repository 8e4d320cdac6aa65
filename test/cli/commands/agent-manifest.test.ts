import { loadAll } from 'js-yaml';
import { agentManifests } from '../../../agent/deploy/manifests';
import { main } from '../../../cli/main';

async function vigil(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}

const URL_ = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
const ROLE = 'arn:aws:iam::123456789012:role/vigil-agent';

describe('vigil agent manifest', () => {
  it('prints ready-to-apply YAML for the cluster', async () => {
    const r = await vigil(
      'agent',
      'manifest',
      '--cluster',
      'prod',
      '--ingest-url',
      URL_,
      '--role-arn',
      ROLE,
      '--image',
      'registry.example.com/vigil-agent:0.1.0',
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(loadAll(r.out)).toEqual(
      agentManifests({ cluster: 'prod', ingestUrl: URL_, roleArn: ROLE, image: 'registry.example.com/vigil-agent:0.1.0' }),
    );
  });

  it('passes --auth, --arch, --toleration, --kubelet-proxy, --namespace and --region through', async () => {
    const r = await vigil(
      'agent',
      'manifest',
      '--cluster',
      'prod',
      '--ingest-url',
      'https://ingest.example.com/',
      '--region',
      'us-west-2',
      '--image',
      'reg/a:1',
      '--auth',
      'irsa',
      '--role-arn',
      ROLE,
      '--arch',
      'arm64',
      '--toleration',
      'dedicated=infra:NoSchedule',
      '--toleration',
      'spot',
      '--kubelet-proxy',
      '--namespace',
      'observability',
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('nodes/proxy');
    expect(r.out).toContain('namespace: observability');
    expect(r.out).toContain('value: us-west-2');
    expect(r.out).toContain('eks.amazonaws.com/role-arn');
    const pod = (loadAll(r.out) as any[]).find((o) => o.kind === 'Deployment').spec.template.spec;
    expect(pod.nodeSelector['kubernetes.io/arch']).toBe('arm64');
    expect(pod.tolerations.slice(3)).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists' },
    ]);
  });

  it('sizes the memory by --nodes, and takes --memory-request and --memory-limit as given', async () => {
    const r = await vigil(
      'agent',
      'manifest',
      '--cluster',
      'prod',
      '--ingest-url',
      URL_,
      '--image',
      'reg/a:1',
      '--nodes',
      '1000',
      '--memory-request',
      '512Mi',
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    const c = (loadAll(r.out) as any[]).find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
    expect([c.resources.requests.memory, c.resources.limits.memory]).toEqual(['512Mi', '640Mi']);
  });

  it("defaults --auth to the stack's default, Pod Identity: no IRSA annotation", async () => {
    const r = await vigil('agent', 'manifest', '--cluster', 'prod', '--ingest-url', URL_, '--role-arn', ROLE, '--image', 'reg/a:1');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('eks.amazonaws.com/role-arn');
    expect(r.out).toContain('value: pod-identity');
  });

  it('is a usage error (exit 2) naming what is missing or wrong', async () => {
    expect(await vigil('agent', 'manifest', '--ingest-url', URL_)).toMatchObject({
      code: 2,
      err: expect.stringContaining('--cluster is required'),
    });
    expect(await vigil('agent', 'manifest', '--cluster', 'prod', '--ingest-url', URL_)).toMatchObject({
      code: 2,
      err: expect.stringContaining('--image is required'),
    });
    expect(
      await vigil('agent', 'manifest', '--cluster', 'prod', '--ingest-url', URL_, '--image', 'reg/a:1', '--auth', 'irsa'),
    ).toMatchObject({ code: 2, err: expect.stringContaining('--role-arn is required with --auth irsa') });
    expect(
      await vigil(
        'agent',
        'manifest',
        '--cluster',
        'prod',
        '--ingest-url',
        URL_,
        '--image',
        'reg/a:1',
        '--role-arn',
        ROLE,
        '--auth',
        'keys',
      ),
    ).toMatchObject({ code: 2, err: expect.stringContaining('--auth must be pod-identity or irsa') });
    expect(
      await vigil('agent', 'manifest', '--cluster', 'prod', '--ingest-url', URL_, '--image', 'reg/a:1', '--toleration', 'a:Never'),
    ).toMatchObject({ code: 2, err: expect.stringContaining('the effect must be one of') });
    expect(await vigil('agent', 'manifest', '--cluster', 'prod', '--colour')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--colour'),
    });
  });

  it('is listed in the help', async () => {
    expect((await vigil('--help')).out).toContain('agent manifest');
  });
});
