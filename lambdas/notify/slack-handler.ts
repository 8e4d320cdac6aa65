/** The Slack notifier Lambda (subscribed to the alerts topic). */
import { ENV } from '../env';
import { receiverHandler } from './receiver-handler';
import { SLACK_RECEIVER } from './slack-notifier';

export const handler = receiverHandler(SLACK_RECEIVER, ENV.slackSecretName);
