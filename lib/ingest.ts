import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/env';
import type { AgentWriter } from '../lambdas/ingest/writers';
import type { StoreTable } from './store-table';
import { VigilFunction } from './vigil-function';

export interface IngestProps {
  readonly store: StoreTable;
  readonly retentionDays: number;
  /** Route label keys, passed as JSON in `VIGIL_ROUTE_LABELS`. @default ingest's default, `["team"]` */
  readonly routeLabels?: readonly string[];
  readonly logRetention: logs.RetentionDays;
  /** @default DEFAULT_MEMORY_MB (512) */
  readonly memorySize?: number;
}

/**
 * The agent's endpoint: a Lambda Function URL with `AWS_IAM` auth (SigV4, see `model/wire.ts`). Nobody can
 * call it without an identity allowed `lambda:InvokeFunctionUrl` on it; `AgentAccess` grants exactly that,
 * and `acceptAgent` tells the function which cluster that role may write.
 */
export class Ingest extends Construct {
  readonly function: VigilFunction;
  readonly url: lambda.FunctionUrl;
  private readonly writers: { roleArn: string; cluster: string }[] = [];

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    this.function = new VigilFunction(this, 'Function', {
      entry: 'lambdas/ingest/handler.ts',
      description: 'Vigil ingest: validates agent batches and stores node-minutes',
      environment: {
        [ENV.tableName]: props.store.table.tableName,
        [ENV.retentionDays]: String(props.retentionDays),
        ...(props.routeLabels ? { [ENV.routeLabels]: JSON.stringify(props.routeLabels) } : {}),
        // Resolved at synth, once every agent role is known.
        [ENV.agentRoles]: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.writers satisfies AgentWriter[]) }),
      },
      memorySize: props.memorySize,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
    });
    props.store.grantReadWrite(this.function.role);
    this.url = this.function.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  }

  /** Lets `role` push batches for `cluster`, and for no other cluster. */
  acceptAgent(cluster: string, role: iam.IRole): void {
    this.writers.push({ roleArn: role.roleArn, cluster });
  }
}
