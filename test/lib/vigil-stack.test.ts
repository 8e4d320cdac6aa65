import { Template } from 'aws-cdk-lib/assertions';
import { agentManifestCommand, VigilStack } from '../../lib/vigil-stack';
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
      expect(resolve(outputs[d].Value, 'aws', 'eu-west-1')).toMatch(/^https:\/\/console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#dashboards\/dashboard\/<VigilDashboards\w+>$/);
      expect(resolve(outputs[d].Value, 'aws-cn', 'cn-north-1')).toMatch(/^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#/);
    }
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['AlertsTopicArn', 'HealthTopicArn', 'TableName']));
  });

  test("per cluster: the agent role ARN and the exact command that installs the agent", () => {
    expect(outputs.AgentRoleArnprod.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^VigilAgentprodRole/), 'Arn'] });
    expect(outputs.AgentInstallprod.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'npx vigil agent manifest --cluster prod --ingest-url ',
          { 'Fn::GetAtt': [expect.stringMatching(/^VigilIngestFunctionFunctionUrl/), 'FunctionUrl'] },
          ' --role-arn ',
          { 'Fn::GetAtt': [expect.stringMatching(/^VigilAgentprodRole/), 'Arn'] },
          ' --auth pod-identity | kubectl apply -f -',
        ],
      ],
    });
    expect(JSON.stringify(outputs.AgentInstallstaging.Value)).toContain(' --auth irsa | kubectl apply -f -');
    expect(outputs.AgentInstallstaging.Description).toContain('cluster staging (us-west-2)');
  });

  test('agentManifestCommand, with and without the image to install', () => {
    expect(agentManifestCommand({ cluster: 'prod', ingestUrl: 'https://x.lambda-url.eu-west-1.on.aws/', roleArn: 'arn:aws:iam::1:role/r', auth: 'irsa' })).toBe(
      'npx vigil agent manifest --cluster prod --ingest-url https://x.lambda-url.eu-west-1.on.aws/ --role-arn arn:aws:iam::1:role/r --auth irsa | kubectl apply -f -',
    );
    expect(agentManifestCommand({ cluster: 'prod', ingestUrl: 'https://x/', roleArn: 'arn:r', auth: 'pod-identity', image: 'reg/vigil-agent:0.1.0' })).toBe(
      'npx vigil agent manifest --cluster prod --ingest-url https://x/ --role-arn arn:r --auth pod-identity --image reg/vigil-agent:0.1.0 | kubectl apply -f -',
    );
  });

  test('the install command names the agent image when one is configured', () => {
    const withImage = new VigilStack(testApp(), 'WithImage', { vigil: SAMPLE_VIGIL_PROPS, agentImage: 'reg.example/vigil-agent:0.1.0' });
    const out = Template.fromStack(withImage).toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(out.AgentInstallprod.Value)).toContain(' --auth pod-identity --image reg.example/vigil-agent:0.1.0 | kubectl apply -f -');
  });

  test('the whole stack, asset hashes scrubbed', () => {
    expect(scrubbedTemplate(stack)).toMatchSnapshot();
  });
});
