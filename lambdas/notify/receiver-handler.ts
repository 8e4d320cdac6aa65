/**
 * A notifier Lambda's entry point: the secret's name read once at start-up from `secretNameVariable`, real
 * adapters. The logic is in `notifier.ts`.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EnvReader } from '../../common/config';
import { createLogger } from '../../common/log';
import { systemClock } from '../../model/time';
import { createNotifier, type Receiver } from './notifier';
import { SecretsManagerSource, WebhookUrlCache } from './secrets';
import { FetchWebhookClient } from './webhook';

export function receiverHandler(receiver: Receiver, secretNameVariable: string) {
  const env = new EnvReader();
  const secretName = env.string(secretNameVariable);
  env.done();
  return createNotifier(receiver, {
    webhookUrl: new WebhookUrlCache(new SecretsManagerSource(new SecretsManagerClient({})), secretName, systemClock),
    webhook: new FetchWebhookClient(),
    logger: createLogger({ service: receiver.service }),
  });
}
