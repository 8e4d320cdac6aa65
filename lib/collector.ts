import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HostMetricsSettings } from '../lambdas/collector/config';
import { ENV } from '../lambdas/env';
import type { ClusterConfig } from '../model/domain';
import { collectorPolicyStatements } from './collector-policy';
import { acknowledgeWildcardResources } from './nag';
import { scheduledFunction } from './schedule';
import type { StoreTable } from './store-table';
import type { VigilFunction } from './vigil-function';

export interface CollectorProps {
  readonly clusters: readonly ClusterConfig[];
  readonly store: StoreTable;
  readonly retentionDays: number;
  /** Which CloudWatch host metrics to read, how often and over which window. */
  readonly hostMetrics: HostMetricsSettings;
  readonly every: Duration;
  readonly failures: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  /** @default DEFAULT_MEMORY_MB (512) */
  readonly memorySize?: number;
}

/** The scheduled collector: EKS, EC2, Auto Scaling and CloudWatch host metrics into the table, read-only on AWS. */
export class Collector extends Construct {
  readonly function: VigilFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    ({ function: this.function, schedule: this.schedule } = scheduledFunction(this, {
      what: 'collector',
      entry: 'lambdas/collector/handler.ts',
      description: 'Vigil collector: EKS, EC2, Auto Scaling and CloudWatch host metrics',
      environment: {
        [ENV.tableName]: props.store.table.tableName,
        [ENV.retentionDays]: String(props.retentionDays),
        [ENV.clusters]: JSON.stringify(props.clusters),
        [ENV.hostMetricsPeriodMinutes]: String(props.hostMetrics.periodMinutes),
        [ENV.hostMetricsEveryMinutes]: String(props.hostMetrics.everyMinutes),
        [ENV.hostMetricsWindowMinutes]: String(props.hostMetrics.windowMinutes),
        [ENV.hostMetrics]: JSON.stringify(props.hostMetrics.groups),
      },
      every: props.every,
      failures: props.failures,
      logRetention: props.logRetention,
      memorySize: props.memorySize,
    }));
    props.store.grantReadWrite(this.function.role);
    const statements = collectorPolicyStatements(this, props.clusters);
    for (const s of statements) this.function.role.addToPrincipalPolicy(s);
    acknowledgeWildcardResources(
      this.function.role,
      statements.flatMap((s) => s.resources),
      'Read-only calls only. EC2, Auto Scaling and CloudWatch Describe*/GetMetricData have no resource-level permissions (Resource "*"); ' +
        'eks:DescribeNodegroup is scoped to the node groups of the watched clusters (nodegroup/<cluster>/*), whose names and ids are not known at deploy time.',
    );
  }
}
