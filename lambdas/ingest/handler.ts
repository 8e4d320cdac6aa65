/**
 * Lambda entry point of the ingest endpoint (Function URL, AWS_IAM). Configuration is read once, when the
 * instance starts; a misconfigured function fails its first invocation with every problem listed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EnvReader } from '../../common/config';
import { createLogger } from '../../common/log';
import { systemClock } from '../../model/time';
import { clusterConfigsSchema } from '../collector/config';
import { ENV } from '../env';
import { VigilStore } from '../store/store';
import { createIngestHandler } from './ingest';

const env = new EnvReader();
const tableName = env.string(ENV.tableName);
const retentionDays = env.int(ENV.retentionDays, 14, 1, 3650);
// Optional here: when set, batches for other clusters are refused.
const clusters = env.json(ENV.clusters, clusterConfigsSchema, []);
env.done();

const logger = createLogger({ service: 'vigil-ingest' });

export const handler = createIngestHandler({
  store: new VigilStore({ client: new DynamoDBClient({}), tableName, retentionDays, logger }),
  clock: systemClock,
  logger,
  clusters: clusters.map((c) => c.name),
});
