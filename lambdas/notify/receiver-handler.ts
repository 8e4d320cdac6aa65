/**
 * A notifier Lambda's entry point: the secret's name read once at start-up from `secretNameVariable`, real
 * adapters. The logic is in `notifier.ts`. The secret is a webhook URL unless the receiver parses it its own way
 * (PagerDuty's routing key).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SNSEvent } from 'aws-lambda';
import { EnvReader } from '../../common/config';
import { createLogger, withInvocationContext } from '../../common/log';
import { systemClock } from '../../model/time';
import { createNotifier, type Receiver, type ReceiverTarget } from './notifier';
import { SecretCache, SecretsManagerSource, webhookUrlOf } from './secrets';
import { FetchWebhookClient } from './webhook';

/** A receiver's entry point; each log line of an invocation carries its request id (`withInvocationContext`). */
type NotifierHandler = (event: SNSEvent, context: Context) => Promise<{ readonly posted: number }>;

/** A receiver, or how to make one from the rest of its function's configuration (read with the secret's name, every problem at once). */
type ReceiverOf<T extends ReceiverTarget> = Receiver<T> | ((env: EnvReader) => Receiver<T>);

export function receiverHandler(receiver: Receiver, secretNameVariable: string): NotifierHandler;
export function receiverHandler<T extends ReceiverTarget>(receiver: ReceiverOf<T>, secretNameVariable: string, parse: (secret: string) => T): NotifierHandler;
export function receiverHandler(receiverOf: ReceiverOf<ReceiverTarget>, secretNameVariable: string, parse: (secret: string) => ReceiverTarget = webhookUrlOf) {
  const env = new EnvReader();
  const secretName = env.string(secretNameVariable);
  const receiver = typeof receiverOf === 'function' ? receiverOf(env) : receiverOf;
  env.done();
  return withInvocationContext(
    createNotifier(receiver, {
      webhookUrl: new SecretCache(new SecretsManagerSource(new SecretsManagerClient({})), secretName, systemClock, parse),
      webhook: new FetchWebhookClient(),
      logger: createLogger({ service: receiver.service }),
    }),
  );
}
