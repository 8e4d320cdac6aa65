/**
 * Structured logs: one JSON object per line, the shape CloudWatch Logs Insights queries well. The sink is
 * injectable so tests can read what was logged and local mode can stay quiet. Inside a Lambda invocation
 * wrapped by `withInvocationContext`, every line also names the request, the function and the cold start.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { ConfigError } from './config';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Lambda's application log levels (advanced logging controls), mapped onto ours: Lambda drops lines below
 * the level it is set to, so logging them would be wasted work.
 */
const LAMBDA_LEVELS: Readonly<Record<string, LogLevel>> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'error',
};

export type LogSink = (line: string) => void;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly service: string;
  /** Overridden by `AWS_LAMBDA_LOG_LEVEL`, which Lambda enforces anyway. @default `LOG_LEVEL`, else `info` */
  readonly level?: LogLevel;
  /** @default a line to stdout */
  readonly sink?: LogSink;
  readonly now?: () => number;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The level to log at: `AWS_LAMBDA_LOG_LEVEL` (set by Lambda when the function's application log level is
 * configured; it always wins, as Powertools also decides), then the code's own choice, then `LOG_LEVEL`,
 * then `info`. A value that is not a level is a configuration error, not a silent `info`.
 */
export function resolveLogLevel(env: Readonly<Record<string, string | undefined>>, explicit?: LogLevel): LogLevel {
  const lambda = env.AWS_LAMBDA_LOG_LEVEL;
  if (lambda) {
    const level = LAMBDA_LEVELS[lambda.toUpperCase()];
    if (!level) throw new ConfigError([`AWS_LAMBDA_LOG_LEVEL must be one of ${Object.keys(LAMBDA_LEVELS).join(', ')}, got "${lambda}"`]);
    return level;
  }
  if (explicit) return explicit;
  const own = env.LOG_LEVEL;
  if (!own) return 'info';
  if (!Object.hasOwn(ORDER, own.toLowerCase()))
    throw new ConfigError([`LOG_LEVEL must be one of ${Object.keys(ORDER).join(', ')}, got "${own}"`]);
  return own.toLowerCase() as LogLevel;
}

export function createLogger(opts: LoggerOptions, base: Record<string, unknown> = {}): Logger {
  const level = resolveLogLevel(opts.env ?? process.env, opts.level);
  const sink = opts.sink ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = opts.now ?? Date.now;
  const emit = (l: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return;
    const line = {
      level: l,
      time: new Date(now()).toISOString(),
      service: opts.service,
      message,
      ...invocation.getStore(),
      ...base,
      ...fields,
    };
    sink(JSON.stringify(line, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, level }, { ...base, ...fields }),
  };
}

/** How deep a `cause` chain is followed; SDK errors wrap a few levels at most, a cycle would never end. */
const MAX_CAUSES = 5;

/** An error as a log field: name, message, stack and its `cause` chain, what an operator needs to find where it failed. */
export function errorFields(e: Error, depth = 0): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: e.name, message: e.message, stack: e.stack };
  // The AWS request id and status let AWS support find the call; the rest of `$metadata` is retry bookkeeping.
  const meta = (e as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  if (meta) fields.aws = { httpStatusCode: meta.httpStatusCode, requestId: meta.requestId };
  if (e.cause !== undefined) {
    fields.cause = !(e.cause instanceof Error)
      ? e.cause
      : depth + 1 < MAX_CAUSES
        ? errorFields(e.cause, depth + 1)
        : { name: e.cause.name, message: e.cause.message };
  }
  return fields;
}

/** Errors anywhere in a line's fields log with `errorFields`: their own properties would stringify as `{}`. */
function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? errorFields(value) : value;
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ service: 'silent', sink: () => undefined, level: 'error', env: {} });

/** The fields every log line of an invocation carries. */
interface InvocationFields {
  readonly requestId: string;
  readonly functionName: string;
  readonly coldStart: boolean;
}

const invocation = new AsyncLocalStorage<InvocationFields>();

/**
 * Wraps a Lambda handler so that every line logged while it runs — by any logger, in any module — names
 * the invocation's request id, the function and whether this is the instance's first invocation (a cold
 * start). Provisioned concurrency initialises instances ahead of their first request, so none of those is
 * a cold start.
 */
export function withInvocationContext<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): (event: E, context: Context) => Promise<R> {
  let first = env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';
  return (event, context) => {
    const coldStart = first;
    first = false;
    return invocation.run({ requestId: context.awsRequestId, functionName: context.functionName, coldStart }, () =>
      handler(event, context),
    );
  };
}
