import { Aws, CfnMapping, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AgentAuthKind } from './agent-access';
import { Vigil, type VigilProps } from './vigil';

export interface VigilStackProps extends StackProps {
  readonly vigil: VigilProps;
  /**
   * The agent image the install commands name (build it from `agent/Dockerfile` and push it where the
   * clusters can pull it).
   * @default the manifest generator's default, `vigil-agent:<version>`, which must then exist in the cluster's registry
   */
  readonly agentImage?: string;
}

/** The exact command that installs the agent of one cluster (the `vigil` CLI renders the manifests). */
export function agentManifestCommand(a: { cluster: string; ingestUrl: string; roleArn: string; auth: AgentAuthKind; image?: string }): string {
  return `npx vigil agent manifest --cluster ${a.cluster} --ingest-url ${a.ingestUrl} --role-arn ${a.roleArn} --auth ${a.auth}${a.image ? ` --image ${a.image}` : ''} | kubectl apply -f -`;
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

  constructor(scope: Construct, id: string, props: VigilStackProps) {
    super(scope, id, { description: 'Vigil: serverless monitoring for Amazon EKS', ...props });
    this.vigil = new Vigil(this, 'Vigil', props.vigil);
    const v = this.vigil;
    const consoleHost = new CfnMapping(this, 'ConsoleHost', { mapping: CONSOLE_HOSTS }).findInMap(Aws.PARTITION, 'host');
    new CfnOutput(this, 'IngestUrl', { description: 'The agent pushes its batches here (SigV4, AWS_IAM)', value: v.ingest.url.url });
    new CfnOutput(this, 'OverviewDashboard', { description: 'Clusters at a glance', value: dashboardUrl(consoleHost, v.dashboards.overview) });
    new CfnOutput(this, 'HostsAndNodesDashboard', { description: 'EC2 hosts and Kubernetes nodes on one timeline', value: dashboardUrl(consoleHost, v.dashboards.hostsAndNodes) });
    new CfnOutput(this, 'AlertsTopicArn', { description: 'Alerts from the evaluator (attributes: severities, severity, cluster, rule)', value: v.notifications.alerts.topicArn });
    new CfnOutput(this, 'HealthTopicArn', { description: "Vigil's own alarms", value: v.notifications.health.topicArn });
    new CfnOutput(this, 'TableName', { description: 'The DynamoDB table (kept when the stack is deleted)', value: v.store.table.tableName });
    const ids = new Set<string>();
    for (const { cluster, auth, access } of v.agents) {
      let id = cluster.name.replace(/[^A-Za-z0-9]/g, '');
      while (ids.has(id)) id += 'X';
      ids.add(id);
      const where = cluster.region ? ` (${cluster.region})` : '';
      new CfnOutput(this, `AgentRoleArn${id}`, { description: `IAM role of the Vigil agent of cluster ${cluster.name}${where}`, value: access.role.roleArn });
      new CfnOutput(this, `AgentInstall${id}`, {
        description: `Installs the Vigil agent: run it from this project with kubectl pointing at cluster ${cluster.name}${where}`,
        value: agentManifestCommand({ cluster: cluster.name, ingestUrl: v.ingest.url.url, roleArn: access.role.roleArn, auth: auth.kind, ...(props.agentImage ? { image: props.agentImage } : {}) }),
      });
    }
  }
}
