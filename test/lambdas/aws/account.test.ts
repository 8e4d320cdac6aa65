/** The SDK clients behind the adapters: retry settings, timeouts, reuse. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { sdkAccounts, SDK_CLIENT_SETTINGS } from '../../../lambdas/aws/account';
import { CallCounter } from '../../../lambdas/aws/calls';

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
