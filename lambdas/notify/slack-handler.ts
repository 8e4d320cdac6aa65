/**
 * The Slack notifier Lambda (subscribed to the alerts topic): configuration read once at start-up, real
 * adapters, `handler` exported. The logic is in `slack-notifier.ts`.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EnvReader } from '../../common/config';
import { createLogger } from '../../common/log';
import { systemClock } from '../../model/time';
import { ENV } from '../env';
import { SecretsManagerSource, WebhookUrlCache } from './secrets';
import { createSlackHandler } from './slack-notifier';
import { FetchWebhookClient } from './webhook';

const env = new EnvReader();
const secretName = env.string(ENV.slackSecretName);
env.done();

export const handler = createSlackHandler({
  webhookUrl: new WebhookUrlCache(new SecretsManagerSource(new SecretsManagerClient({})), secretName, systemClock),
  webhook: new FetchWebhookClient(),
  logger: createLogger({ service: 'vigil-slack' }),
});
