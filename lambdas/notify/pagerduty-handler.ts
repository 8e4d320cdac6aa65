/** The PagerDuty notifier Lambda (subscribed to the alerts topic): Events API v2, one event per alert it receives. */
import { z } from 'zod';
import { deliverySchema } from '../../model/notification';
import { ENV } from '../env';
import { pagerDutyReceiver, pagerDutyTargetOf } from './pagerduty';
import { receiverHandler } from './receiver-handler';

const receivesSchema = z.array(deliverySchema, { error: 'must be a list of deliveries' }).min(1, { error: 'must not be empty' });

export const handler = receiverHandler((env) => pagerDutyReceiver(env.json(ENV.pagerDutyReceives, receivesSchema)), ENV.pagerDutySecretName, pagerDutyTargetOf);
