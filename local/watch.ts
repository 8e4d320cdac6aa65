/**
 * `vigil local --kubeconfig`: the pipeline on this machine, in real time, against a real cluster. The agent
 * reads the kubeconfig's cluster (kubelet summaries through the API server's node proxy, since a laptop
 * rarely reaches node IPs), pushes SigV4-signed batches to a loopback Function URL, and the collector (with
 * `--aws`, using your credentials) and the evaluator run every minute; notifications print here and go to
 * the outbox. It stops after `duration`, or on Ctrl-C.
 */
import * as path from 'path';
import { createLogger } from '../common/log';
import { readAgentConfig } from '../agent/config';
import { createAgentRuntime } from '../agent/runtime';
import { sdkAccounts } from '../lambdas/aws/account';
import { createCollectorHandler } from '../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../lambdas/collector/config';
import { resolveRules } from '../lambdas/evaluator/config';
import { createEvaluatorHandler } from '../lambdas/evaluator/evaluator';
import { createIngestHandler } from '../lambdas/ingest/ingest';
import { VigilStore } from '../lambdas/store/store';
import { parseDuration } from '../model/quantity';
import { systemClock } from '../model/time';
import { OutboxPublisher } from '../sim/notify/outbox';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynalite } from './dynalite';
import { startFunctionUrl } from '../sim/aws/function-url';
import { LOCAL_TABLE } from './run';

export interface WatchOptions {
  readonly kubeconfig: string;
  readonly cluster: string;
  /** Read EKS, EC2, Auto Scaling and CloudWatch with the default credential chain. */
  readonly aws: boolean;
  readonly region?: string;
  /** @default until interrupted */
  readonly duration?: string;
  readonly outDir: string;
  readonly print: (text: string) => void;
  /** Agent interval and evaluation cadence. @default 60 s */
  readonly intervalSeconds?: number;
}

export async function watchCluster(o: WatchOptions): Promise<number> {
  const interval = (o.intervalSeconds ?? 60) * 1000;
  const logger = createLogger({ service: 'vigil-local', level: 'warn', sink: (l) => o.print(l) });
  const dynamo = await startDynalite({ path: path.join(o.outDir, 'db') });
  const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, logger });
  await dynamo.createTable(LOCAL_TABLE);
  const region = o.region ?? LOCAL_REGION;
  const fu = await startFunctionUrl({ credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, handler: createIngestHandler({ store, clock: systemClock, logger, clusters: [o.cluster] }) });
  const agent = createAgentRuntime(
    readAgentConfig({
      VIGIL_CLUSTER: o.cluster,
      VIGIL_INGEST_URL: fu.url,
      AWS_REGION: LOCAL_REGION,
      KUBECONFIG: o.kubeconfig,
      VIGIL_KUBELET_TRANSPORT: 'proxy',
      VIGIL_INTERVAL_SECONDS: String(interval / 1000),
      VIGIL_KUBELET_TIMEOUT_SECONDS: String(Math.min(10, interval / 2000)),
      VIGIL_PUSH_TIMEOUT_SECONDS: String(Math.min(20, interval / 2000)),
    }),
    { credentials: LOCAL_CREDENTIALS, logger },
  );
  const clusters = [{ name: o.cluster, region }];
  const collect = o.aws
    ? createCollectorHandler({ store, clusters, defaultRegion: region, aws: sdkAccounts(), hostMetrics: DEFAULT_HOST_METRICS, clock: systemClock, logger })
    : undefined;
  const evaluate = createEvaluatorHandler({
    store,
    publisher: new OutboxPublisher({ file: path.join(o.outDir, `outbox-${o.cluster}.jsonl`), print: o.print }),
    clock: systemClock,
    logger,
    // Without the AWS side, the rules that need it would only report that it is missing.
    rules: resolveRules(o.aws ? {} : { 'collector-failing': { enabled: false } }),
    emit: () => undefined,
    clusters,
  });

  o.print(`Watching cluster ${o.cluster} through ${o.kubeconfig}${o.aws ? ` and its AWS side in ${region}` : ' (AWS side off: pass --aws to read EKS, EC2, Auto Scaling and CloudWatch with your credentials)'}.`);
  o.print(`Notifications print here and go to ${path.join(o.outDir, `outbox-${o.cluster}.jsonl`)}. Ctrl-C stops.`);
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    if (o.duration) setTimeout(stop, parseDuration(o.duration)).unref();
  });
  try {
    await agent.start();
    while (!stopping) {
      const next = Date.now() + interval;
      try {
        await collect?.();
        await evaluate();
      } catch (e) {
        o.print(`evaluation failed: ${(e as Error).message}`);
      }
      await Promise.race([stopped, new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())).unref())]);
    }
    return 0;
  } finally {
    await agent.stop();
    await fu.close();
    await dynamo.close();
  }
}
