import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { VigilFunction, type VigilFunctionProps } from './vigil-function';

export interface ScheduledFunctionProps extends Pick<VigilFunctionProps, 'entry' | 'description' | 'environment' | 'logRetention'> {
  /** What runs, for the rule's description, e.g. `collector`. */
  readonly what: string;
  readonly every: Duration;
  /** Where runs that failed, or could not be delivered, go. */
  readonly failures: sqs.IQueue;
  /** @default DEFAULT_MEMORY_MB (512) */
  readonly memorySize?: number;
}

/**
 * A Vigil function (`Function`) and the rule that runs it (`Schedule`), in `scope`: a run ends before the
 * next starts, and a failed run is not retried — the next one reads the same window again — but goes to
 * `failures`, which is alarmed.
 */
export function scheduledFunction(scope: Construct, props: ScheduledFunctionProps): { function: VigilFunction; schedule: events.Rule } {
  const fn = new VigilFunction(scope, 'Function', {
    entry: props.entry,
    description: props.description,
    environment: props.environment,
    memorySize: props.memorySize,
    timeout: scheduledTimeout(props.every),
    logRetention: props.logRetention,
    onFailure: props.failures,
    retryAttempts: 0,
    maxEventAge: Duration.minutes(1),
  });
  return { function: fn, schedule: runEvery(scope, 'Schedule', props.what, fn.function, props.every, props.failures) };
}

/**
 * A run must end before the next one starts: a scheduled function's timeout is its interval less ten
 * seconds, capped at five minutes.
 */
function scheduledTimeout(every: Duration): Duration {
  return Duration.seconds(Math.min(every.toSeconds() - 10, 300));
}

/**
 * Invokes `fn` every `every` (asynchronously). An event EventBridge cannot deliver within two minutes goes
 * to `failures`; the next run comes anyway, so older events are worthless.
 */
function runEvery(scope: Construct, id: string, what: string, fn: lambda.IFunction, every: Duration, failures: sqs.IQueue): events.Rule {
  return new events.Rule(scope, id, {
    description: `Runs the Vigil ${what} every ${every.toHumanString()}`,
    schedule: events.Schedule.rate(every),
    targets: [new targets.LambdaFunction(fn, { deadLetterQueue: failures, maxEventAge: Duration.minutes(2), retryAttempts: 2 })],
  });
}
