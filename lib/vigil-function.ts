import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The project root: handler entries are given relative to it, and its package-lock.json pins the bundle. */
export const PROJECT_ROOT = path.join(__dirname, '..');

/** The newest Node.js runtime aws-cdk-lib offers; the bundle targets the same version. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** Memory of a Vigil function unless it or `vigil:memoryMb` says otherwise; the bench's cost figures use it too. */
export const DEFAULT_MEMORY_MB = 512;
const ESBUILD_TARGET = 'node24';

export interface VigilFunctionProps {
  /** The handler's file relative to the project root (it exports `handler`), e.g. `lambdas/ingest/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  /** Variable names come from `lambdas/env.ts`. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default DEFAULT_MEMORY_MB (512) */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Where asynchronous invocations (schedules, SNS) go once their retries are spent. @default none: only synchronous callers */
  readonly onFailure?: sqs.IQueue;
  /** Retries of a failed asynchronous invocation. @default 2, Lambda's default */
  readonly retryAttempts?: number;
  /** How long an asynchronous event may wait to run. @default 6 hours, Lambda's default */
  readonly maxEventAge?: Duration;
}

/**
 * One Vigil Lambda with the project's defaults: arm64, the newest Node.js runtime, bundled and minified by
 * the locally installed esbuild with source maps, its own log group with a retention, and its own role
 * that may write only to that log group (no managed policy). Callers grant the rest.
 */
export class VigilFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: VigilFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs are operational and go with the stack; the table is what Vigil keeps.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (Vigil)`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      // Stack traces point at the TypeScript sources through the bundle's source map.
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      onFailure: props.onFailure && new SqsDestination(props.onFailure),
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: ESBUILD_TARGET,
        format: OutputFormat.CJS,
      },
    });
  }
}
