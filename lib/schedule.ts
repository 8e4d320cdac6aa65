import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A run must end before the next one starts: a scheduled function's timeout is its interval less ten
 * seconds, capped at five minutes.
 */
export function scheduledTimeout(every: Duration): Duration {
  return Duration.seconds(Math.min(every.toSeconds() - 10, 300));
}

/**
 * Invokes `fn` every `every` (asynchronously). An event EventBridge cannot deliver within two minutes goes
 * to `failures`; the next run comes anyway, so older events are worthless.
 */
export function runEvery(scope: Construct, id: string, what: string, fn: lambda.IFunction, every: Duration, failures: sqs.IQueue): events.Rule {
  return new events.Rule(scope, id, {
    description: `Runs the Vigil ${what} every ${every.toHumanString()}`,
    schedule: events.Schedule.rate(every),
    targets: [new targets.LambdaFunction(fn, { deadLetterQueue: failures, maxEventAge: Duration.minutes(2), retryAttempts: 2 })],
  });
}
