/** The SDK clients behind the adapters: retry settings, timeouts, reuse. */
import { CloudWatchClient, CloudWatchServiceException, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { type HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { sdkAccounts, SDK_CLIENT_SETTINGS } from '../../../lambdas/aws/account';
import { CallCounter } from '../../../lambdas/aws/calls';
import { SdkCloudWatch } from '../../../lambdas/aws/cloudwatch';
import { failCalls } from '../../support/faults';

const region = 'eu-west-1';
const calls = new CallCounter();

test('the SDK clients retry throttling adaptively, with timeouts, and are reused per region', async () => {
  const accounts = sdkAccounts();
  const a = accounts(region, calls);
  const b = accounts(region, new CallCounter());
  const client = (x: typeof a) => (x.cloudWatch as unknown as { client: CloudWatchClient }).client;
  expect(client(a)).toBe(client(b));
  expect(client(accounts('us-east-1', calls))).not.toBe(client(a));
  expect(await client(a).config.maxAttempts()).toBe(SDK_CLIENT_SETTINGS.maxAttempts);
  expect(((await client(a).config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
  expect(await client(a).config.region()).toBe(region);
});

test('a throttled request is retried by the SDK within one adapter call, which then succeeds', async () => {
  const client = new CloudWatchClient({ region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, ...SDK_CLIENT_SETTINGS });
  let throttled = 0;
  failCalls(
    client,
    'GetMetricDataCommand',
    1,
    () => {
      throttled++;
      return new CloudWatchServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
    },
    { inside: 'sdk-retries' },
  );
  // Innermost, in place of the network: answers the attempt that gets through, and notes which it was.
  const T = Date.UTC(2026, 10, 23, 12, 0);
  const attempts: string[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      attempts.push(String((args.request as HttpRequest).headers['amz-sdk-request']));
      const output: GetMetricDataCommandOutput = {
        MetricDataResults: [{ Id: 'q0', Timestamps: [new Date(T)], Values: [12.5], StatusCode: 'Complete' }],
        $metadata: {},
      };
      return { response: new HttpResponse({ statusCode: 200, headers: {} }), output };
    },
    { step: 'finalizeRequest', priority: 'low', name: 'answer' },
  );
  const counted = new CallCounter();
  const series = await new SdkCloudWatch(client, counted).getMetricData(
    [
      {
        id: 'q0',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: { InstanceId: 'i-01' },
        stat: 'Average',
        periodSeconds: 300,
      },
    ],
    T,
    T + 900_000,
  );
  expect(series).toEqual([{ id: 'q0', points: [{ t: T, value: 12.5 }], status: 'Complete', message: undefined }]);
  expect(throttled).toBe(1);
  expect(attempts).toEqual([`attempt=2; max=${SDK_CLIENT_SETTINGS.maxAttempts}`]);
  // One call as the adapter (and the bill) counts it.
  expect(counted.snapshot()).toEqual({ 'cloudwatch:GetMetricData': 1 });
  client.destroy();
});
