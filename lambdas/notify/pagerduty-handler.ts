/** The PagerDuty notifier Lambda (subscribed to the alerts topic): Events API v2, one event per alert it receives. */
import { ENV } from '../env';
import { PAGERDUTY_RECEIVER, pagerDutyTargetOf } from './pagerduty';
import { receiverHandler } from './receiver-handler';

export const handler = receiverHandler(PAGERDUTY_RECEIVER, ENV.pagerDutySecretName, pagerDutyTargetOf);
