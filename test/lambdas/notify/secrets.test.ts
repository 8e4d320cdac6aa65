import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  SecretFormatError,
  SecretsManagerSource,
  SecretUnusableError,
  webhookUrlOf,
  WebhookUrlCache,
} from '../../../lambdas/notify/secrets';
import { ManualClock } from '../../../model/time';
import { StaticSecretSource } from '../../../sim/notify/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/slack-webhook-AbCdEf';
const HOOK = 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/0123456789abcdefABCDEFGH';

test('the URL itself, or JSON with url / webhookUrl / webhook_url; https only (loopback http for local mode)', () => {
  expect(webhookUrlOf(` ${HOOK}\n`)).toBe(HOOK);
  expect(webhookUrlOf(JSON.stringify({ url: HOOK }))).toBe(HOOK);
  expect(webhookUrlOf(JSON.stringify({ webhookUrl: HOOK, channel: '#ops' }))).toBe(HOOK);
  expect(webhookUrlOf(JSON.stringify({ webhook_url: HOOK }))).toBe(HOOK);
  expect(webhookUrlOf('http://127.0.0.1:4567/services/x')).toBe('http://127.0.0.1:4567/services/x');
  expect(() => webhookUrlOf('http://hooks.slack.com/services/x')).toThrow(/must use https \(got http:\)/);
  expect(() => webhookUrlOf('{"token": "xoxb-secret"}')).toThrow(/no "url" .* it has: token/);
  expect(() => webhookUrlOf('{"url": ')).toThrow(SecretFormatError);
  // The secret's value never appears in the error.
  expect(() => webhookUrlOf('not a url xoxb-1234')).toThrow(/^(?!.*xoxb).*not a URL/);
});

test('cached for its TTL, read again after it or after invalidate()', async () => {
  const source = new StaticSecretSource({ [ARN]: HOOK });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
  const cache = new WebhookUrlCache(source, ARN, clock, 5 * 60_000);
  for (let i = 0; i < 10; i++) expect(await cache.get()).toBe(HOOK);
  expect(source.reads.get(ARN)).toBe(1);
  clock.advance(5 * 60_000);
  await cache.get();
  cache.invalidate();
  await cache.get();
  expect(source.reads.get(ARN)).toBe(3);
});

test('the Secrets Manager adapter reads SecretString (or SecretBinary)', async () => {
  const sm = mockClient(SecretsManagerClient);
  sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({
    ARN,
    Name: 'vigil/slack-webhook',
    SecretString: HOOK,
    VersionId: 'v1',
    VersionStages: ['AWSCURRENT'],
  });
  sm.on(GetSecretValueCommand, { SecretId: 'binary' }).resolves({ SecretBinary: new TextEncoder().encode(HOOK) });
  sm.on(GetSecretValueCommand, { SecretId: 'gone' }).rejects(
    new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
  );
  const source = new SecretsManagerSource(
    new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  );
  expect(await source.secretString(ARN)).toBe(HOOK);
  expect(await source.secretString('binary')).toBe(HOOK);
  await expect(source.secretString('gone')).rejects.toThrow(
    new SecretUnusableError('there is no secret named "gone" in this account and region'),
  );
  expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
});

test('what only a person can fix is a SecretUnusableError, in words; what may pass is thrown as it is, to be retried', async () => {
  const sm = mockClient(SecretsManagerClient);
  const denied = Object.assign(
    new Error('User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: secretsmanager:GetSecretValue'),
    { name: 'AccessDeniedException' },
  );
  sm.on(GetSecretValueCommand, { SecretId: 'denied' }).rejects(denied);
  sm.on(GetSecretValueCommand, { SecretId: 'kms' }).rejects(new DecryptionFailure({ message: 'KMS', $metadata: {} }));
  sm.on(GetSecretValueCommand, { SecretId: 'flaky' }).rejects(new InternalServiceError({ message: 'try again', $metadata: {} }));
  const source = new SecretsManagerSource(
    new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  );
  await expect(source.secretString('denied')).rejects.toThrow(
    new SecretUnusableError('this function may not read the secret "denied" (or decrypt it with its KMS key)'),
  );
  await expect(source.secretString('kms')).rejects.toBeInstanceOf(SecretUnusableError);
  await expect(source.secretString('flaky')).rejects.toBeInstanceOf(InternalServiceError);
  // A value that is no webhook URL is unusable too.
  expect(() => webhookUrlOf('nope')).toThrow(SecretUnusableError);
});
