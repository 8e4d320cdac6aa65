import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { COLLECTOR_STATEMENTS, type CollectorStatement } from '../lambdas/collector/iam-policy';
import type { ClusterConfig } from '../model/domain';

/**
 * Turns the collector's permissions (data in `lambdas/collector/iam-policy.ts`) into IAM statements: `cluster`
 * scopes become the watched clusters' ARNs, `nodegroup` their node groups' ARNs, `*` stays `*` (those APIs
 * have no resource-level permissions). Actions are always named; no statement has a wildcard action.
 */
export function collectorPolicyStatements(
  scope: IConstruct,
  clusters: readonly ClusterConfig[],
  statements: readonly CollectorStatement[] = COLLECTOR_STATEMENTS,
): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const eksArn = (c: ClusterConfig, resource: string, resourceName: string) =>
    stack.formatArn({ service: 'eks', region: c.region ?? stack.region, resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const resourcesOf = (s: CollectorStatement): string[] => {
    switch (s.scope) {
      case 'cluster':
        return clusters.map((c) => eksArn(c, 'cluster', c.name));
      case 'nodegroup':
        // arn:…:nodegroup/<cluster>/<node group>/<uuid>: any node group of a watched cluster.
        return clusters.map((c) => eksArn(c, 'nodegroup', `${c.name}/*`));
      case '*':
        return ['*'];
    }
  };
  return statements.map((s) => {
    const wildcard = s.actions.find((a) => a.includes('*'));
    if (wildcard) throw new Error(`collector statement action "${wildcard}" has a wildcard: name every action`);
    return new iam.PolicyStatement({ actions: [...s.actions], resources: resourcesOf(s) });
  });
}
