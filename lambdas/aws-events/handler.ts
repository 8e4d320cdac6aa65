/**
 * Lambda entry point of the AWS events function (EventBridge rules of `lib/aws-events.ts`, one event per
 * invocation). Configuration is read once, when the instance starts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EnvReader } from '../../common/config';
import { createLogger, withInvocationContext } from '../../common/log';
import { clusterListSchema } from '../../model/cluster';
import { systemClock } from '../../model/time';
import { ENV } from '../env';
import { VigilStore } from '../store/store';
import { createAwsEventsHandler } from './aws-events';

const env = new EnvReader();
const tableName = env.string(ENV.tableName);
const retentionDays = env.int(ENV.retentionDays, 14, 1, 3650);
const clusters = env.json(ENV.clusters, clusterListSchema);
const collectorEveryMinutes = env.int(ENV.collectorEveryMinutes, 1, 1, 60);
env.done();

const logger = createLogger({ service: 'vigil-aws-events' });

export const handler = withInvocationContext(
  createAwsEventsHandler({
    store: new VigilStore({ client: new DynamoDBClient({}), tableName, retentionDays, logger }),
    clusters,
    collectorEveryMinutes,
    clock: systemClock,
    logger,
  }),
);
