/**
 * One run of a scenario through the whole pipeline, in this process: the simulated world (Kubernetes on
 * loopback HTTPS, an AWS account), the real agent watching it and pushing SigV4-signed batches to a
 * loopback Function URL, the real ingest, collector, AWS events and evaluator handlers on an embedded dynalite, and
 * notifications going to an outbox instead of SNS. Time is a manual clock, one simulated minute at a time:
 * at :00 the world moves, at :30 the agent collects and pushes, at :40 the collector reads AWS, at :45 the
 * account's EventBridge events are filed, at :50 the evaluator decides.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createLogger, type Logger } from '../common/log';
import { createAwsEventsHandler } from '../lambdas/aws-events/aws-events';
import { createCollectorHandler } from '../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../lambdas/collector/config';
import { resolveRules } from '../lambdas/evaluator/config';
import { createEvaluatorHandler } from '../lambdas/evaluator/evaluator';
import { VigilStore } from '../lambdas/store/store';
import { addSilence } from '../lambdas/store/silences';
import { ManualClock, MINUTE_MS, minuteOf, type EpochMs } from '../model/time';
import { formatDuration, parseDuration } from '../model/quantity';
import { readAgentConfig } from '../agent/config';
import { createAgentRuntime } from '../agent/runtime';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { startSimKube } from '../sim/kube/env';
import { OutboxPublisher, readOutbox, type OutboxEntry } from '../sim/notify/outbox';
import { startLoopbackReceivers, type ReceiverKind } from '../sim/notify/receivers';
import { rng } from '../sim/synthetic';
import { LOCAL_REGION, LOCAL_TABLE, startDynalite } from './dynalite';
import { startLocalIngest } from './ingest';
import type { FunctionUrl, RefusedRequest } from '../sim/aws/function-url';
import { buildRunRecord, subjectLabels } from './record';
import { writeReport } from './report/html';
import type { RunRecord, SilencedMark } from './report/run-record';
import { checkExpectations, type Unmet } from './scenario/expect';
import { LOCAL_RECEIVERS, type Scenario } from './scenario/format';
import { World } from './world';

export interface RunOptions {
  readonly scenario: Scenario;
  /** Simulated seconds per real second. @default Infinity: as fast as the CPU allows */
  readonly speed?: number;
  /** Simulate this long instead of the scenario's duration. */
  readonly duration?: string;
  /** Keep the data on disk here (for `vigil query`); absent = in memory. */
  readonly dataDir?: string;
  /** Where the outbox and the report go. */
  readonly outDir: string;
  /** Progress lines and notifications as a person reads them; absent = quiet. */
  readonly print?: (text: string) => void;
  /** @default true */
  readonly report?: boolean;
  /** Loopback receivers each message also goes to, through the real receiver functions. @default none */
  readonly receivers?: readonly ReceiverKind[];
}

export interface RunResult {
  readonly world: World;
  readonly notifications: readonly OutboxEntry[];
  readonly record: RunRecord;
  readonly unmet: readonly Unmet[];
  readonly outboxPath: string;
  readonly reportPath?: string;
  /** Agent requests refused before reaching ingest: a bad signature, too large (must be none). */
  readonly refusedRequests: readonly RefusedRequest[];
}

export async function runScenario(opts: RunOptions): Promise<RunResult> {
  const s = opts.scenario;
  const print = opts.print;
  const quiet: Logger = createLogger({ service: 'vigil-local', sink: () => undefined });
  const clock = new ManualClock(Date.parse(s.start));
  const world = new World(s, clock);
  const end = opts.duration ? world.start + parseDuration(opts.duration) : world.end;

  fs.mkdirSync(opts.outDir, { recursive: true });
  const outboxPath = path.join(opts.outDir, `outbox-${s.name}.jsonl`);
  fs.rmSync(outboxPath, { force: true });
  if (opts.dataDir) {
    fs.rmSync(opts.dataDir, { recursive: true, force: true });
    fs.mkdirSync(opts.dataDir, { recursive: true });
  }
  const dynamo = await startDynalite(opts.dataDir ? { path: opts.dataDir } : {});
  for (const ns of s.cluster.namespaces) world.kube.setNamespace(ns.name, ns.labels);
  const kube = await startSimKube({ cluster: world.kube });
  const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock, logger: quiet });
  let fu: FunctionUrl | undefined;
  const receivers = opts.receivers?.length ? await startLoopbackReceivers(opts.receivers, quiet, clock) : undefined;
  const agentRef: { stop?: () => Promise<void> } = {};
  try {
    await dynamo.createTable(LOCAL_TABLE);
    const clusters = [{ name: world.cluster, region: s.cluster.region }];
    const ingest = await startLocalIngest({ store, clock, logger: quiet, cluster: world.cluster });
    fu = ingest.functionUrl;
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    const agent = createAgentRuntime(
      readAgentConfig({ VIGIL_CLUSTER: world.cluster, VIGIL_INGEST_URL: fu.url, AWS_REGION: LOCAL_REGION }),
      { kubeConfig: kc, credentials: ingest.agentCredentials, clock, logger: quiet, random: rng(7) },
    );
    agentRef.stop = () => agent.stop();
    await agent.watch();

    const collect = createCollectorHandler({
      store,
      clusters,
      defaultRegion: s.cluster.region,
      aws: (_region, calls) => world.account.apis(calls),
      hostMetrics: { ...DEFAULT_HOST_METRICS, periodMinutes: s.cluster.nodeGroups.every((g) => g.detailedMonitoring) ? 1 : 5 },
      clock,
      logger: quiet,
    });
    // EventBridge: the account's events go to the real AWS events function seconds after they happen.
    const fileAwsEvent = createAwsEventsHandler({ store, clusters, collectorEveryMinutes: 1, clock, logger: quiet });
    let eventsTo = world.start;
    const publisher = new OutboxPublisher({
      file: outboxPath,
      now: () => clock.now(),
      receivers,
      ...(print ? { print: (t: string) => print(t) } : {}),
    });
    const evaluate = createEvaluatorHandler({
      store,
      publisher,
      clock,
      logger: quiet,
      rules: resolveRules(),
      emit: () => undefined,
      clusters,
      hostPeriodMinutes: s.cluster.nodeGroups.every((g) => g.detailedMonitoring) ? 1 : 5,
      ...(s.routes ? { routes: { receivers: s.routes.receivers ?? [...LOCAL_RECEIVERS], routes: s.routes.routes } } : {}),
    });

    // Alerts silences held quiet, first seen: the report shows them, as nothing was sent about them.
    const held = new Map<string, SilencedMark>();
    const realStart = Date.now();
    print?.(`Scenario ${s.name}: ${s.description}`);
    print?.(
      `Simulating ${formatDuration(end - world.start)} of cluster ${world.cluster}${opts.speed && Number.isFinite(opts.speed) ? ` at ${opts.speed}× speed` : ''}; onset at +${formatDuration(world.onset - world.start)}.\n`,
    );
    let notes = 0;
    for (let m = world.start; m < end; m += MINUTE_MS) {
      clock.set(m);
      world.step();
      // A silence the timeline added is stored as `vigil silence add` stores it.
      for (const x of world.silences.splice(0))
        await addSilence(store, world.cluster, { ...x, author: 'scenario', createdAt: clock.now() });
      syncKubeletFaults(world, kube.kubelets);
      for (; notes < world.notes.length; notes++) print?.(`${relative(world.notes[notes].t, world.onset)}  ${world.notes[notes].text}`);
      await kube.kubelets.ready();
      await agent.caughtUp(world.kube.resourceVersion);
      clock.set(m + 30_000);
      if (world.agentRunning) await agent.cycle();
      clock.set(m + 40_000);
      await collect();
      clock.set(m + 45_000);
      for (const e of world.account.eventsBetween(eventsTo, clock.now())) await fileAwsEvent(e);
      eventsTo = clock.now();
      clock.set(m + 50_000);
      for (const a of (await evaluate()).clusters.flatMap((c) => c.silenced)) {
        const key = `${a.id}|${a.silence}`;
        if (!held.has(key))
          held.set(key, {
            t: m,
            rule: a.rule,
            severity: a.severity,
            summary: a.summary,
            subject: subjectLabels(a.subject),
            silence: a.silence,
          });
      }
      if (print && (m - world.start) % (5 * MINUTE_MS) === 0) print(progress(world, m));
      if (opts.speed && Number.isFinite(opts.speed)) {
        const due = realStart + (m + MINUTE_MS - world.start) / opts.speed;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    }
    clock.set(end);
    const notifications = fs.existsSync(outboxPath) ? readOutbox(outboxPath) : [];
    const record = await buildRunRecord(
      store,
      {
        scenario: { name: s.name, description: s.description },
        cluster: world.cluster,
        start: world.start,
        onset: world.onset,
        end,
        happenings: world.notes.filter((n) => n.kind === 'happening').map((n) => ({ t: n.t, text: n.text })),
        silenced: [...held.values()],
      },
      notifications,
    );
    const unmet = checkExpectations(s, world, notifications);
    const reportPath = opts.report === false ? undefined : await writeReport(record, opts.outDir);
    return { world, notifications, record, unmet, outboxPath, reportPath, refusedRequests: fu.refused };
  } finally {
    await agentRef.stop?.();
    await fu?.close();
    await receivers?.close();
    await kube.close();
    await dynamo.close();
  }
}

function syncKubeletFaults(
  world: World,
  kubelets: { setFault(node: string, f: { status: number }): void; clearFault(node: string): void },
): void {
  for (const node of world.kube.nodeModels.keys()) {
    if (world.kubeletUp(node)) kubelets.clearFault(node);
    else kubelets.setFault(node, { status: 503 });
  }
}

/** `-5m`, `+12m`: a time relative to the onset. */
export function relative(t: EpochMs, onset: EpochMs): string {
  const d = minuteOf(t) - minuteOf(onset);
  return `${d < 0 ? '-' : '+'}${d === 0 ? '0m' : formatDuration(Math.abs(d))}`.padStart(7);
}

function progress(world: World, t: EpochMs): string {
  const nodes = [...world.kube.nodeModels.values()];
  const ready = nodes.filter((n) => n.conditions.get('Ready')?.status === 'True').length;
  const pressure = nodes.filter((n) =>
    ['MemoryPressure', 'DiskPressure', 'PIDPressure'].some((c) => n.conditions.get(c)?.status === 'True'),
  ).length;
  const pods = [...world.kube.podModels.values()];
  const pending = pods.filter((p) => p.phase === 'Pending').length;
  const evicted = pods.filter((p) => p.reason === 'Evicted').length;
  return `${relative(t, world.onset)}  nodes ready ${ready}/${nodes.length}, under pressure ${pressure}; pods running ${pods.filter((p) => p.phase === 'Running').length}, pending ${pending}, evicted ${evicted}`;
}
