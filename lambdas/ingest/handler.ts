/**
 * Lambda entry point of the ingest endpoint (Function URL, AWS_IAM). Configuration is read once, when the
 * instance starts; a misconfigured function fails its first invocation with every problem listed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EnvReader } from '../../common/config';
import { createLogger, withInvocationContext } from '../../common/log';
import { systemClock } from '../../model/time';
import { DEFAULT_ROUTE_LABELS, routeLabelsSchema } from '../../model/route';
import { ENV } from '../env';
import { VigilStore } from '../store/store';
import { createIngestHandler } from './ingest';
import { agentWritersSchema } from './writers';

const env = new EnvReader();
const tableName = env.string(ENV.tableName);
const retentionDays = env.int(ENV.retentionDays, 14, 1, 3650);
const writers = env.json(ENV.agentRoles, agentWritersSchema);
const routeLabels = env.json(ENV.routeLabels, routeLabelsSchema, [...DEFAULT_ROUTE_LABELS]);
env.done();

const logger = createLogger({ service: 'vigil-ingest' });

export const handler = withInvocationContext(
  createIngestHandler({
    store: new VigilStore({ client: new DynamoDBClient({}), tableName, retentionDays, logger }),
    clock: systemClock,
    logger,
    writers,
    routeLabels,
  }),
);
