/** The Microsoft Teams notifier Lambda (subscribed to the alerts topic): an Adaptive Card to a Workflows webhook. */
import { ENV } from '../env';
import { receiverHandler } from './receiver-handler';
import { TEAMS_RECEIVER } from './teams';

export const handler = receiverHandler(TEAMS_RECEIVER, ENV.teamsSecretName);
