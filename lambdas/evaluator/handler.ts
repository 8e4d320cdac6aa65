/**
 * The evaluator Lambda (EventBridge, every minute): configuration read once at start-up, real adapters,
 * `handler` exported. The logic is in `evaluator.ts`, which local mode and the tests call with simulated
 * or mocked dependencies.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { EnvReader } from '../../common/config';
import { createLogger, withInvocationContext } from '../../common/log';
import { clusterListSchema } from '../../model/cluster';
import { DEFAULT_ROUTE_LABELS, resolvedRoutingSchema, routeLabelsSchema, type Routing } from '../../model/route';
import { maintenanceWindowsSchema, type MaintenanceWindow } from '../../model/silence';
import { systemClock } from '../../model/time';
import { ENV } from '../env';
import { SnsPublisher } from '../message/publisher';
import { VigilStore } from '../store/store';
import { resolveRules, ruleOverridesSchema, type ParsedOverrides } from './config';
import { createEvaluatorHandler } from './evaluator';

const env = new EnvReader();
const config = {
  tableName: env.string(ENV.tableName),
  clusters: env.json(ENV.clusters, clusterListSchema),
  topicArn: env.string(ENV.topicArn),
  rules: env.json<ParsedOverrides>(ENV.rules, ruleOverridesSchema as z.ZodType<ParsedOverrides>, {}),
  // 1 (EC2 detailed monitoring) or 5 (basic); read as JSON, so "5" is the number 5.
  hostPeriodMinutes: env.json(ENV.hostMetricsPeriodMinutes, z.union([z.literal(1), z.literal(5)]), 1),
  maintenanceWindows: env.json<MaintenanceWindow[]>(ENV.maintenanceWindows, maintenanceWindowsSchema, []),
  runbookBaseUrl: env.string(ENV.runbookBaseUrl, '') || undefined,
  routes: env.json<Routing | null>(ENV.routes, resolvedRoutingSchema.nullable(), null) ?? undefined,
  routeLabels: env.json(ENV.routeLabels, routeLabelsSchema, [...DEFAULT_ROUTE_LABELS]),
};
env.done();

const logger = createLogger({ service: 'vigil-evaluator' });
const store = new VigilStore({ client: new DynamoDBClient({}), tableName: config.tableName, logger });

export const handler = withInvocationContext(
  createEvaluatorHandler({
    store,
    publisher: new SnsPublisher(new SNSClient({}), config.topicArn),
    clock: systemClock,
    logger,
    rules: resolveRules(config.rules),
    clusters: config.clusters,
    hostPeriodMinutes: config.hostPeriodMinutes,
    maintenanceWindows: config.maintenanceWindows,
    runbookBaseUrl: config.runbookBaseUrl,
    routes: config.routes,
    routeLabels: config.routeLabels,
    // EMF: one JSON line per document on stdout, which CloudWatch Logs turns into metrics.
    emit: (line) => process.stdout.write(line + '\n'),
  }),
);
