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
 * Times are UTC. A local run's clock is simulated, so its "now" is its newest data, not the wall clock.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { increases, shortNode } from '../../local/report/charts';
import { LOCAL_DB_DIR, LOCAL_TABLE, LocalDataInUseError, startDynalite, type LocalDynamo } from '../../local/dynalite';
import { keys } from '../../lambdas/store/keys';
import { VigilStore } from '../../lambdas/store/store';
import { awsEventSubject, awsEventText } from '../../model/aws-event';
import type { ClusterMinute, NodeMinute, WorkloadKind, WorkloadMinute, WorkloadRef } from '../../model/domain';
import { formatBytes, formatDuration, parseDuration, QuantityError } from '../../model/quantity';
import { parseSelector, PEER_FIELDS, peerFieldProblem, peerOutliers, SelectorError, type PeerGrouping, type PeerRow } from '../../model/selector';
import { isoMinute, MINUTE_MS, minuteOf, systemClock, type Clock, type EpochMs } from '../../model/time';
import { UsageError, type Command, type CommandIO } from '../command';

const KINDS = ['containers', 'nodes', 'workloads', 'events'] as const;
type QueryKind = (typeof KINDS)[number];
const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController', 'Node', 'Pod', 'Other'];
/** Reading containers costs about 2 KB per node-minute; a day of a large cluster is already a lot. */
const MAX_CONTAINER_WINDOW_MS = 24 * 3_600_000;
const MAX_WINDOW_MS = 14 * 86_400_000;
/** A history longer than this many rows is summarised in steps. */
const MAX_HISTORY_ROWS = 120;

/** A problem with the data or where it lives (not with the command line): exit code 1, no usage text. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

export type Source = { readonly kind: 'local'; readonly dir: string } | { readonly kind: 'table'; readonly table: string; readonly region: string; readonly profile?: string };

export interface OpenedSource {
  readonly store: VigilStore;
  /** How messages name it, e.g. `the local run in vigil-out/local/db`. */
  readonly description: string;
  /** The clusters stored, when listing them is cheap (a local run: a Scan of a small table). */
  clusters?(): Promise<string[]>;
  /** The same data through a store on another clock (a local run's simulated one: its documents expire by it). */
  at?(clock: Clock): VigilStore;
  close(): Promise<void>;
}

export interface QueryDeps {
  open(source: Source): Promise<OpenedSource>;
  readonly clock: Clock;
}

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

// ---------------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------------

export interface QueryOptions {
  readonly kind: QueryKind;
  readonly source: Source;
  readonly cluster?: string;
  readonly since: { readonly ms: number } | { readonly at: EpochMs };
  readonly until?: { readonly ago: number } | { readonly at: EpochMs };
  readonly select: string;
  readonly metric: 'cpu' | 'memory';
  readonly groupBy: PeerGrouping;
  readonly above: number;
  readonly minGroup: number;
  readonly outliersOnly: boolean;
  readonly node?: string;
  readonly workload?: string;
  readonly namespace?: string;
  readonly stepMs?: number;
  readonly json: boolean;
}

/** `2026-11-23T12:00`, `2026-11-23 12:00:30`, with or without a zone (none = UTC). */
export function parseTime(text: string): EpochMs | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[3] === undefined ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/** Where the data is: the options `vigil query` and `vigil silence` share. */
export const SOURCE_OPTIONS = {
  local: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  cluster: { type: 'string' },
} as const;

/** The source the options name (a local run by default); problems are pushed through `need`. */
export function sourceOf(
  v: { readonly local?: string; readonly table?: string; readonly region?: string; readonly profile?: string; readonly cluster?: string },
  env: Readonly<Record<string, string | undefined>>,
  need: (ok: boolean, problem: string) => unknown,
): Source {
  let source: Source = { kind: 'local', dir: v.local ?? LOCAL_DB_DIR };
  if (v.table !== undefined) {
    need(v.local === undefined, '--local and --table are two different sources: give one');
    const region = v.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    need(!!region, '--table needs --region (or AWS_REGION)');
    need(/^[a-zA-Z0-9_.-]{3,255}$/.test(v.table), `--table "${v.table}" is not a DynamoDB table name`);
    source = { kind: 'table', table: v.table, region: region ?? '', ...(v.profile ? { profile: v.profile } : {}) };
    need(v.cluster !== undefined, '--table needs --cluster: a deployed table can hold several clusters');
  } else {
    need(v.region === undefined && v.profile === undefined, '--region and --profile go with --table');
  }
  if (v.cluster !== undefined) need(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(v.cluster), `--cluster "${v.cluster}" is not an EKS cluster name (letters, digits, - and _)`);
  return source;
}

const parseOptions = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      ...SOURCE_OPTIONS,
      since: { type: 'string' },
      until: { type: 'string' },
      select: { type: 'string' },
      metric: { type: 'string' },
      'group-by': { type: 'string' },
      above: { type: 'string' },
      'min-group': { type: 'string' },
      outliers: { type: 'boolean' },
      node: { type: 'string' },
      workload: { type: 'string' },
      namespace: { type: 'string' },
      step: { type: 'string' },
      json: { type: 'boolean' },
    },
  });

/** Reads the arguments; every problem is reported at once. */
export function parseQueryArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): QueryOptions {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions([...args]);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  const { values: v, positionals } = parsed;
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => (ok ? undefined : problems.push(problem));

  const kind = positionals[0] as QueryKind | undefined;
  need(kind !== undefined && KINDS.includes(kind), kind === undefined ? `say what to query: ${KINDS.join(', ')}` : `"${kind}" is not something to query (${KINDS.join(', ')})`);
  need(positionals.length <= 1, `unexpected argument "${positionals[1]}"`);

  const source = sourceOf(v, env, need);

  const duration = (name: string, text: string): number | undefined => {
    try {
      const ms = parseDuration(text);
      if (ms <= 0) throw new QuantityError(`"${text}" is not a positive duration`);
      return ms;
    } catch (e) {
      problems.push(`--${name}: ${(e as Error).message}`);
      return undefined;
    }
  };
  let since: QueryOptions['since'] = { ms: 3_600_000 };
  if (v.since !== undefined) {
    const at = parseTime(v.since);
    if (at !== undefined) since = { at };
    else if (/^\d{4}-/.test(v.since)) problems.push(`--since: "${v.since}" is not a time (e.g. 2026-11-23T12:00, UTC)`);
    else since = { ms: duration('since', v.since) ?? 0 };
  }
  let until: QueryOptions['until'];
  if (v.until !== undefined && v.until !== 'now') {
    const at = parseTime(v.until);
    if (at !== undefined) until = { at };
    else if (/^\d{4}-/.test(v.until)) problems.push(`--until: "${v.until}" is not a time (e.g. 2026-11-23T12:00, UTC)`);
    else until = { ago: duration('until', v.until) ?? 0 };
  }

  const metric = (v.metric ?? 'cpu') as QueryOptions['metric'];
  need(metric === 'cpu' || metric === 'memory', `--metric "${v.metric}": expected cpu or memory`);
  // Replicas are compared container by container: a sidecar is not an outlier for using more than its app.
  const groupBy = (v['group-by'] ?? 'workload,container').split(',').map((g) => g.trim()).filter(Boolean);
  need(groupBy.length > 0, `--group-by "${v['group-by']}": expected a comma-separated list of ${PEER_FIELDS.join(', ')} or label:<key>`);
  for (const g of groupBy) {
    const problem = peerFieldProblem(g);
    if (problem) problems.push(`--group-by ${problem}`);
  }
  const number = (name: string, text: string | undefined, fallback: number, ok: (n: number) => boolean, what: string): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || !ok(n)) problems.push(`--${name} "${text}": expected ${what}`);
    return n;
  };
  const above = number('above', v.above?.replace(/%$/, ''), 50, (n) => n >= 0, 'a percentage, 0 or more');
  const minGroup = number('min-group', v['min-group'], 3, (n) => Number.isInteger(n) && n >= 1, 'a whole number, 1 or more');
  const select = v.select ?? '';
  try {
    parseSelector(select);
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    problems.push(`--select: ${e.message} (e.g. 'image=web zone=*a app=shop')`);
  }
  let stepMs: number | undefined;
  if (v.step !== undefined) {
    stepMs = duration('step', v.step);
    need(stepMs === undefined || stepMs % MINUTE_MS === 0, `--step "${v.step}": expected whole minutes (1m, 5m, 1h)`);
  }

  // Options that belong to another kind of query are mistakes worth naming, not silently ignored.
  const only: Record<string, QueryKind[]> = {
    select: ['containers'],
    metric: ['containers'],
    'group-by': ['containers'],
    above: ['containers'],
    'min-group': ['containers'],
    outliers: ['containers'],
    node: ['nodes'],
    workload: ['workloads'],
    namespace: ['workloads'],
    step: ['nodes', 'workloads'],
  };
  if (kind && KINDS.includes(kind)) {
    for (const [name, kinds] of Object.entries(only)) {
      if (v[name as keyof typeof v] !== undefined && !kinds.includes(kind)) problems.push(`--${name} is for \`vigil query ${kinds.join('/')}\`, not ${kind}`);
    }
  }
  if (v.workload !== undefined) need(/^[^/\s]+\/(?:[^/\s]+\/)?[^/\s]+$/.test(v.workload), `--workload "${v.workload}": expected NAMESPACE/NAME or NAMESPACE/KIND/NAME`);

  if (problems.length) throw new UsageError(problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`);
  return {
    kind: kind!,
    source,
    cluster: v.cluster,
    since,
    until,
    select,
    metric,
    groupBy: groupBy as PeerGrouping,
    above,
    minGroup,
    outliersOnly: v.outliers ?? false,
    node: v.node,
    workload: v.workload,
    namespace: v.namespace,
    stepMs,
    json: v.json ?? false,
  };
}

// ---------------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------------

/** Opens a local run's data (dynalite would create an empty database where there is none, so that is checked first). */
async function openLocal(dir: string): Promise<OpenedSource> {
  const description = `the local run in ${dir}`;
  if (!fs.existsSync(dir)) throw new QueryError(`no local run data in ${dir}: run \`vigil local\` first, or name the data with --local DIR or --table NAME`);
  let dynamo: LocalDynamo;
  try {
    dynamo = await startDynalite({ path: dir });
  } catch (e) {
    if (e instanceof LocalDataInUseError) throw new QueryError(`${description} is in use by another process (is \`vigil local\` still running? query it when it has finished)`);
    throw new QueryError((e as Error).message);
  }
  return {
    store: new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE }),
    description,
    clusters: () => clustersIn(dynamo.client, LOCAL_TABLE),
    at: (clock) => new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock }),
    close: () => dynamo.close(),
  };
}

function openTable(source: { table: string; region: string; profile?: string }): OpenedSource {
  const client = new DynamoDBClient({ region: source.region, ...(source.profile ? { credentials: defaultProvider({ profile: source.profile }) } : {}) });
  return {
    store: new VigilStore({ client, tableName: source.table }),
    description: `table ${source.table} in ${source.region}`,
    close: async () => client.destroy(),
  };
}

/** The clusters with a heartbeat: one item per cluster, found by a Scan (for small local tables only). */
async function clustersIn(client: DynamoDBClient, table: string): Promise<string[]> {
  const heartbeat = keys.heartbeat('');
  const out: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ProjectionExpression: 'pk', FilterExpression: 'sk = :hb', ExpressionAttributeValues: { ':hb': { S: heartbeat.sk } }, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) if (item.pk.S?.endsWith(heartbeat.pk)) out.push(item.pk.S.slice(0, -heartbeat.pk.length));
    start = page.LastEvaluatedKey;
  } while (start);
  return out.sort();
}

export const defaultQueryDeps: QueryDeps = {
  open: (s) => (s.kind === 'local' ? openLocal(s.dir) : Promise.resolve(openTable(s))),
  clock: systemClock,
};

/** AWS errors a user can act on, said plainly; anything else is left as it is. */
export function explain(e: unknown, source: Source): unknown {
  const name = (e as Error)?.name;
  const where = source.kind === 'table' ? `table ${source.table} in ${source.region}` : `the local run in ${source.dir}`;
  if (name === 'ResourceNotFoundException') {
    return new QueryError(source.kind === 'table' ? `${where} does not exist (check --table and --region)` : `${where} has no Vigil table: was it written by \`vigil local\`?`);
  }
  if (name === 'CredentialsProviderError') return new QueryError(`no AWS credentials found for ${where}: set AWS_PROFILE or pass --profile, or sign in (aws sso login)`);
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'ExpiredTokenException') {
    return new QueryError(`AWS refused to read ${where} (${name}): ${(e as Error).message}`);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------------
// The queries
// ---------------------------------------------------------------------------------------------------

export interface QueryResult {
  readonly text: string;
  readonly json: unknown;
}

interface Context {
  readonly opts: QueryOptions;
  readonly store: VigilStore;
  readonly source: OpenedSource;
  readonly cluster: string;
  readonly from: EpochMs;
  readonly to: EpochMs;
  /** The newest data the cluster has (its agent's last heartbeat). */
  readonly lastSeen?: EpochMs;
}

const utc = (t: EpochMs) => `${isoMinute(t).replace('T', ' ')}`;
const windowText = (c: Context) => `${utc(c.from)} → ${utc(c.to)} UTC (${formatDuration(c.to - c.from + MINUTE_MS)})`;
const pct = (part: number | undefined, whole: number | undefined) => (part === undefined || !whole ? undefined : (part / whole) * 100);
const pctText = (v: number | undefined) => (v === undefined ? '-' : `${v < 10 && v > 0 ? v.toFixed(1) : Math.round(v)}%`);
const iso = (t: EpochMs) => new Date(t).toISOString();

/** Nothing found: says whether the cluster is unknown, has no data in the window, or the filter matched nothing. */
async function nothingFound(c: Context, what: string, hint = ''): Promise<never> {
  if (c.lastSeen === undefined) {
    const known = (await c.source.clusters?.()) ?? [];
    throw new QueryError(
      `cluster "${c.cluster}" is unknown in ${c.source.description}: no agent has reported for it` + (known.length ? ` (clusters stored: ${known.join(', ')})` : ''),
    );
  }
  if (c.lastSeen < c.from) throw new QueryError(`no data for cluster ${c.cluster} from ${windowText(c)}: its newest data is at ${utc(c.lastSeen)} UTC (try --until ${isoMinute(c.lastSeen)})`);
  throw new QueryError(`${what} in cluster ${c.cluster} from ${windowText(c)}${hint}`);
}

/** What the rollups of the window hold, as a hint when a filter matched nothing. */
function seenHint(rollups: readonly ClusterMinute[]): string {
  const nodes = rollups.flatMap((r) => r.kube?.nodes ?? []);
  const list = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
  const zones = list(nodes.map((n) => n.zone));
  const groups = list(nodes.map((n) => n.nodeGroup));
  const namespaces = list(rollups.flatMap((r) => r.kube?.workloads.map((w) => w.namespace) ?? []));
  const parts = [zones.length ? `zones ${zones.join(', ')}` : '', groups.length ? `node groups ${groups.join(', ')}` : '', namespaces.length ? `namespaces ${namespaces.join(', ')}` : ''];
  return parts.some(Boolean) ? ` (the window has ${parts.filter(Boolean).join('; ')})` : '';
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const cpuText = (milli: number) => `${Math.round(milli)}m`;
const signed = (p: number) => `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(0)}%`;

async function queryContainers(c: Context): Promise<QueryResult> {
  const { opts, store } = c;
  if (c.to - c.from > MAX_CONTAINER_WINDOW_MS) {
    throw new UsageError(`a container query reads every node-minute of its window; ${formatDuration(c.to - c.from)} is over ${formatDuration(MAX_CONTAINER_WINDOW_MS)}: narrow --since`);
  }
  const samples = await store.selectContainers(c.cluster, parseSelector(opts.select), c.from, c.to);
  if (samples.length === 0) {
    const rollups = c.lastSeen === undefined ? [] : await store.rollups(c.cluster, c.from, c.to);
    if (c.lastSeen !== undefined && rollups.length === 0) {
      throw new QueryError(`no data for cluster ${c.cluster} from ${windowText(c)}: its newest data is at ${utc(c.lastSeen)} UTC (try --until ${isoMinute(c.lastSeen)})`);
    }
    return nothingFound(c, opts.select ? `no container matches "${opts.select}"` : 'no container', seenHint(rollups));
  }
  const metric = opts.metric === 'cpu' ? 'cpuMilli' : 'memoryWorkingSetBytes';
  const rows = peerOutliers(samples, { groupBy: opts.groupBy, metric, thresholdPct: opts.above, minGroupSize: opts.minGroup });
  if (rows.length === 0) return nothingFound(c, `no container matching "${opts.select}" reported its ${opts.metric}`);
  const shown = opts.outliersOnly ? rows.filter((r) => r.outlier) : rows;
  const outliers = rows.filter((r) => r.outlier).length;
  const groups = new Set(rows.map((r) => r.group)).size;
  const format = (v: number) => (opts.metric === 'cpu' ? cpuText(v) : formatBytes(v));
  const readUnits = store.capacity.readUnits;

  const heading = [
    `Containers of cluster ${c.cluster}${opts.select ? ` matching ${opts.select}` : ''} · ${opts.metric === 'cpu' ? 'CPU (millicores)' : 'memory working set'}, mean over ${windowText(c)}`,
    `Grouped by ${opts.groupBy.join('+')}; ◀ marks a container more than ${opts.above}% above its group's average (groups of ${opts.minGroup} or more).`,
  ];
  const body = shown.map((r) => [
    `${r.namespace}/${r.pod}`,
    r.container,
    shortNode(r.node),
    r.zone ?? '-',
    format(r.value),
    r.groupSize > 1 ? signed(r.abovePct) : '-',
    String(r.minutes),
    r.outlier ? '◀ outlier' : '',
  ]);
  // One aligned table, with a line naming each group above its first row.
  const lines = table(['  POD', 'CONTAINER', 'NODE', 'ZONE', opts.metric === 'cpu' ? 'CPU' : 'MEMORY', 'VS AVG', 'MINUTES', ''], body.map((b) => [`  ${b[0]}`, ...b.slice(1)]), new Set([4, 5, 6])).split('\n');
  const grouped = [lines[0]];
  shown.forEach((r, i) => {
    if (i === 0 || shown[i - 1].group !== r.group) grouped.push(`${r.group} · ${r.groupSize} container${r.groupSize === 1 ? '' : 's'}, average ${format(r.groupAverage)}`);
    grouped.push(lines[i + 1]);
  });
  const summary = `${rows.length} container${rows.length === 1 ? '' : 's'} in ${groups} group${groups === 1 ? '' : 's'}, ${outliers} outlier${outliers === 1 ? '' : 's'}${opts.outliersOnly ? ` (only outliers shown)` : ''} · read ${readUnits} read units from ${c.source.description}`;
  const text = shown.length
    ? [...heading, '', ...grouped, '', summary].join('\n')
    : [...heading, '', `No container is more than ${opts.above}% above its group's average.`, summary].join('\n');
  return {
    text,
    json: {
      cluster: c.cluster,
      from: iso(c.from),
      to: iso(c.to),
      select: opts.select,
      metric: opts.metric,
      unit: opts.metric === 'cpu' ? 'millicores' : 'bytes',
      groupBy: opts.groupBy,
      abovePct: opts.above,
      minGroupSize: opts.minGroup,
      containers: rows.length,
      groups,
      outliers,
      readUnits,
      rows: shown.map((r: PeerRow) => ({ ...r, from: iso(r.from), to: iso(r.to) })),
    },
  };
}

/** Rows per history: one per minute, or per step so a long window stays readable. */
function stepFor(c: Context): number {
  if (c.opts.stepMs) return c.opts.stepMs;
  const minutes = (c.to - c.from) / MINUTE_MS + 1;
  const step = [1, 5, 10, 15, 30, 60, 120, 360, 720, 1440].find((s) => minutes / s <= MAX_HISTORY_ROWS) ?? 1440;
  return step * MINUTE_MS;
}

/** Buckets rows by step; within a step the worst value wins (peaks are what a person looks for). */
function bucket<R extends { minute: EpochMs }>(rows: readonly R[], step: number, merge: (a: R, b: R) => R): R[] {
  const out = new Map<number, R>();
  for (const r of rows) {
    const k = Math.floor(r.minute / step) * step;
    const prev = out.get(k);
    out.set(k, prev ? merge(prev, r) : { ...r, minute: k });
  }
  return [...out.values()].sort((a, b) => a.minute - b.minute);
}
const maxOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

async function queryNodes(c: Context): Promise<QueryResult> {
  return c.opts.node ? nodeHistory(c, c.opts.node) : latestNodes(c);
}

async function latestNodes(c: Context): Promise<QueryResult> {
  const rollups = await c.store.rollups(c.cluster, c.from, c.to);
  const latest = [...rollups].reverse().find((r) => r.kube?.nodes.length);
  if (!latest) return nothingFound(c, 'no node');
  const cloud = [...rollups].reverse().find((r) => r.cloud)?.cloud;
  const hosts = new Map((cloud?.hosts ?? []).map((h) => [h.instanceId, h]));
  const nodes = [...latest.kube!.nodes].sort((a, b) => a.name.localeCompare(b.name)).map((n) => {
    const host = n.instanceId ? hosts.get(n.instanceId) : undefined;
    return {
      name: n.name,
      instanceId: n.instanceId,
      nodeGroup: n.nodeGroup,
      zone: n.zone,
      ready: n.ready,
      problems: n.problems,
      unschedulable: n.unschedulable,
      cpuPct: pct(n.cpuMilli, n.allocatable.cpuMilli),
      memoryPct: pct(n.memoryWorkingSetBytes, n.allocatable.memoryBytes),
      memoryRequestedPct: pct(n.requested.memoryBytes, n.allocatable.memoryBytes),
      diskPct: n.fsCapacityBytes && n.fsAvailableBytes !== undefined ? pct(n.fsCapacityBytes - n.fsAvailableBytes, n.fsCapacityBytes) : undefined,
      pods: n.pods,
      ec2: host ? (host.lifecycleState ?? host.state) : undefined,
      scrapeError: n.scrapeError,
    };
  });
  const rows = nodes.map((n) => [
    shortNode(n.name),
    n.nodeGroup ?? '-',
    n.zone ?? '-',
    n.instanceId ?? '-',
    n.ec2 ?? '-',
    n.ready === 'True' ? 'Ready' : `NotReady${n.ready === 'Unknown' ? ' (Unknown)' : ''}`,
    [...n.problems, ...(n.unschedulable ? ['cordoned'] : []), ...(n.scrapeError ? [`stats: ${n.scrapeError}`] : [])].join(', ') || '-',
    pctText(n.cpuPct),
    pctText(n.memoryPct),
    pctText(n.memoryRequestedPct),
    pctText(n.diskPct),
    String(n.pods),
  ]);
  const notReady = nodes.filter((n) => n.ready !== 'True').length;
  const text = [
    `Nodes of cluster ${c.cluster} at ${utc(latest.minute)} UTC (the newest minute of ${windowText(c)})`,
    'CPU and MEMORY are kubelet usage and MEM REQ the pods\' memory requests, as % of allocatable; DISK is the node filesystem used.',
    '',
    table(['NODE', 'GROUP', 'ZONE', 'INSTANCE', 'EC2', 'READY', 'CONDITIONS', 'CPU', 'MEMORY', 'MEM REQ', 'DISK', 'PODS'], rows, new Set([7, 8, 9, 10, 11])),
    '',
    `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${notReady} not Ready · read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return { text, json: { cluster: c.cluster, at: iso(latest.minute), from: iso(c.from), to: iso(c.to), nodes } };
}

interface NodeRow {
  minute: EpochMs;
  key: string;
  ready: string;
  conditions: string[];
  cpuPct?: number;
  ec2CpuPct?: number;
  memoryPct?: number;
  diskPct?: number;
  pods?: number;
}

async function nodeHistory(c: Context, node: string): Promise<QueryResult> {
  const minutes: NodeMinute[] = await c.store.nodeHistory(c.cluster, node, c.from, c.to);
  if (minutes.length === 0) {
    const rollups = c.lastSeen === undefined ? [] : await c.store.rollups(c.cluster, c.from, c.to);
    const names = [...new Set(rollups.flatMap((r) => r.kube?.nodes.map((n) => n.name) ?? []))].sort();
    return nothingFound(c, `no node "${node}"`, names.length ? ` (nodes in the window: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … ${names.length - 12} more` : ''})` : '');
  }
  const raw: NodeRow[] = minutes.map((m) => {
    const k = m.kube;
    return {
      minute: m.minute,
      key: m.key,
      ready: k?.node.conditions.find((x) => x.type === 'Ready')?.status ?? '-',
      conditions: k?.node.conditions.filter((x) => x.type !== 'Ready' && x.status === 'True').map((x) => x.type) ?? [],
      cpuPct: pct(k?.stats?.cpuMilli, k?.node.allocatable.cpuMilli),
      ec2CpuPct: m.host?.metrics.cpuPct,
      memoryPct: pct(k?.stats?.memoryWorkingSetBytes, k?.node.allocatable.memoryBytes),
      diskPct: k?.stats?.fsCapacityBytes && k.stats.fsAvailableBytes !== undefined ? pct(k.stats.fsCapacityBytes - k.stats.fsAvailableBytes, k.stats.fsCapacityBytes) : undefined,
      pods: k?.pods.length,
    };
  });
  const step = stepFor(c);
  const worse = (a: string, b: string) => (a === 'False' || b === 'False' ? 'False' : a === 'Unknown' || b === 'Unknown' ? 'Unknown' : a === '-' ? b : a);
  const byKey = [...new Set(raw.map((r) => r.key))].map((key) =>
    bucket(
      raw.filter((r) => r.key === key),
      step,
      (a, b) => ({
        ...a,
        ready: worse(a.ready, b.ready),
        conditions: [...new Set([...a.conditions, ...b.conditions])],
        cpuPct: maxOf(a.cpuPct, b.cpuPct),
        ec2CpuPct: maxOf(a.ec2CpuPct, b.ec2CpuPct),
        memoryPct: maxOf(a.memoryPct, b.memoryPct),
        diskPct: maxOf(a.diskPct, b.diskPct),
        pods: maxOf(a.pods, b.pods),
      }),
    ),
  );
  const name = minutes.find((m) => m.kube)?.kube?.node.name ?? node;
  const sections = byKey.map((rows) =>
    [
      `${shortNode(name)} (${rows[0].key})`,
      table(
        ['MINUTE (UTC)', 'READY', 'CONDITIONS', 'CPU', 'EC2 CPU', 'MEMORY', 'DISK', 'PODS'],
        rows.map((r) => [utc(r.minute), r.ready === 'True' ? 'Ready' : r.ready === '-' ? '-' : 'NotReady', r.conditions.join(', ') || '-', pctText(r.cpuPct), pctText(r.ec2CpuPct), pctText(r.memoryPct), pctText(r.diskPct), r.pods === undefined ? '-' : String(r.pods)]),
        new Set([3, 4, 5, 6, 7]),
      ),
    ].join('\n'),
  );
  const text = [
    `Node ${name} of cluster ${c.cluster}, ${windowText(c)}${step > MINUTE_MS ? `, one row per ${formatDuration(step)} (the highest figure of each)` : ''}`,
    'CPU, MEMORY: kubelet usage as % of allocatable; EC2 CPU: CloudWatch CPUUtilization; DISK: node filesystem used.',
    '',
    sections.join('\n\n'),
    '',
    `read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return { text, json: { cluster: c.cluster, node: name, from: iso(c.from), to: iso(c.to), stepMinutes: step / MINUTE_MS, minutes: byKey.flat().map((r) => ({ ...r, minute: iso(r.minute) })) } };
}

const workloadId = (w: WorkloadRef) => `${w.namespace}/${w.kind}/${w.name}`;

async function queryWorkloads(c: Context): Promise<QueryResult> {
  return c.opts.workload ? workloadHistory(c, c.opts.workload) : listWorkloads(c);
}

async function listWorkloads(c: Context): Promise<QueryResult> {
  const rollups = (await c.store.rollups(c.cluster, c.from, c.to)).filter((r) => r.kube);
  if (rollups.length === 0) return nothingFound(c, 'no workload');
  const series = new Map<string, { minute: EpochMs; w: WorkloadMinute }[]>();
  for (const r of rollups) {
    for (const w of r.kube!.workloads) {
      if (c.opts.namespace && w.namespace !== c.opts.namespace) continue;
      series.set(workloadId(w), [...(series.get(workloadId(w)) ?? []), { minute: r.minute, w }]);
    }
  }
  if (series.size === 0) return nothingFound(c, `no workload in namespace ${c.opts.namespace}`, seenHint(rollups));
  const newest = rollups[rollups.length - 1].minute;
  const workloads = [...series.values()].map((points) => {
    const last = points[points.length - 1];
    const first = points[0];
    const restarts = increases(points.map((p) => ({ t: p.minute, v: p.w.restarts })));
    return {
      namespace: last.w.namespace,
      kind: last.w.kind,
      name: last.w.name,
      lastSeen: iso(last.minute),
      gone: last.minute < newest,
      pods: last.w.pods,
      readyPods: last.w.readyPods,
      desired: last.w.desired,
      restartsInWindow: restarts[restarts.length - 1].v ?? 0,
      oomKilled: last.w.oomKilled,
      cpuMilli: last.w.cpuMilli,
      memoryWorkingSetBytes: last.w.memoryWorkingSetBytes,
      memoryChangeBytes: last.w.memoryWorkingSetBytes - first.w.memoryWorkingSetBytes,
    };
  });
  // Trouble first: fewer ready than desired, then restarts, then by name.
  const short = (w: (typeof workloads)[number]) => (w.desired ?? w.pods) - w.readyPods;
  workloads.sort((a, b) => short(b) - short(a) || b.restartsInWindow - a.restartsInWindow || workloadId(a).localeCompare(workloadId(b)));
  const rows = workloads.map((w) => [
    `${w.namespace}/${w.name}`,
    w.kind,
    `${w.readyPods}/${w.desired ?? w.pods}`,
    String(w.restartsInWindow),
    String(w.oomKilled),
    cpuText(w.cpuMilli),
    formatBytes(w.memoryWorkingSetBytes),
    `${w.memoryChangeBytes >= 0 ? '+' : '−'}${formatBytes(Math.abs(w.memoryChangeBytes))}`,
    w.gone ? `gone since ${utc(Date.parse(w.lastSeen))}` : '',
  ]);
  const text = [
    `Workloads of cluster ${c.cluster}${c.opts.namespace ? ` in namespace ${c.opts.namespace}` : ''}, ${windowText(c)}; figures of the newest minute`,
    'READY: ready/desired pods; RESTARTS: container restarts during the window; OOM: containers last killed for memory; MEMORY Δ: change over the window.',
    '',
    table(['WORKLOAD', 'KIND', 'READY', 'RESTARTS', 'OOM', 'CPU', 'MEMORY', 'MEMORY Δ', ''], rows, new Set([2, 3, 4, 5, 6, 7])),
    '',
    `${workloads.length} workload${workloads.length === 1 ? '' : 's'}, ${workloads.filter((w) => short(w) > 0).length} short of ready pods, ${workloads.filter((w) => w.restartsInWindow > 0).length} restarting · read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return { text, json: { cluster: c.cluster, from: iso(c.from), to: iso(c.to), namespace: c.opts.namespace, workloads } };
}

async function workloadHistory(c: Context, text: string): Promise<QueryResult> {
  const parts = text.split('/');
  let ref: WorkloadRef;
  if (parts.length === 3) {
    const kind = WORKLOAD_KINDS.find((k) => k.toLowerCase() === parts[1].toLowerCase());
    if (!kind) throw new UsageError(`--workload "${text}": "${parts[1]}" is not a workload kind (${WORKLOAD_KINDS.join(', ')})`);
    ref = { namespace: parts[0], kind, name: parts[2] };
  } else {
    // No kind given: it is whatever the rollups of the window know by that name.
    const rollups = await c.store.rollups(c.cluster, c.from, c.to);
    const kinds = [...new Set(rollups.flatMap((r) => r.kube?.workloads.filter((w) => w.namespace === parts[0] && w.name === parts[1]).map((w) => w.kind) ?? []))];
    if (kinds.length > 1) throw new UsageError(`--workload "${text}" names ${kinds.length} workloads: say which, as ${kinds.map((k) => `${parts[0]}/${k}/${parts[1]}`).join(' or ')}`);
    if (kinds.length === 0) {
      const inNamespace = [...new Set(rollups.flatMap((r) => r.kube?.workloads.filter((w) => w.namespace === parts[0]).map((w) => w.name) ?? []))].sort();
      return nothingFound(c, `no workload "${text}"`, inNamespace.length ? ` (namespace ${parts[0]} has ${inNamespace.slice(0, 12).join(', ')}${inNamespace.length > 12 ? ', …' : ''})` : seenHint(rollups));
    }
    ref = { namespace: parts[0], kind: kinds[0], name: parts[1] };
  }
  const history = await c.store.workloadHistory(c.cluster, ref, c.from, c.to);
  if (history.length === 0) return nothingFound(c, `no workload ${workloadId(ref)}`);
  const restarts = increases(history.map((h) => ({ t: h.minute, v: h.workload.restarts })));
  const raw = history.map((h, i) => ({ minute: h.minute, ...h.workload, restartsAdded: restarts[i].v! - (i > 0 ? restarts[i - 1].v! : 0) }));
  const step = stepFor(c);
  const rows = bucket(raw, step, (a, b) => ({
    ...b,
    minute: a.minute,
    readyPods: Math.min(a.readyPods, b.readyPods),
    restartsAdded: a.restartsAdded + b.restartsAdded,
    oomKilled: Math.max(a.oomKilled, b.oomKilled),
    cpuMilli: Math.max(a.cpuMilli, b.cpuMilli),
    memoryWorkingSetBytes: Math.max(a.memoryWorkingSetBytes, b.memoryWorkingSetBytes),
  }));
  const out = [
    `Workload ${workloadId(ref)} of cluster ${c.cluster}, ${windowText(c)}${step > MINUTE_MS ? `, one row per ${formatDuration(step)} (fewest ready pods, most memory and CPU of each)` : ''}`,
    '',
    table(
      ['MINUTE (UTC)', 'PODS', 'READY', 'RESTARTS', '+RESTARTS', 'OOM', 'CPU', 'MEMORY'],
      rows.map((r) => [utc(r.minute), String(r.pods), `${r.readyPods}/${r.desired ?? r.pods}`, String(r.restarts), r.restartsAdded ? `+${r.restartsAdded}` : '', String(r.oomKilled), cpuText(r.cpuMilli), formatBytes(r.memoryWorkingSetBytes)]),
      new Set([1, 2, 3, 4, 5, 6, 7]),
    ),
    '',
    `${restarts[restarts.length - 1].v} restarts in the window · read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return { text: out, json: { cluster: c.cluster, workload: ref, from: iso(c.from), to: iso(c.to), stepMinutes: step / MINUTE_MS, minutes: rows.map((r) => ({ ...r, minute: iso(r.minute) })) } };
}

/** The cluster's AWS events that happened in the window, oldest first. */
async function queryEvents(c: Context): Promise<QueryResult> {
  const events = (await c.store.awsEvents(c.cluster, c.from)).filter((e) => e.time < c.to + MINUTE_MS).sort((a, b) => a.time - b.time);
  if (events.length === 0) return nothingFound(c, 'no AWS events');
  const text = [
    `AWS events of cluster ${c.cluster}, ${windowText(c)}`,
    '',
    table(['time (UTC)', 'instance or group', 'event'], events.map((e) => [iso(e.time).slice(0, 19).replace('T', ' '), awsEventSubject(e), awsEventText(e)])),
  ].join('\n');
  return { text, json: { cluster: c.cluster, from: iso(c.from), to: iso(c.to), events: events.map((e) => ({ ...e, time: iso(e.time), text: awsEventText(e) })) } };
}

const QUERIES: Record<QueryKind, (c: Context) => Promise<QueryResult>> = { containers: queryContainers, nodes: queryNodes, workloads: queryWorkloads, events: queryEvents };

// ---------------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------------

export async function resolveCluster(opts: { readonly cluster?: string }, source: OpenedSource): Promise<string> {
  if (opts.cluster) return opts.cluster;
  const clusters = (await source.clusters?.()) ?? [];
  if (clusters.length === 1) return clusters[0];
  if (clusters.length === 0) throw new QueryError(`${source.description} holds no cluster's data yet`);
  throw new UsageError(`${source.description} holds ${clusters.length} clusters: pick one with --cluster (${clusters.join(', ')})`);
}

/** The window: a local run ends at its newest data (its clock was simulated), a table at the present. */
function resolveWindow(opts: QueryOptions, now: EpochMs, lastSeen: EpochMs | undefined, local: boolean): { from: EpochMs; to: EpochMs } {
  const reference = local && lastSeen !== undefined ? lastSeen : now;
  const until = opts.until === undefined ? reference : 'at' in opts.until ? opts.until.at : reference - opts.until.ago;
  const to = minuteOf(until);
  const from = 'at' in opts.since ? minuteOf(opts.since.at) : minuteOf(until - opts.since.ms) + MINUTE_MS;
  if (from > to) throw new UsageError(`the window is empty: --since ${utc(from)} is after --until ${utc(to)} UTC`);
  if (to - from > MAX_WINDOW_MS) throw new UsageError(`the window ${formatDuration(to - from)} is longer than the ${formatDuration(MAX_WINDOW_MS)} Vigil keeps by default: narrow --since`);
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
