import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/env';
import type { RuleOverrides } from '../lambdas/evaluator/config';
import type { ClusterConfig } from '../model/domain';
import type { Routing } from '../model/route';
import type { MaintenanceWindow } from '../model/silence';
import type { Notifications } from './notifications';
import { scheduledFunction } from './schedule';
import type { StoreTable } from './store-table';
import type { VigilFunction } from './vigil-function';

export interface EvaluatorProps {
  readonly clusters: readonly ClusterConfig[];
  readonly store: StoreTable;
  /** The collector's CloudWatch period: the host rules judge data points of this period. */
  readonly hostMetricsPeriodMinutes: 1 | 5;
  /** Rule overrides, passed as JSON in `VIGIL_RULES`. */
  readonly rules: RuleOverrides;
  /** Recurring maintenance windows, passed as JSON in `VIGIL_MAINTENANCE_WINDOWS`. @default none */
  readonly maintenanceWindows?: readonly MaintenanceWindow[];
  /** Runbook pages: this URL followed by the rule id, passed as `VIGIL_RUNBOOK_BASE_URL`. @default none */
  readonly runbookBaseUrl?: string;
  /** Routes, passed as JSON in `VIGIL_ROUTES`. @default none: one message per evaluation for every receiver */
  readonly routes?: Routing;
  /** Route label keys, passed as JSON in `VIGIL_ROUTE_LABELS`. @default the evaluator's default, `["team"]` */
  readonly routeLabels?: readonly string[];
  /** Where alerts are published (with the attributes of `model/notification.ts`). */
  readonly notifications: Notifications;
  readonly every: Duration;
  readonly failures: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  /** @default EVALUATOR_MEMORY_MB (1024) */
  readonly memorySize?: number;
}

/**
 * The evaluator holds a cluster's latest window and its memory at once: 200–230 MB of heap at 500 nodes
 * (`npm run bench`), too close to 512 MB for clusters that grow. Its work is CPU-bound, which Lambda bills
 * the same at any size below 1,769 MB, so the larger default costs only its waits on DynamoDB (cents a
 * month) and halves its wall time.
 */
export const EVALUATOR_MEMORY_MB = 1024;

/** The scheduled evaluator: rules over the latest window, alert state, one message per cluster, EMF aggregates. */
export class Evaluator extends Construct {
  readonly function: VigilFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: EvaluatorProps) {
    super(scope, id);
    ({ function: this.function, schedule: this.schedule } = scheduledFunction(this, {
      what: 'evaluator',
      entry: 'lambdas/evaluator/handler.ts',
      description: 'Vigil evaluator: rules, alert state, notifications and EMF aggregates',
      environment: {
        [ENV.tableName]: props.store.table.tableName,
        [ENV.clusters]: JSON.stringify(props.clusters),
        [ENV.topicArn]: props.notifications.alerts.topicArn,
        [ENV.rules]: JSON.stringify(props.rules),
        ...(props.maintenanceWindows?.length ? { [ENV.maintenanceWindows]: JSON.stringify(props.maintenanceWindows) } : {}),
        ...(props.runbookBaseUrl ? { [ENV.runbookBaseUrl]: props.runbookBaseUrl } : {}),
        ...(props.routes ? { [ENV.routes]: JSON.stringify(props.routes) } : {}),
        ...(props.routeLabels ? { [ENV.routeLabels]: JSON.stringify(props.routeLabels) } : {}),
        [ENV.hostMetricsPeriodMinutes]: String(props.hostMetricsPeriodMinutes),
      },
      every: props.every,
      failures: props.failures,
      logRetention: props.logRetention,
      memorySize: props.memorySize ?? EVALUATOR_MEMORY_MB,
    }));
    props.store.grantReadWrite(this.function.role);
    props.notifications.grantPublishAlerts(this.function.role);
  }
}
