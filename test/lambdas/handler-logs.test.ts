/**
 * The deployed handler modules (configuration from the environment, real adapters) log every line of an
 * invocation with Lambda's request id, the function and the cold start, at the level Lambda's advanced
 * logging controls set. Each case stops before any AWS call: a caller that is not an agent role, an event
 * that is not an AWS event.
 */
import type { Context } from 'aws-lambda';
import { rawEvent, writersFor } from './ingest/function-url-event';

const context = (awsRequestId: string, functionName: string) =>
  ({ awsRequestId, functionName, getRemainingTimeInMillis: () => 30_000 }) as Context;

const BASE_ENV = {
  VIGIL_TABLE_NAME: 'vigil',
  VIGIL_AGENT_ROLES: JSON.stringify(writersFor('prod')),
  VIGIL_CLUSTERS: JSON.stringify([{ name: 'prod', region: 'eu-west-1' }]),
  AWS_REGION: 'eu-west-1',
};

/** Loads `module` afresh under `env` and returns its handler and the JSON lines it writes to stdout. */
function load<H>(module: string, env: Record<string, string>): { handler: H; lines: () => Record<string, unknown>[] } {
  const saved = { ...process.env };
  Object.assign(process.env, BASE_ENV, env);
  let handler!: H;
  try {
    jest.isolateModules(() => {
      handler = (require(module) as { handler: H }).handler;
    });
  } finally {
    process.env = saved;
  }
  const written: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return {
    handler,
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

afterEach(() => jest.restoreAllMocks());

type Handler = (event: unknown, context: Context) => Promise<unknown>;

test('ingest: every line names the invocation, cold start only on the first', async () => {
  const { handler, lines } = load<Handler>('../../lambdas/ingest/handler', {});
  const stranger = rawEvent('{}', { caller: 'arn:aws:sts::123456789012:assumed-role/someone-else/session-1' });

  await handler(stranger, context('0f1e2d3c-1111', 'vigil-ingest'));
  await handler(stranger, context('0f1e2d3c-2222', 'vigil-ingest'));

  expect(lines()).toEqual([
    expect.objectContaining({
      level: 'warn',
      message: 'batch refused',
      status: 403,
      requestId: '0f1e2d3c-1111',
      functionName: 'vigil-ingest',
      coldStart: true,
    }),
    expect.objectContaining({ message: 'batch refused', requestId: '0f1e2d3c-2222', coldStart: false }),
  ]);
});

test("ingest: AWS_LAMBDA_LOG_LEVEL (Lambda's application log level) wins over LOG_LEVEL", async () => {
  const { handler, lines } = load<Handler>('../../lambdas/ingest/handler', { AWS_LAMBDA_LOG_LEVEL: 'ERROR', LOG_LEVEL: 'debug' });
  await handler(rawEvent('{}', { caller: null }), context('r-1', 'vigil-ingest'));
  expect(lines()).toEqual([]);
});

test('AWS events: a refused event is logged with its invocation', async () => {
  const { handler, lines } = load<Handler>('../../lambdas/aws-events/handler', {});
  await handler({ 'detail-type': 'Something Else', source: 'aws.s3', detail: {} }, context('9a8b7c6d', 'vigil-aws-events'));
  expect(lines()).toEqual([
    expect.objectContaining({
      level: 'warn',
      message: 'AWS event refused',
      requestId: '9a8b7c6d',
      functionName: 'vigil-aws-events',
      coldStart: true,
    }),
  ]);
});

test('a handler refuses to start with a log level it does not know, naming the variable', () => {
  expect(() => load<Handler>('../../lambdas/ingest/handler', { LOG_LEVEL: 'verbose' })).toThrow(
    /LOG_LEVEL must be one of debug, info, warn, error, got "verbose"/,
  );
});
