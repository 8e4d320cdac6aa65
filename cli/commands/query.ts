/**
 * `vigil query`: label and tag queries over what Vigil stored, read through the store's own queries.
 * The data is a local run's (the dynalite directory `vigil local` keeps) or a deployed table's, read with
 * the user's AWS credentials.
 *
 * - `containers`: containers matching a selector, one metric averaged over the window, grouped, and those
 *   far above their group's average marked (the model's `peerOutliers`, as the evaluator's rule uses it).
 * - `nodes`: every node's latest figures from the cluster rollup; with `--node`, one node minute by minute.
 * - `workloads`: every workload's figures and restarts in the window; with `--workload`, one workload's
 *   history from the rollups.
 *
 * Modules: `cli/query/` holds the arguments (args.ts), the data sources (sources.ts), one module per kind
 * and what they share (context.ts); `cli/table.ts` lays out the text tables.
 *
 * Times are UTC. A local run's clock is simulated, so its "now" is its newest data, not the wall clock.
 */
import { LOCAL_DB_DIR } from '../../local/dynalite';
import { formatDuration } from '../../model/quantity';
import { MINUTE_MS, minuteOf, utc, type EpochMs } from '../../model/time';
import { UsageError, type Command, type CommandIO } from '../command';
import { parseQueryArgs, type QueryKind, type QueryOptions } from '../query/args';
import { queryContainers } from '../query/containers';
import { MAX_HISTORY_ROWS, type Context, type QueryResult } from '../query/context';
import { queryEvents } from '../query/events';
import { queryNodes } from '../query/nodes';
import { defaultQueryDeps, explain, QueryError, resolveCluster, type OpenedSource, type QueryDeps } from '../query/sources';
import { queryWorkloads } from '../query/workloads';
import { utcCell } from '../table';

const MAX_WINDOW_MS = 14 * 86_400_000;

const USAGE = `Usage: vigil query <containers|nodes|workloads|events> [options]

Label and tag queries over what Vigil stored: a local run's data, or a deployed table.

What:
  containers   containers matching --select: a metric averaged over the window, grouped,
               with those far above their group's average marked
  nodes        every node's latest figures; with --node, one node minute by minute
  workloads    every workload's figures and restarts; with --workload, one workload minute by minute
  events       the cluster's AWS events on its timeline (Spot warnings, instance state changes,
               Auto Scaling launches and terminations, AWS Health scheduled changes)

Where (default: the last \`vigil local\` run):
  --local DIR            a local run's data (default ${LOCAL_DB_DIR})
  --table NAME           a deployed Vigil table, read with your AWS credentials
                         (needs dynamodb:Query, dynamodb:GetItem and dynamodb:BatchGetItem on it)
  --region REGION        the table's region (default AWS_REGION)
  --profile NAME         an AWS profile (default: the standard credential chain)
  --cluster NAME         the EKS cluster (optional for a local run that holds one cluster)

When (times are UTC: 2026-11-23T12:00, or 2026-11-23 12:00):
  --since 1h|TIME        the window's length back from --until, or its start (default 1h)
  --until TIME|30m       the window's end, or that long before the newest data of a local run
                         (before now for a table); default: the newest data (local), now (table)

containers:
  --select 'image=web zone=*a'
                         tags (namespace, workload, pod, container, image, node, zone, nodeGroup,
                         instanceType, capacityType) or pod labels (app=web, label:app=web); * matches
                         anything; every term must match (default: every container)
  --metric cpu|memory    what to compare (default cpu)
  --group-by LIST        comma-separated: workload, image, zone, namespace, nodeGroup, container, label:<key>
                         (default workload,container: replicas of the same container compared)
  --above PCT            mark containers more than PCT% above their group's average (default 50)
  --min-group N          groups smaller than this are never marked (default 3)
  --outliers             print only the marked containers

nodes:
  --node NAME|i-…        one node's history
  --step 5m              time per row of a history (default: a minute, coarser past ${MAX_HISTORY_ROWS} rows)

workloads:
  --workload NS/NAME     one workload's history (or NS/KIND/NAME when a name has two kinds)
  --namespace NS         only this namespace
  --step 5m              as for nodes

Output:
  --json                 JSON instead of a table

Examples:
  vigil query containers --select 'image=web zone=*a' --since 1h --group-by workload --above 50
  vigil query containers --metric memory --group-by image,zone --outliers
  vigil query nodes --table vigil --region eu-west-1 --cluster prod
  vigil query nodes --node ip-10-0-1-11.eu-west-1.compute.internal --since 3h
  vigil query workloads --workload shop/cart --since 6h --step 10m
  vigil query events --since 3h`;

const QUERIES: Record<QueryKind, (c: Context) => Promise<QueryResult>> = {
  containers: queryContainers,
  nodes: queryNodes,
  workloads: queryWorkloads,
  events: queryEvents,
};

/** The window: a local run ends at its newest data (its clock was simulated), a table at the present. */
function resolveWindow(opts: QueryOptions, now: EpochMs, lastSeen: EpochMs | undefined, local: boolean): { from: EpochMs; to: EpochMs } {
  const reference = local && lastSeen !== undefined ? lastSeen : now;
  const until = opts.until === undefined ? reference : 'at' in opts.until ? opts.until.at : reference - opts.until.ago;
  const to = minuteOf(until);
  const from = 'at' in opts.since ? minuteOf(opts.since.at) : minuteOf(until - opts.since.ms) + MINUTE_MS;
  if (from > to) throw new UsageError(`the window is empty: --since ${utcCell(from)} is after --until ${utc(to)}`);
  if (to - from > MAX_WINDOW_MS)
    throw new UsageError(
      `the window ${formatDuration(to - from)} is longer than the ${formatDuration(MAX_WINDOW_MS)} Vigil keeps by default: narrow --since`,
    );
  return { from, to };
}

export function createQueryCommand(deps: QueryDeps = defaultQueryDeps): Command {
  return {
    words: ['query'],
    summary: 'query stored containers, nodes, workloads and AWS events (a local run or a deployed table)',
    usage: USAGE,
    async run(args: readonly string[], io: CommandIO): Promise<number> {
      if (args.includes('--help') || args.includes('-h')) {
        io.out(USAGE);
        return 0;
      }
      const opts = parseQueryArgs(args);
      let source: OpenedSource | undefined;
      try {
        source = await deps.open(opts.source);
        const cluster = await resolveCluster(opts, source);
        const heartbeat = await source.store.heartbeat(cluster);
        const { from, to } = resolveWindow(opts, deps.clock.now(), heartbeat?.lastSeen, opts.source.kind === 'local');
        const result = await QUERIES[opts.kind]({ opts, store: source.store, source, cluster, from, to, lastSeen: heartbeat?.lastSeen });
        io.out(opts.json ? JSON.stringify(result.json, null, 2) : result.text);
        return 0;
      } catch (e) {
        const err = explain(e, opts.source);
        if (err instanceof QueryError) {
          io.err(`vigil query: ${err.message}`);
          return 1;
        }
        throw err;
      } finally {
        await source?.close();
      }
    },
  };
}

export const queryCommand = createQueryCommand();
