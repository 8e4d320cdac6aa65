import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AWS_EVENT_TYPES } from '../lambdas/aws-events/parse';
import { ENV } from '../lambdas/env';
import type { ClusterConfig } from '../model/domain';
import type { StoreTable } from './store-table';
import { VigilFunction } from './vigil-function';

export interface AwsEventsProps {
  readonly clusters: readonly ClusterConfig[];
  readonly store: StoreTable;
  readonly retentionDays: number;
  /** How often the collector runs: the function routes events by the collector's newest cloud rollup. */
  readonly collectorEvery: Duration;
  readonly failures: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The EventBridge patterns, as data (sources and detail types from `AWS_EVENT_TYPES`, the handler's own list):
 * EC2 Spot warnings, rebalance recommendations and state changes; Auto Scaling launches and terminations,
 * successful or not; AWS Health scheduled changes to EC2 (retirement, maintenance reboots, …).
 */
export const AWS_EVENT_PATTERNS: Readonly<Record<'Ec2' | 'AutoScaling' | 'Health', events.EventPattern>> = {
  Ec2: { source: ['aws.ec2'], detailType: [...AWS_EVENT_TYPES['aws.ec2']] },
  AutoScaling: { source: ['aws.autoscaling'], detailType: [...AWS_EVENT_TYPES['aws.autoscaling']] },
  Health: {
    source: ['aws.health'],
    detailType: [...AWS_EVENT_TYPES['aws.health']],
    detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
  },
};

/**
 * Clusters whose AWS events cannot reach the stack: EventBridge rules are regional, and these rules are on
 * the stack region's default bus. Such a cluster still gets everything the collector reads (a minute later,
 * no Spot warning ahead); forwarding its region's events would need rules deployed in that region.
 */
export function regionsWithoutAwsEvents(clusters: readonly ClusterConfig[], stackRegion: string | undefined): string[] {
  return clusters.flatMap((c) => {
    if (c.region === undefined || c.region === stackRegion) return [];
    const where = stackRegion
      ? `the stack's region (${stackRegion})`
      : "the stack's region (not known at synth: set the stack's env to check)";
    return [
      `cluster ${c.name} is in ${c.region}: EventBridge rules are regional, so its AWS events (Spot warnings, instance state changes, Auto Scaling launches and terminations, AWS Health scheduled changes) reach Vigil only if ${c.region} is ${where}; otherwise Vigil sees the same changes from the collector's reads, a minute or more later and without the two-minute Spot warning`,
    ];
  });
}

/**
 * AWS events as they happen: EventBridge rules on the account's default bus and the function that files each
 * event on its cluster's timeline. It may only read and write the table (BatchGetItem, BatchWriteItem): it
 * finds the cluster from what the collector stored, so it calls no other AWS API. An event EventBridge cannot
 * deliver, or whose invocation fails after Lambda's retries, lands in the failure queue.
 */
export class AwsEvents extends Construct {
  readonly function: VigilFunction;
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: AwsEventsProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    for (const warning of regionsWithoutAwsEvents(props.clusters, Token.isUnresolved(region) ? undefined : region))
      Annotations.of(this).addWarningV2('vigil:aws-events-region', warning);
    this.function = new VigilFunction(this, 'Function', {
      entry: 'lambdas/aws-events/handler.ts',
      description: 'Vigil AWS events: Spot warnings, instance state, Auto Scaling, AWS Health onto the timeline',
      environment: {
        [ENV.tableName]: props.store.table.tableName,
        [ENV.retentionDays]: String(props.retentionDays),
        [ENV.clusters]: JSON.stringify(props.clusters),
        [ENV.collectorEveryMinutes]: String(props.collectorEvery.toMinutes()),
      },
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      onFailure: props.failures,
      retryAttempts: 2,
      // A Spot warning is worth something for two minutes; a Health notice for days. An hour covers both well.
      maxEventAge: Duration.hours(1),
    });
    props.store.grantActions(this.function.role, ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']);
    this.rules = Object.entries(AWS_EVENT_PATTERNS).map(
      ([name, eventPattern]) =>
        new events.Rule(this, name, {
          description: `Vigil: ${name} events to the cluster timeline`,
          eventPattern,
          targets: [
            new targets.LambdaFunction(this.function.function, {
              deadLetterQueue: props.failures,
              maxEventAge: Duration.hours(1),
              retryAttempts: 8,
            }),
          ],
        }),
    );
  }
}
