/**
 * `vigil local --kubeconfig`: the pipeline on this machine, in real time, against a real cluster. The agent
 * reads the kubeconfig's cluster (kubelet summaries through the API server's node proxy, since a laptop
 * rarely reaches node IPs), pushes SigV4-signed batches to a loopback Function URL, and the collector and the
 * evaluator run every minute; notifications print here and go to the outbox. The collector reads the AWS
 * side with your credentials (`aws`), or else a simulated one built from the nodes the agent reported
 * (`sim/aws/mirror.ts`). It stops after `duration`, or on Ctrl-C, and then writes the report.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createLogger } from '../common/log';
import { readAgentConfig } from '../agent/config';
import { createAgentRuntime } from '../agent/runtime';
import { sdkAccounts, type AwsAccountFor } from '../lambdas/aws/account';
import { createCollectorHandler } from '../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../lambdas/collector/config';
import { resolveRules } from '../lambdas/evaluator/config';
import { createEvaluatorHandler } from '../lambdas/evaluator/evaluator';
import { VigilStore } from '../lambdas/store/store';
import type { KubeNodeMinute } from '../model/domain';
import { parseDuration } from '../model/quantity';
import { MINUTE_MS, systemClock } from '../model/time';
import { mirroredAccount, SIMULATED_MARK } from '../sim/aws/mirror';
import { OutboxPublisher, readOutbox, type OutboxEntry } from '../sim/notify/outbox';
import { startLoopbackReceivers, type ReceiverKind } from '../sim/notify/receivers';
import { LOCAL_REGION, LOCAL_TABLE, localDbDir, startDynalite } from './dynalite';
import { startLocalIngest } from './ingest';
import { buildRunRecord } from './record';
import { writeReport } from './report/html';
import type { RunRecord } from './report/run-record';

export interface WatchOptions {
  readonly kubeconfig: string;
  readonly cluster: string;
  /** Read EKS, EC2, Auto Scaling and CloudWatch with the default credential chain; else simulate them. */
  readonly aws: boolean;
  readonly region?: string;
  /** @default until interrupted */
  readonly duration?: string;
  readonly outDir: string;
  readonly print: (text: string) => void;
  /** Agent interval and evaluation cadence. @default 60 s */
  readonly intervalSeconds?: number;
  /** Loopback receivers each message also goes to, through the real receiver functions. @default none */
  readonly receivers?: readonly ReceiverKind[];
}

export interface WatchResult {
  readonly record: RunRecord;
  readonly notifications: readonly OutboxEntry[];
  readonly outboxPath: string;
  readonly reportPath: string;
}

/** The simulated side's CloudWatch reads cover the collector's window, stretched back to a 5-minute boundary. */
const MIRROR_WINDOW_MS = (DEFAULT_HOST_METRICS.windowMinutes + 5) * MINUTE_MS;

export async function watchCluster(o: WatchOptions): Promise<WatchResult> {
  const interval = (o.intervalSeconds ?? 60) * 1000;
  const logger = createLogger({ service: 'vigil-local', level: 'warn', sink: (l) => o.print(l) });
  const dynamo = await startDynalite({ path: localDbDir(o.outDir) });
  const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, logger });
  await dynamo.createTable(LOCAL_TABLE);
  const region = o.region ?? LOCAL_REGION;
  const outboxPath = path.join(o.outDir, `outbox-${o.cluster}.jsonl`);
  fs.rmSync(outboxPath, { force: true });
  const ingest = await startLocalIngest({ store, clock: systemClock, logger, cluster: o.cluster });
  const receivers = o.receivers?.length ? await startLoopbackReceivers(o.receivers, logger) : undefined;
  const fu = ingest.functionUrl;
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
    { credentials: ingest.agentCredentials, logger },
  );
  const clusters = [{ name: o.cluster, region }];
  // The simulated side is rebuilt before each collection from what the agent reported by then.
  let reported: readonly KubeNodeMinute[] = [];
  const aws: AwsAccountFor = o.aws
    ? sdkAccounts()
    : (_region, calls) => mirroredAccount({ cluster: o.cluster, nodeMinutes: reported, now: Date.now() }, calls);
  const collect = createCollectorHandler({
    store,
    clusters,
    defaultRegion: region,
    aws,
    hostMetrics: DEFAULT_HOST_METRICS,
    clock: systemClock,
    logger,
  });
  const evaluate = createEvaluatorHandler({
    store,
    publisher: new OutboxPublisher({ file: outboxPath, print: o.print, receivers }),
    clock: systemClock,
    logger,
    rules: resolveRules(),
    emit: () => undefined,
    clusters,
  });

  const side = o.aws
    ? ` and its AWS side in ${region}.`
    : `. Its AWS side is ${SIMULATED_MARK} from its nodes: no AWS call is made, host figures are the kubelet's and group names end in -${SIMULATED_MARK} (pass --aws to read EKS, EC2, Auto Scaling and CloudWatch with your credentials).`;
  o.print(`Watching cluster ${o.cluster} through ${o.kubeconfig}${side}`);
  o.print(`Notifications print here and go to ${outboxPath}. Ctrl-C stops and writes the report.`);
  const start = Date.now();
  let stopping = false;
  let stop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = () => {
      stopping = true;
      resolve();
    };
  });
  process.once('SIGINT', stop);
  const timer = o.duration ? setTimeout(stop, parseDuration(o.duration)) : undefined;
  try {
    await agent.start();
    while (!stopping) {
      const next = Date.now() + interval;
      try {
        if (!o.aws)
          reported = (await store.nodeMinutes(o.cluster, Date.now() - MIRROR_WINDOW_MS, Date.now())).flatMap((m) =>
            m.kube ? [m.kube] : [],
          );
        await collect();
        await evaluate();
      } catch (e) {
        o.print(`evaluation failed: ${(e as Error).message}`);
      }
      await Promise.race([stopped, new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())).unref())]);
    }
    await agent.stop();
    const notifications = fs.existsSync(outboxPath) ? readOutbox(outboxPath) : [];
    const record = await buildRunRecord(
      store,
      {
        scenario: {
          name: `${o.cluster} (watched)`,
          description: `The cluster ${o.cluster}, watched through ${o.kubeconfig}; its AWS side ${o.aws ? `read in ${region} with your credentials` : `${SIMULATED_MARK} from its nodes`}. Times count from the start of the watch.`,
        },
        cluster: o.cluster,
        start,
        onset: start,
        end: Date.now(),
        happenings: [],
      },
      notifications,
    );
    return { record, notifications, outboxPath, reportPath: await writeReport(record, o.outDir) };
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', stop);
    await agent.stop();
    await fu.close();
    await receivers?.close();
    await dynamo.close();
  }
}
