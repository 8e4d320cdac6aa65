/** `vigil query`'s command line: what to query, where the data is, the window and each kind's options. */
import { parseArgs } from 'util';
import { LOCAL_DB_DIR } from '../../local/dynalite';
import { parseDuration, QuantityError } from '../../model/quantity';
import { parseSelector, PEER_FIELDS, peerFieldProblem, SelectorError, type PeerGrouping } from '../../model/selector';
import { MINUTE_MS, type EpochMs } from '../../model/time';
import { UsageError } from '../command';
import type { Source } from './sources';

export const KINDS = ['containers', 'nodes', 'workloads', 'events'] as const;
export type QueryKind = (typeof KINDS)[number];

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
  if (v.cluster !== undefined)
    need(
      /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(v.cluster),
      `--cluster "${v.cluster}" is not an EKS cluster name (letters, digits, - and _)`,
    );
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
  need(
    kind !== undefined && KINDS.includes(kind),
    kind === undefined ? `say what to query: ${KINDS.join(', ')}` : `"${kind}" is not something to query (${KINDS.join(', ')})`,
  );
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
  const groupBy = (v['group-by'] ?? 'workload,container')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
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
      if (v[name as keyof typeof v] !== undefined && !kinds.includes(kind))
        problems.push(`--${name} is for \`vigil query ${kinds.join('/')}\`, not ${kind}`);
    }
  }
  if (v.workload !== undefined)
    need(/^[^/\s]+\/(?:[^/\s]+\/)?[^/\s]+$/.test(v.workload), `--workload "${v.workload}": expected NAMESPACE/NAME or NAMESPACE/KIND/NAME`);

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
