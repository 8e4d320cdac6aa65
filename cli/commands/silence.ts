/**
 * `vigil silence add|list|expire`: silences in a deployed table (with the user's AWS credentials) or in a
 * local run's data. A silence stops messages about the alerts it matches from its start to its end; the
 * evaluator still tracks them, and tells what still fires when it ends. A local run's clock was simulated,
 * so there "now" is its newest data.
 */
import { parseArgs } from 'util';
import { ALERT_KIND, type AlertDoc } from '../../lambdas/evaluator/state';
import { addSilence, expireSilence, listSilences, SilenceError } from '../../lambdas/store/silences';
import { matchersText, parseMatchers, SILENCE_LABELS, type Silence } from '../../model/silence';
import { formatDuration, parseDuration } from '../../model/quantity';
import { utc, type EpochMs } from '../../model/time';
import { UsageError, type Command, type CommandIO } from '../command';
import { parseTime, SOURCE_OPTIONS, sourceOf } from '../query/args';
import { defaultQueryDeps, explain, QueryError, resolveCluster, type OpenedSource, type QueryDeps, type Source } from '../query/sources';
import { table, utcCell } from '../table';

const WHERE = `Where (default: the last \`vigil local\` run):
  --local DIR            a local run's data (its clock was simulated: "now" is its newest data)
  --table NAME           a deployed Vigil table, with your AWS credentials
                         (add needs dynamodb:PutItem, list dynamodb:Query, expire dynamodb:GetItem and PutItem)
  --region REGION        the table's region (default AWS_REGION)
  --profile NAME         an AWS profile (default: the standard credential chain)
  --cluster NAME         the EKS cluster (optional for a local run that holds one cluster)`;

const ADD_USAGE = `Usage: vigil silence add --match LABEL=PATTERN… --for DURATION|--until TIME --comment TEXT [options]

Stops messages about the alerts that match, from --start to the end. Their state is still tracked and shown
(report, vigil query, dashboards); what still fires when the silence ends is told once.

  --match LABEL=PATTERN  repeatable; every one must match. Labels: ${SILENCE_LABELS.join(', ')}.
                         * matches anything; a workload matches by Kind/name or name (workload=cart)
  --for 2h               how long, from the start
  --until TIME           or when it ends (UTC: 2026-11-23T18:00)
  --start TIME           when it begins (default now)
  --comment TEXT         why (required: whoever is woken next reads it)
  --author NAME          who (default $USER)
  --json                 the silence as JSON

${WHERE}

Examples:
  vigil silence add --table vigil --region eu-west-1 --cluster prod \\
    --match node=ip-10-0-1-5.eu-west-1.compute.internal --for 2h --comment "replacing the disk"
  vigil silence add --cluster prod --match namespace=batch-* --match rule=container-* --for 30m --comment "batch migration"`;

const LIST_USAGE = `Usage: vigil silence list [--all] [options]

The cluster's silences in force or to come (with --all, also those ended in the last day), each with the
number of firing alerts it holds quiet (their ids with --json).

  --all                  include ended silences
  --json                 JSON instead of a table

${WHERE}`;

const EXPIRE_USAGE = `Usage: vigil silence expire ID [options]

Ends a silence now (one that has not started never will). What it silenced and still fires is told at the
next evaluation.

  --json                 the silence as JSON

${WHERE}`;

type Verb = 'add' | 'list' | 'expire';

interface SilenceOptions {
  readonly verb: Verb;
  readonly source: Source;
  readonly cluster?: string;
  readonly json: boolean;
  readonly all: boolean;
  readonly id?: string;
  readonly matchers?: Silence['matchers'];
  readonly start?: EpochMs;
  readonly length?: { readonly ms: number } | { readonly until: EpochMs };
  readonly author?: string;
  readonly comment?: string;
}

const VERB_OPTIONS = {
  add: {
    match: { type: 'string', multiple: true },
    for: { type: 'string' },
    until: { type: 'string' },
    start: { type: 'string' },
    comment: { type: 'string' },
    author: { type: 'string' },
  },
  list: { all: { type: 'boolean' } },
  expire: {},
} as const;

/** Reads one verb's arguments; every problem is reported at once. */
export function parseSilenceArgs(
  verb: Verb,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): SilenceOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: verb === 'expire',
      strict: true,
      options: { ...SOURCE_OPTIONS, json: { type: 'boolean' }, ...VERB_OPTIONS[verb] },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => (ok ? undefined : problems.push(problem));
  const source = sourceOf(v as Parameters<typeof sourceOf>[0], env, need);
  const base = { verb, source, cluster: v.cluster as string | undefined, json: v.json === true, all: v.all === true };
  const time = (name: string): EpochMs | undefined => {
    const text = v[name] as string | undefined;
    if (text === undefined) return undefined;
    const at = parseTime(text);
    need(at !== undefined, `--${name}: "${text}" is not a time (e.g. 2026-11-23T12:00, UTC)`);
    return at;
  };

  let out: SilenceOptions = base;
  if (verb === 'expire') {
    need(
      parsed.positionals.length === 1,
      parsed.positionals.length
        ? `one silence at a time: got ${parsed.positionals.join(', ')}`
        : 'say which silence to expire (its id, from `vigil silence list`)',
    );
    out = { ...base, id: parsed.positionals[0] };
  }
  if (verb === 'add') {
    const terms = (v.match as string[] | undefined) ?? [];
    const { matchers, problems: matchProblems } = parseMatchers(terms);
    problems.push(...matchProblems.map((p) => `--match ${p}`));
    need(
      terms.length > 0,
      '--match is required: what to silence, e.g. --match node=ip-10-0-1-5.eu-west-1.compute.internal (--match cluster=* for everything)',
    );
    need((v.for === undefined) !== (v.until === undefined), 'give one of --for (a duration) or --until (a time)');
    let length: SilenceOptions['length'];
    if (v.for !== undefined) {
      try {
        const ms = parseDuration(v.for as string);
        need(ms > 0, `--for "${v.for}" is not a positive duration`);
        length = { ms };
      } catch (e) {
        problems.push(`--for: ${(e as Error).message}`);
      }
    }
    const until = time('until');
    if (until !== undefined) length = { until };
    const author = (v.author as string | undefined) ?? env.USER ?? env.LOGNAME;
    need(!!author?.trim(), '--author is required (no $USER to default to)');
    need(!!(v.comment as string | undefined)?.trim(), '--comment is required: say why, for whoever is woken next');
    out = { ...base, matchers, start: time('start'), length, author: author?.trim(), comment: (v.comment as string | undefined)?.trim() };
  }
  if (problems.length) throw new UsageError(problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`);
  return out;
}

function state(s: Silence, now: EpochMs): string {
  if (now >= s.endsAt) return 'ended';
  return now < s.startsAt ? `starts in ${formatDuration(s.startsAt - now)}` : `${formatDuration(s.endsAt - now)} left`;
}

/** A silence with the alerts it holds quiet now (their state goes on: `holds` lists those firing). */
export type ListedSilence = Silence & { readonly holds: readonly string[] };

export function silenceTable(silences: readonly ListedSilence[], now: EpochMs): string {
  if (!silences.length) return 'no silences';
  const rows = silences.map((s) => [
    s.id,
    state(s, now),
    `${utcCell(s.startsAt)} → ${utcCell(s.endsAt)}`,
    matchersText(s.matchers),
    String(s.holds.length),
    s.author,
    s.comment,
  ]);
  return table(['id', 'state', 'UTC', 'matches', 'firing', 'author', 'comment'], rows);
}

async function run(opts: SilenceOptions, source: OpenedSource, deps: QueryDeps, io: CommandIO): Promise<void> {
  const cluster = await resolveCluster(opts, source);
  // A local run's "now" is its newest data: its clock was simulated, and its silences expire by that clock.
  const now = opts.source.kind === 'local' ? ((await source.store.heartbeat(cluster))?.lastSeen ?? deps.clock.now()) : deps.clock.now();
  const store = source.at?.({ now: () => now }) ?? source.store;
  const print = (s: Silence, what: string) =>
    io.out(
      opts.json
        ? JSON.stringify(s, null, 2)
        : `${what} silence ${s.id} in cluster ${cluster}: ${matchersText(s.matchers)}, ${utcCell(s.startsAt)} → ${utc(s.endsAt)}`,
    );
  if (opts.verb === 'add') {
    const startsAt = opts.start ?? now;
    const endsAt = 'ms' in opts.length! ? startsAt + opts.length.ms : opts.length!.until;
    print(
      await addSilence(store, cluster, {
        matchers: opts.matchers!,
        startsAt,
        endsAt,
        author: opts.author!,
        comment: opts.comment!,
        createdAt: now,
      }),
      'added',
    );
  } else if (opts.verb === 'expire') {
    print(await expireSilence(store, cluster, opts.id!, now), 'expired');
  } else {
    const [all, alerts] = await Promise.all([listSilences(store, cluster), store.listDocuments<AlertDoc>(cluster, ALERT_KIND)]);
    const holds = (id: string) => alerts.filter((a) => a.value.silencedBy === id && a.value.phase === 'firing').map((a) => a.value.id);
    const silences = all.filter((s) => opts.all || s.endsAt > now).map((s) => ({ ...s, holds: holds(s.id) }));
    io.out(opts.json ? JSON.stringify(silences, null, 2) : silenceTable(silences, now));
  }
}

function silenceCommand(verb: Verb, summary: string, usage: string, deps: QueryDeps): Command {
  return {
    words: ['silence', verb],
    summary,
    usage,
    async run(args: readonly string[], io: CommandIO): Promise<number> {
      if (args.includes('--help') || args.includes('-h')) {
        io.out(usage);
        return 0;
      }
      const opts = parseSilenceArgs(verb, args);
      let source: OpenedSource | undefined;
      try {
        source = await deps.open(opts.source);
        await run(opts, source, deps, io);
        return 0;
      } catch (e) {
        const err = e instanceof SilenceError ? e : explain(e, opts.source);
        if (err instanceof QueryError || err instanceof SilenceError) {
          io.err(`vigil silence ${verb}: ${err.message}`);
          return 1;
        }
        throw err;
      } finally {
        await source?.close();
      }
    },
  };
}

export function createSilenceCommands(deps: QueryDeps = defaultQueryDeps): Command[] {
  return [
    silenceCommand('add', 'silence alerts by labels for a while (a deployed table or a local run)', ADD_USAGE, deps),
    silenceCommand('list', 'list the silences in force or to come', LIST_USAGE, deps),
    silenceCommand('expire', 'end a silence now', EXPIRE_USAGE, deps),
  ];
}

export const silenceCommands = createSilenceCommands();
