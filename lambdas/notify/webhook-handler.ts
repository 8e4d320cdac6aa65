/** The generic webhook notifier Lambda (subscribed to the alerts topic): Alertmanager's webhook body. */
import { ENV } from '../env';
import { WEBHOOK_RECEIVER } from './alertmanager';
import { receiverHandler } from './receiver-handler';

export const handler = receiverHandler(WEBHOOK_RECEIVER, ENV.webhookSecretName);
