import { Aws, CfnMapping, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { installCommand, type AgentArchitecture } from '../agent/deploy/manifests';
import { AgentImage } from './agent-image';
import { Vigil, type VigilProps } from './vigil';

export interface VigilStackProps extends StackProps {
  readonly vigil: VigilProps;
  /**
   * Your own agent image, which the install commands then name instead of the one the stack builds.
   * @default the stack builds agent/Dockerfile as a Docker image asset at deploy (`AgentImage`)
   */
  readonly agentImage?: string;
  /**
   * The node architecture of the image the stack builds; the agent is pinned to such nodes. With `agentImage`,
   * the architecture of that image, if it is not multi-arch.
   * @default DEFAULT_AGENT_ARCHITECTURE for the built image; no pin for your own
   */
  readonly agentArchitecture?: AgentArchitecture;
}

/** The console's host per partition: it is not derived from the API domain (`Aws.URL_SUFFIX` is amazonaws.com). */
const CONSOLE_HOSTS = {
  aws: { host: 'console.aws.amazon.com' },
  'aws-cn': { host: 'console.amazonaws.cn' },
  'aws-us-gov': { host: 'console.amazonaws-us-gov.com' },
};

function dashboardUrl(consoleHost: string, d: cw.Dashboard): string {
  return `https://${consoleHost}/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${d.dashboardName}`;
}

/** The deployable stack: the `Vigil` construct and what a person needs after `cdk deploy`, as outputs. */
export class VigilStack extends Stack {
  readonly vigil: Vigil;
  /** The image the stack builds, unless `agentImage` names one. */
  readonly agentImage?: AgentImage;

  constructor(scope: Construct, id: string, props: VigilStackProps) {
    super(scope, id, { description: 'Vigil: serverless monitoring for Amazon EKS', ...props });
    this.vigil = new Vigil(this, 'Vigil', props.vigil);
    const v = this.vigil;
    const image = props.agentImage
      ? { imageUri: props.agentImage, architecture: props.agentArchitecture }
      : (this.agentImage = new AgentImage(this, 'AgentImage', { architecture: props.agentArchitecture }));
    const consoleHost = new CfnMapping(this, 'ConsoleHost', { mapping: CONSOLE_HOSTS }).findInMap(Aws.PARTITION, 'host');
    new CfnOutput(this, 'IngestUrl', { description: 'The agent pushes its batches here (SigV4, AWS_IAM)', value: v.ingest.url.url });
    new CfnOutput(this, 'OverviewDashboard', {
      description: 'Clusters at a glance',
      value: dashboardUrl(consoleHost, v.dashboards.overview),
    });
    new CfnOutput(this, 'HostsAndNodesDashboard', {
      description: 'EC2 hosts and Kubernetes nodes on one timeline',
      value: dashboardUrl(consoleHost, v.dashboards.hostsAndNodes),
    });
    new CfnOutput(this, 'AlertsTopicArn', {
      description: 'Alerts from the evaluator (attributes: severities, severity, cluster, rule)',
      value: v.notifications.alerts.topicArn,
    });
    new CfnOutput(this, 'HealthTopicArn', { description: "Vigil's own alarms", value: v.notifications.health.topicArn });
    new CfnOutput(this, 'TableName', {
      description: 'The DynamoDB table (kept when the stack is deleted)',
      value: v.store.table.tableName,
    });
    const ids = new Set<string>();
    for (const { cluster, auth, access } of v.agents) {
      let id = cluster.name.replace(/[^A-Za-z0-9]/g, '');
      while (ids.has(id)) id += 'X';
      ids.add(id);
      const where = cluster.region ? ` (${cluster.region})` : '';
      new CfnOutput(this, `AgentRoleArn${id}`, {
        description: `IAM role of the Vigil agent of cluster ${cluster.name}${where}`,
        value: access.role.roleArn,
      });
      new CfnOutput(this, `AgentInstall${id}`, {
        description: `Installs the Vigil agent: run it from this project with kubectl pointing at cluster ${cluster.name}${where}`,
        value: installCommand({
          cluster: cluster.name,
          ingestUrl: v.ingest.url.url,
          roleArn: access.role.roleArn,
          auth: auth.kind,
          image: image.imageUri,
          ...(image.architecture ? { architecture: image.architecture } : {}),
        }),
      });
    }
  }
}
