import * as fs from 'fs';
import * as path from 'path';
import { Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { VigilStack } from '../../lib/vigil-stack';
import { SAMPLE_VIGIL_PROPS, scrubbedTemplate, testApp, vigilTemplate } from '../support/cdk';

describe('VigilStack', () => {
  const { stack, template } = vigilTemplate();
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;

  test('outputs the ingest URL, the dashboards, the topics and the table', () => {
    expect(outputs.IngestUrl.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^VigilIngestFunctionFunctionUrl/), 'FunctionUrl'] });
    const mappings = template.toJSON().Mappings as Record<string, Record<string, Record<string, string>>>;
    // Resolves the few intrinsics the URL uses, as CloudFormation would in the given partition and region.
    const resolve = (v: unknown, partition: string, region: string): string => {
      if (typeof v === 'string') return v;
      const o = v as Record<string, unknown[] | string>;
      if (o.Ref === 'AWS::Region') return region;
      if (o.Ref === 'AWS::Partition') return partition;
      if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map((p) => resolve(p, partition, region)).join(o['Fn::Join'][0] as string);
      if (o['Fn::FindInMap']) {
        const [map, key, attr] = (o['Fn::FindInMap'] as unknown[]).map((p) => resolve(p, partition, region));
        return mappings[map][key][attr];
      }
      if (o.Ref) return `<${o.Ref as string}>`;
      throw new Error(`unexpected intrinsic ${JSON.stringify(v)}`);
    };
    for (const d of ['OverviewDashboard', 'HostsAndNodesDashboard']) {
      expect(resolve(outputs[d].Value, 'aws', 'eu-west-1')).toMatch(
        /^https:\/\/console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#dashboards\/dashboard\/<VigilDashboards\w+>$/,
      );
      expect(resolve(outputs[d].Value, 'aws-cn', 'cn-north-1')).toMatch(
        /^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#/,
      );
    }
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['AlertsTopicArn', 'HealthTopicArn', 'TableName']));
  });

  test('per cluster: the agent role ARN and the exact command that installs the agent, naming the image the stack builds', () => {
    expect(outputs.AgentRoleArnprod.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^VigilAgentprodRole/), 'Arn'] });
    const imageUri = stack.agentImage?.imageUri;
    expect(imageUri).toBeDefined();
    expect(outputs.AgentInstallprod.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'npx vigil agent manifest --cluster prod --ingest-url ',
          { 'Fn::GetAtt': [expect.stringMatching(/^VigilIngestFunctionFunctionUrl/), 'FunctionUrl'] },
          ' --role-arn ',
          { 'Fn::GetAtt': [expect.stringMatching(/^VigilAgentprodRole/), 'Arn'] },
          ' --auth pod-identity --image ',
          // The bootstrap repository (immutable tags), tagged with the asset's content hash.
          {
            'Fn::Sub': expect.stringMatching(
              /^\$\{AWS::AccountId\}\.dkr\.ecr\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/cdk-hnb659fds-container-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}:[0-9a-f]{64}$/,
            ),
          },
          ' --arch amd64 | kubectl apply -f -',
        ],
      ],
    });
    expect(JSON.stringify(outputs.AgentInstallstaging.Value)).toContain(' --auth irsa --image ');
    expect(outputs.AgentInstallstaging.Description).toContain('cluster staging (us-west-2)');
  });

  test('builds the agent for the architecture asked, and pins the agent to it', () => {
    const arm = new VigilStack(testApp(), 'Arm', { vigil: SAMPLE_VIGIL_PROPS, agentArchitecture: 'arm64' });
    expect(JSON.stringify(Template.fromStack(arm).toJSON().Outputs.AgentInstallprod.Value)).toContain(' --arch arm64 | kubectl apply -f -');
    const asset = arm.node.findAll().find((c) => c instanceof DockerImageAsset) as DockerImageAsset;
    expect(asset).toBeDefined();
    const assembly = Stage.of(arm)!.synth();
    const assets = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${arm.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(assets.dockerImages);
    expect(images.map((i) => i.source)).toEqual([
      { directory: expect.stringMatching(/^asset\.[0-9a-f]{64}$/), dockerFile: 'agent/Dockerfile', platform: 'linux/arm64' },
    ]);
    // The staged context is the image's context only (agent/Dockerfile.dockerignore): no node_modules, tests or docs.
    const staged = path.join(assembly.directory, images[0].source.directory);
    expect(fs.readdirSync(staged).sort()).toEqual(['agent', 'common', 'model', 'package-lock.json', 'package.json', 'tsconfig.json']);
  });

  test('names your own image instead, pinned only when you say its architecture', () => {
    const own = (extra: object) => {
      const s = new VigilStack(testApp(), 'WithImage', {
        vigil: SAMPLE_VIGIL_PROPS,
        agentImage: 'reg.example/vigil-agent:0.1.0',
        ...extra,
      });
      expect(s.agentImage).toBeUndefined();
      expect(s.node.findAll().some((c) => c instanceof DockerImageAsset)).toBe(false);
      return JSON.stringify(Template.fromStack(s).toJSON().Outputs.AgentInstallprod.Value);
    };
    expect(own({})).toContain(' --auth pod-identity --image reg.example/vigil-agent:0.1.0 | kubectl apply -f -');
    expect(own({ agentArchitecture: 'arm64' })).toContain(' --image reg.example/vigil-agent:0.1.0 --arch arm64 | kubectl apply -f -');
  });

  test('the whole stack, asset hashes scrubbed', () => {
    expect(scrubbedTemplate(stack)).toMatchSnapshot();
  });
});
