import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A resolved CloudFormation value as cdk-nag names it in a finding: `Ref`s become `<AWS::Region>` and the like. */
function nagName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (v['Fn::Join']) return v['Fn::Join'][1].map(nagName).join(v['Fn::Join'][0]);
    if (v.Ref) return `<${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges cdk-nag's IAM5 finding for exactly these wildcard resources on `scope`, each with the reason:
 * a wildcard resource added later is still reported.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const r of new Set(resources.filter((x) => x.includes('*')))) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagName(stack.resolve(r))}]`, reason });
  }
}
