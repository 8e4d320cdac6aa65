/**
 * The structured logger: what an operator reading CloudWatch Logs gets from an error, which level wins
 * (Lambda's advanced logging controls over `LOG_LEVEL`), and the invocation fields on every line.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { ConfigError } from '../../common/config';
import { createLogger, resolveLogLevel, withInvocationContext, type LoggerOptions } from '../../common/log';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function capture(opts: Partial<LoggerOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ service: 'test', sink: (l) => lines.push(JSON.parse(l)), now: () => NOW, env: {}, ...opts });
  return { logger, lines };
}

/** A Lambda context as the Node.js runtime passes it (only the fields the wrapper reads matter). */
const lambdaContext = (awsRequestId: string): Context => ({
  awsRequestId,
  functionName: 'vigil-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:vigil-ingest',
  memoryLimitInMB: '512',
  logGroupName: '/aws/lambda/vigil-ingest',
  logStreamName: '2026/11/23/[$LATEST]0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

describe('errors in log lines', () => {
  it('keep the stack and the whole cause chain', () => {
    const { logger, lines } = capture();
    const root = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    const wrapped = new Error('query of prod#R#2026-11-23 failed', { cause: new Error('attempts exhausted', { cause: root }) });

    logger.error('cluster evaluation failed', { cluster: 'prod', error: wrapped });

    const error = lines[0].error as Record<string, any>;
    expect(error).toMatchObject({ name: 'Error', message: 'query of prod#R#2026-11-23 failed' });
    expect(error.stack).toContain('log.test.ts');
    expect(error.cause).toMatchObject({ message: 'attempts exhausted', cause: { message: 'connect ECONNREFUSED 127.0.0.1:8000' } });
    expect(error.cause.cause.stack).toContain('log.test.ts');
  });

  it('name the AWS request id and status of an SDK error, so AWS support can find the call', () => {
    const { logger, lines } = capture();
    const e = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400, requestId: 'R3QU35T', attempts: 1 },
    });

    logger.warn('write skipped', { error: e });

    expect(lines[0].error).toMatchObject({ name: 'ConditionalCheckFailedException', aws: { httpStatusCode: 400, requestId: 'R3QU35T' } });
  });

  it('end a cause chain that loops', () => {
    const { logger, lines } = capture();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;

    logger.error('loop', { error: a });

    expect(JSON.stringify(lines[0])).toContain('"message":"b"');
  });

  it('keep a cause that is not an error as it is', () => {
    const { logger, lines } = capture();
    logger.error('x', { error: new Error('refused', { cause: { status: 503 } }) });
    expect(lines[0].error).toMatchObject({ cause: { status: 503 } });
  });
});

describe('log level', () => {
  it("Lambda's AWS_LAMBDA_LOG_LEVEL wins over LOG_LEVEL and the code's own level", () => {
    expect(resolveLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'WARN', LOG_LEVEL: 'debug' })).toBe('warn');
    expect(resolveLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }, 'error')).toBe('debug');
    const { logger, lines } = capture({ env: { AWS_LAMBDA_LOG_LEVEL: 'ERROR', LOG_LEVEL: 'debug' } });
    logger.warn('dropped');
    logger.error('kept');
    expect(lines.map((l) => l.message)).toEqual(['kept']);
  });

  it("maps Lambda's TRACE and FATAL onto the nearest level Vigil logs at", () => {
    expect(resolveLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'TRACE' })).toBe('debug');
    expect(resolveLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'FATAL' })).toBe('error');
  });

  it('falls back to the code, then LOG_LEVEL, then info', () => {
    expect(resolveLogLevel({ LOG_LEVEL: 'debug' }, 'warn')).toBe('warn');
    expect(resolveLogLevel({ LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(resolveLogLevel({})).toBe('info');
  });

  it('refuses a level it does not know, naming the variable', () => {
    expect(() => resolveLogLevel({ LOG_LEVEL: 'verbose' })).toThrow(
      new ConfigError(['LOG_LEVEL must be one of debug, info, warn, error, got "verbose"']),
    );
    expect(() => resolveLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'LOUD' })).toThrow(
      /AWS_LAMBDA_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, got "LOUD"/,
    );
  });
});

describe('the invocation on every line', () => {
  it('names the request and the function, and the cold start only on the first invocation', async () => {
    const { logger, lines } = capture();
    const child = logger.child({ cluster: 'prod' });
    const handler = withInvocationContext(async (event: { n: number }) => {
      await new Promise((r) => setImmediate(r));
      child.info('handled', { n: event.n });
      return event.n;
    }, {});

    expect(await handler({ n: 1 }, lambdaContext('req-1'))).toBe(1);
    await handler({ n: 2 }, lambdaContext('req-2'));
    logger.info('outside');

    expect(lines).toEqual([
      expect.objectContaining({
        message: 'handled',
        requestId: 'req-1',
        functionName: 'vigil-ingest',
        coldStart: true,
        cluster: 'prod',
        n: 1,
      }),
      expect.objectContaining({ message: 'handled', requestId: 'req-2', coldStart: false, n: 2 }),
      expect.not.objectContaining({ requestId: expect.anything() }),
    ]);
  });

  it('keeps concurrent invocations apart', async () => {
    const { logger, lines } = capture();
    const handler = withInvocationContext(async (event: { waitMs: number }) => {
      await new Promise((r) => setTimeout(r, event.waitMs));
      logger.info('done');
    }, {});

    await Promise.all([handler({ waitMs: 20 }, lambdaContext('slow')), handler({ waitMs: 1 }, lambdaContext('fast'))]);

    expect(lines.map((l) => l.requestId)).toEqual(['fast', 'slow']);
  });

  it('counts no cold start on an instance provisioned concurrency started ahead of its first request', async () => {
    const { logger, lines } = capture();
    const handler = withInvocationContext(async () => logger.info('handled'), {
      AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
    });
    await handler(undefined, lambdaContext('req-1'));
    expect(lines[0]).toMatchObject({ coldStart: false });
  });
});
