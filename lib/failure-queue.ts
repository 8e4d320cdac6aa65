import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Where Vigil's asynchronous invocations go when they fail for good (a scheduled run or an SNS delivery to
 * the Slack function), and where EventBridge puts events it could not deliver: a record to inspect, never a
 * silent loss. Self-monitoring alarms as soon as anything lands here.
 */
export class FailureQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the Vigil functions and schedules; an alarm watches its depth.',
    });
  }
}
