import { Aws, CfnRule, Fn, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Regions where Lambda has no function URLs ("Creating and managing Lambda function URLs", AWS Lambda
 * Developer Guide): the agents' ingest endpoint cannot exist there.
 */
export const REGIONS_WITHOUT_FUNCTION_URLS: readonly string[] = [
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
];

export function functionUrlRegionProblem(region: string): string | undefined {
  return REGIONS_WITHOUT_FUNCTION_URLS.includes(region)
    ? `the stack's region ${region} has no Lambda function URLs, which the agents push to: deploy Vigil in a nearby region that has them (the clusters may stay where they are; use IRSA for them)`
    : undefined;
}

/**
 * Refuses the regions without function URLs: at synth when the stack's region is known (a problem of the
 * props), else with a CloudFormation rule, which stops the deployment before it creates anything.
 */
export function refuseRegionsWithoutFunctionUrls(scope: Construct): void {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) return;
  new CfnRule(scope, 'FunctionUrlRegion', {
    assertions: [
      {
        assert: Fn.conditionNot(Fn.conditionContains([...REGIONS_WITHOUT_FUNCTION_URLS], Aws.REGION)),
        assertDescription: `Vigil needs Lambda function URLs, which ${REGIONS_WITHOUT_FUNCTION_URLS.join(', ')} do not have: deploy it in a nearby region that has them (the clusters may stay where they are; use IRSA for them).`,
      },
    ],
  });
}
