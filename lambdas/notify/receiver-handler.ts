/**
 * A notifier Lambda's entry point: the secret's name read once at start-up from `secretNameVariable`, and what
 * it receives from `VIGIL_RECEIVES` (everything when unset), real adapters. The logic is in `notifier.ts`. The secret is a webhook URL unless the receiver parses it its own way
 * (PagerDuty's routing key).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SNSEvent } from 'aws-lambda';
import { z } from 'zod';
import { EnvReader } from '../../common/config';
import { createLogger, withInvocationContext } from '../../common/log';
import { DELIVERIES, deliverySchema } from '../../model/notification';
import { systemClock } from '../../model/time';
import { ENV } from '../env';
import { createNotifier, type Receiver, type ReceiverTarget } from './notifier';
import { SecretCache, SecretsManagerSource, webhookUrlOf } from './secrets';
import { FetchWebhookClient } from './webhook';

/** A receiver's entry point; each log line of an invocation carries its request id (`withInvocationContext`). */
type NotifierHandler = (event: SNSEvent, context: Context) => Promise<{ readonly posted: number }>;

const receivesSchema = z.array(deliverySchema, { error: 'must be a list of deliveries' }).min(1, { error: 'must not be empty' });

export function receiverHandler(receiver: Receiver, secretNameVariable: string): NotifierHandler;
export function receiverHandler<T extends ReceiverTarget>(
  receiver: Receiver<T>,
  secretNameVariable: string,
  parse: (secret: string) => T,
): NotifierHandler;
export function receiverHandler(
  receiver: Receiver<ReceiverTarget>,
  secretNameVariable: string,
  parse: (secret: string) => ReceiverTarget = webhookUrlOf,
) {
  const env = new EnvReader();
  const secretName = env.string(secretNameVariable);
  const receives = env.json(ENV.receives, receivesSchema, DELIVERIES);
  env.done();
  return withInvocationContext(
    createNotifier(receiver, {
      webhookUrl: new SecretCache(new SecretsManagerSource(new SecretsManagerClient({})), secretName, systemClock, parse),
      webhook: new FetchWebhookClient(),
      logger: createLogger({ service: receiver.service }),
      receives,
    }),
  );
}
