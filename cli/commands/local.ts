import { parseArgs } from 'util';
import { formatDuration, parseDuration, type QuantityError } from '../../model/quantity';
import { LOCAL_OUT_DIR, localDbDir } from '../../local/dynalite';
import type { RunRecord } from '../../local/report/run-record';
import { runScenario, relative } from '../../local/run';
import type { Unmet } from '../../local/scenario/expect';
import { DEFAULT_SCENARIO, loadScenario } from '../../local/scenario/load';
import { ScenarioError } from '../../local/scenario/format';
import { watchCluster } from '../../local/watch';
import type { OutboxEntry } from '../../sim/notify/outbox';
import { RECEIVER_KINDS, receiverKindsOf, type ReceiverKind } from '../../sim/notify/receivers';
import { UsageError, type Command, type CommandIO } from '../command';

const DEFAULT_SPEED = 60;

const USAGE = `Usage: vigil local [--scenario NAME|FILE] [--speed N|max] [--duration D] [--out DIR] [--receivers LIST]
       vigil local --kubeconfig FILE --cluster NAME [--aws] [--region R] [--duration D] [--out DIR] [--receivers LIST]

Runs the whole of Vigil on this machine: an embedded DynamoDB (dynalite), the real agent, the real
ingest, collector and evaluator code, and notifications printed here and written to an outbox file.

With a scenario (the default: "${DEFAULT_SCENARIO}", the cascading outage Vigil exists for), the cluster and
AWS account are simulated and the scenario replays on an accelerated clock. At the end: a summary of
the alerts, timed from the incident's onset, and a self-contained HTML report to open in a browser.

With --kubeconfig, the agent watches a real cluster in real time instead; the AWS side (EKS, EC2, Auto
Scaling, CloudWatch) is read with your AWS credentials with --aws, and is otherwise simulated from the
cluster's nodes (no AWS call; host figures are the kubelet's). Ctrl-C or --duration ends the watch with
the same summary and report.

Options:
  --scenario NAME|FILE  a shipped scenario (vigil scenario list) or a scenario file
  --speed N|max         simulated seconds per real second (default ${DEFAULT_SPEED}; max: as fast as the CPU allows)
  --duration D          stop after this simulated time, e.g. 30m (default: the scenario's)
  --out DIR             where the outbox, report and data go (default ${LOCAL_OUT_DIR})
  --receivers LIST      also deliver each message through the real receiver functions to loopback
                        receivers, some of ${RECEIVER_KINDS.join(',')}; the outbox records what each received
  --kubeconfig FILE     watch the cluster of this kubeconfig instead of a simulation
  --cluster NAME        the cluster's EKS name (with --kubeconfig)
  --aws                 read the cluster's AWS side with your credentials (with --kubeconfig;
                        default: simulate it from the cluster's nodes)
  --region R            the cluster's region (with --aws; default AWS_REGION)`;

export const localCommand: Command = {
  words: ['local'],
  summary: 'run Vigil locally: a simulated outage (default) or a real cluster',
  usage: USAGE,
  run: async (args, io) => {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: [...args],
        options: {
          scenario: { type: 'string' },
          speed: { type: 'string' },
          duration: { type: 'string' },
          out: { type: 'string' },
          kubeconfig: { type: 'string' },
          cluster: { type: 'string' },
          aws: { type: 'boolean' },
          region: { type: 'string' },
          receivers: { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const problems: string[] = [];
    const outDir = (values.out as string | undefined) ?? LOCAL_OUT_DIR;
    let receivers: ReceiverKind[] = [];
    try {
      receivers = values.receivers === undefined ? [] : receiverKindsOf(values.receivers as string);
    } catch (e) {
      problems.push(`--receivers: ${(e as Error).message}`);
    }
    let duration: string | undefined;
    if (values.duration !== undefined) {
      try {
        parseDuration(values.duration as string);
        duration = values.duration as string;
      } catch (e) {
        problems.push(`--duration: ${(e as QuantityError).message}`);
      }
    }
    if (values.kubeconfig !== undefined) {
      if (values.scenario !== undefined || values.speed !== undefined)
        problems.push('--scenario and --speed are for simulations; --kubeconfig watches a real cluster in real time');
      if (!values.cluster) problems.push('--cluster NAME is required with --kubeconfig (the EKS cluster name)');
      if (problems.length) throw new UsageError(problems.join('; '));
      const started = Date.now();
      const result = await watchCluster({
        kubeconfig: values.kubeconfig as string,
        cluster: values.cluster as string,
        aws: values.aws === true,
        region: (values.region as string | undefined) ?? process.env.AWS_REGION,
        ...(duration ? { duration } : {}),
        outDir,
        receivers,
        print: (t) => io.out(t),
      });
      printSummary(io, {
        ...result,
        since: 'times from the start of the watch',
        elapsedMs: Date.now() - started,
        dbDir: localDbDir(outDir),
      });
      return 0;
    }
    if (values.cluster !== undefined || values.aws !== undefined || values.region !== undefined)
      problems.push('--cluster, --aws and --region go with --kubeconfig');
    let speed = DEFAULT_SPEED;
    if (values.speed !== undefined) {
      speed = values.speed === 'max' ? Number.POSITIVE_INFINITY : Number(values.speed);
      if (!(speed > 0)) problems.push(`--speed must be a positive number or "max", got "${values.speed}"`);
    }
    if (problems.length) throw new UsageError(problems.join('; '));

    let scenario;
    try {
      scenario = loadScenario((values.scenario as string | undefined) ?? DEFAULT_SCENARIO);
    } catch (e) {
      if (e instanceof ScenarioError) {
        io.err(e.message);
        return 1;
      }
      throw e;
    }
    const started = Date.now();
    const result = await runScenario({
      scenario,
      speed,
      ...(duration ? { duration } : {}),
      outDir,
      dataDir: localDbDir(outDir),
      receivers,
      print: (t) => io.out(t),
    });
    const w = result.world;
    printSummary(io, {
      ...result,
      since: `times from the incident's onset, +${formatDuration(w.onset - w.start) || '0m'} into the run`,
      nodeLabel: (name) => w.nodeRef(name) ?? name,
      elapsedMs: Date.now() - started,
      dbDir: localDbDir(outDir),
    });
    return 0;
  },
};

interface Summary {
  readonly record: RunRecord;
  /** What the times count from, for the heading. */
  readonly since: string;
  /** How the table names a node (a scenario's `<group>/<index>`). @default its name */
  readonly nodeLabel?: (name: string) => string;
  /** A scenario's unmet expectations; absent for a watched cluster. */
  readonly unmet?: readonly Unmet[];
  readonly notifications: readonly OutboxEntry[];
  readonly outboxPath: string;
  readonly reportPath?: string;
  readonly dbDir: string;
  readonly elapsedMs: number;
}

/** The end of a run: every alert timed from the onset, then where its outbox, report and data are. */
function printSummary(io: CommandIO, r: Summary): void {
  io.out(`\n${'═'.repeat(72)}\nWhat Vigil said (${r.since})\n`);
  const rows = r.record.alerts;
  if (rows.length === 0) io.out('  nothing: no alert fired.');
  const subject = (s: Readonly<Record<string, string>>) =>
    Object.entries(s)
      .filter(([k]) => k !== 'cluster')
      .map(([k, v]) => `${k}=${k === 'node' && r.nodeLabel ? r.nodeLabel(v) : v}`)
      .join(' ');
  const width = Math.max(0, ...rows.map((a) => a.rule.length));
  for (const a of rows) {
    io.out(
      `  ${relative(a.t, r.record.onset)}  ${a.phase === 'firing' ? a.severity.padEnd(8) : 'resolved'}  ${a.rule.padEnd(width)}  ${subject(a.subject)}`,
    );
  }
  if (r.unmet) {
    io.out('');
    if (r.unmet.length === 0) io.out(`Every expectation of the scenario was met.`);
    else {
      io.out(`Unmet expectations of the scenario:`);
      for (const u of r.unmet) io.out(`  - ${u.message}`);
    }
  }
  io.out(`\n${r.notifications.length} messages in the outbox: ${r.outboxPath}`);
  if (r.reportPath) io.out(`Report (open it in a browser): ${r.reportPath}`);
  io.out(`Stored data, for \`npx vigil query … --local ${r.dbDir}\`: ${r.dbDir}`);
  io.out(`Ran in ${(r.elapsedMs / 1000).toFixed(1)} s.`);
}
