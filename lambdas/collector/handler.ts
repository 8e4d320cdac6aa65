/**
 * Lambda entry point of the collector (EventBridge, every minute). Configuration is read once, when the
 * instance starts; SDK clients are created once per region and reused across invocations.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLogger, withInvocationContext } from '../../common/log';
import { systemClock } from '../../model/time';
import { sdkAccounts } from '../aws/account';
import { VigilStore } from '../store/store';
import { createCollectorHandler } from './collector';
import { readCollectorConfig } from './config';

const config = readCollectorConfig();
const logger = createLogger({ service: 'vigil-collector' });

export const handler = withInvocationContext(
  createCollectorHandler({
    store: new VigilStore({ client: new DynamoDBClient({}), tableName: config.tableName, retentionDays: config.retentionDays, logger }),
    clusters: config.clusters,
    defaultRegion: config.defaultRegion,
    aws: sdkAccounts(),
    hostMetrics: config.hostMetrics,
    clock: systemClock,
    logger,
  }),
);
