/**
 * Which failures the layers above the SDK retry (the store's writes, SNS publishing): the SDK's own
 * classification, on errors shaped as the SDK and Node.js throw them.
 */
import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { backoffMs, isRetryable, retrying, type RetryPolicy } from '../../common/retry';

const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'R3QU35T', attempts: 3, totalRetryDelay: 900 });
/** A Node.js socket error, as `http` raises it. */
const socketError = (code: string) => Object.assign(new Error(`${code} 10.0.0.1:443`), { code, syscall: 'connect' });
/** An error the SDK builds from a service's error code when it has no class for it. */
const serviceError = (name: string, httpStatusCode: number) =>
  new EC2ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', message: name, $metadata: meta(httpStatusCode) });

describe('isRetryable', () => {
  it.each([
    ['DynamoDB throttling (400)', new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: meta(400) })],
    ['EC2 throttling (503)', serviceError('RequestLimitExceeded', 503)],
    ['EC2 throttling by its own code', serviceError('EC2ThrottledException', 400)],
    ['S3-style SlowDown', serviceError('SlowDown', 503)],
    ['any 429', serviceError('TooManyRequests', 429)],
    ['DynamoDB internal error (500)', new InternalServerError({ message: 'Internal server error', $metadata: meta(500) })],
    ['service unavailable (503)', serviceError('ServiceUnavailable', 503)],
    ['another 5xx', serviceError('NotImplementedYet', 501)],
    ['the SDK giving up on a timeout', Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' })],
    ['a connection reset', socketError('ECONNRESET')],
    ['a DNS failure that passes', socketError('EAI_AGAIN')],
    ['a reset wrapped as the cause', new Error('request failed', { cause: socketError('ECONNRESET') })],
    ['an error the service marks retryable', Object.assign(new Error('try again'), { $retryable: {} })],
  ])('retries %s', (_what, e) => {
    expect(isRetryable(e)).toBe(true);
  });

  it.each([
    ['a failed condition', new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta(400) })],
    ['a missing table', new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: meta(400) })],
    ['a refused item', serviceError('ValidationException', 400)],
    ['access denied', serviceError('AccessDeniedException', 403)],
    ['an aborted call', Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'S')")],
    ['a string', 'ThrottlingException'],
    ['nothing', undefined],
  ])('does not retry %s', (_what, e) => {
    expect(isRetryable(e)).toBe(false);
  });
});

describe('retrying', () => {
  const policy = (slept: number[]): RetryPolicy => ({
    attempts: 4,
    baseMs: 50,
    capMs: 2000,
    sleep: async (ms) => void slept.push(ms),
    random: () => 0.5,
  });

  it('retries a throttled call with growing backoff until it succeeds', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await retrying(async () => {
      if (++calls < 3) throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: meta(400) });
      return 'stored';
    }, policy(slept));
    expect(result).toBe('stored');
    expect(slept).toEqual([50, 100]);
  });

  it('gives up at once on an error a retry cannot mend, and after the last attempt on one it could', async () => {
    const refused = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta(400) });
    let calls = 0;
    await expect(
      retrying(async () => {
        calls++;
        throw refused;
      }, policy([])),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      retrying(async () => {
        calls++;
        throw serviceError('ServiceUnavailable', 503);
      }, policy([])),
    ).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    expect(calls).toBe(4);
  });

  it('caps the backoff', () => {
    expect(backoffMs(10, { baseMs: 50, capMs: 2000, random: () => 0.999 })).toBe(1998);
  });
});
