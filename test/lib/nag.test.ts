import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambdas/env';
import { VigilStack } from '../../lib/vigil-stack';
import { SAMPLE_VIGIL_PROPS, testApp } from '../support/cdk';

/** Synthesizes with cdk-nag's AwsSolutions pack: any unacknowledged finding (warnings too) fails synth. */
function nag(extra?: (stack: VigilStack) => void, vigil = SAMPLE_VIGIL_PROPS): VigilStack {
  const app = testApp();
  const stack = new VigilStack(app, 'Nag', { vigil });
  extra?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return stack;
}

describe('cdk-nag AwsSolutions', () => {
  test('the whole stack passes; every acknowledgement carries its reason', () => {
    const stack = nag();
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length).toBeGreaterThan(40);
    }
  });

  test('with the generic webhook, PagerDuty and Teams receivers too, the stack passes', () => {
    // nag() synthesizes, and any unacknowledged finding fails the synth: what is left is to check the receivers were there to be checked.
    const stack = nag(undefined, {
      ...SAMPLE_VIGIL_PROPS,
      webhook: { secretName: 'team/alertmanager-webhook' },
      pagerDuty: { secretName: 'team/pagerduty' },
      teams: { secretName: 'team/teams-workflow' },
    });
    const template = Template.fromStack(stack);
    for (const [variable, secretName] of [
      [ENV.webhookSecretName, 'team/alertmanager-webhook'],
      [ENV.pagerDutySecretName, 'team/pagerduty'],
      [ENV.teamsSecretName, 'team/teams-workflow'],
    ]) {
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ [variable]: secretName }) } });
    }
  });

  test('acknowledgements are per finding: a new wildcard resource on the collector is still reported', () => {
    expect(() =>
      nag((stack) =>
        stack.vigil.collector.function.role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }),
        ),
      ),
    ).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/\*\]/);
  });
});
