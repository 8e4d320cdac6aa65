import { Aws, CfnRule, Fn, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ClusterConfig } from '../model/domain';

/** The agent's Kubernetes identity; the manifests of `vigil agent manifest` create exactly this. */
export const AGENT_SERVICE_ACCOUNT = { namespace: 'vigil', name: 'vigil-agent' } as const;

/**
 * How the agent's pod gets AWS credentials. EKS Pod Identity needs the `eks-pod-identity-agent` add-on and
 * the cluster in the stack's region (the stack creates the association); IRSA needs the cluster's IAM OIDC
 * provider and works across regions.
 */
export type AgentAuth =
  | { readonly kind: 'pod-identity' }
  | {
      readonly kind: 'irsa';
      /**
       * The cluster's IAM OIDC provider: its ARN (`arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>`)
       * or the cluster's issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/<id>`, a provider in this account).
       */
      readonly oidcProvider: string;
    };

export type AgentAuthKind = AgentAuth['kind'];

/** The issuer (host and path, the prefix of the token's condition keys) and the provider's ARN. */
export function oidcProviderOf(oidcProvider: string): { readonly issuer: string; readonly arn: string } {
  const arn = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(oidcProvider);
  if (arn) return { issuer: arn[1], arn: oidcProvider };
  const url = /^https:\/\/([^\s/]+(?:\/[^\s]*)?)$/.exec(oidcProvider);
  if (url) {
    const issuer = url[1].replace(/\/+$/, '');
    return { issuer, arn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${issuer}` };
  }
  throw new Error(
    `"${oidcProvider}" is neither an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>) nor an issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<id>)`,
  );
}

export interface AgentAccessProps {
  readonly cluster: ClusterConfig;
  readonly auth: AgentAuth;
  /** The ingest function; the role may call its Function URL and nothing else. */
  readonly ingest: lambda.IFunction;
}

/**
 * The agent's IAM role for one cluster: trusted only by that cluster's `vigil/vigil-agent` service account
 * (through Pod Identity or IRSA) and allowed only to call the ingest Function URL.
 */
export class AgentAccess extends Construct {
  readonly role: iam.Role;
  /** Present with Pod Identity. */
  readonly association?: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: AgentAccessProps) {
    super(scope, id);
    const { cluster, auth } = props;
    const sa = AGENT_SERVICE_ACCOUNT;
    const description = `Vigil agent of EKS cluster ${cluster.name}: may only push batches to the ingest Function URL`;
    if (auth.kind === 'irsa') {
      const provider = oidcProviderOf(auth.oidcProvider);
      this.role = new iam.Role(this, 'Role', {
        description,
        assumedBy: new iam.FederatedPrincipal(
          provider.arn,
          {
            StringEquals: {
              [`${provider.issuer}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`,
              [`${provider.issuer}:aud`]: 'sts.amazonaws.com',
            },
          },
          'sts:AssumeRoleWithWebIdentity',
        ),
      });
    } else {
      const stack = Stack.of(this);
      const clusterArn = stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: cluster.name });
      // Pod Identity tags the session with the cluster and service account: only ours may assume the role.
      this.role = new iam.Role(this, 'Role', {
        description,
        assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com')
          .withConditions({
            StringEquals: {
              'aws:RequestTag/eks-cluster-arn': clusterArn,
              'aws:RequestTag/kubernetes-namespace': sa.namespace,
              'aws:RequestTag/kubernetes-service-account': sa.name,
            },
          })
          .withSessionTags(),
      });
      this.association = new eks.CfnPodIdentityAssociation(this, 'PodIdentity', {
        clusterName: cluster.name,
        namespace: sa.namespace,
        serviceAccount: sa.name,
        roleArn: this.role.roleArn,
      });
      if (cluster.region !== undefined && Token.isUnresolved(stack.region)) {
        // The association is created in the stack's region; stop the deployment before it fails half-way.
        new CfnRule(this, 'SameRegion', {
          assertions: [
            {
              assert: Fn.conditionEquals(Aws.REGION, cluster.region),
              assertDescription: `Pod Identity for EKS cluster ${cluster.name} needs this stack in ${cluster.region}: deploy it there, or use IRSA for this cluster`,
            },
          ],
        });
      }
    }
    props.ingest.grantInvokeUrl(this.role);
  }
}
