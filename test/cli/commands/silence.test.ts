/**
 * `vigil silence` against a local run's data on disk (as `vigil local` leaves it) and against a "deployed
 * table" (dynalite behind the command's source interface, with the wall clock of the user's machine).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CommandIO } from '../../../cli/command';
import { defaultQueryDeps, type QueryDeps } from '../../../cli/query/sources';
import { createSilenceCommands, parseSilenceArgs } from '../../../cli/commands/silence';
import { main } from '../../../cli/main';
import { ALERT_KIND } from '../../../lambdas/evaluator/state';
import { listSilences } from '../../../lambdas/store/silences';
import { VigilStore } from '../../../lambdas/store/store';
import { LOCAL_TABLE, startDynalite, type LocalDynamo } from '../../../local/dynalite';
import { activeSilences, silenceOf, type Silence } from '../../../model/silence';
import { HOUR_MS, ManualClock, MINUTE_MS } from '../../../model/time';
import { syntheticAgentStatus } from '../../../sim/synthetic';

const CLUSTER = 'prod';
// The local run's simulated clock ended here; the user's machine is a year later.
const RUN_END = Date.UTC(2026, 10, 23, 12, 30);
const WALL = Date.UTC(2027, 10, 23, 9, 0);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-silence-'));
const DB = path.join(root, 'db');

beforeAll(async () => {
  const dynamo = await startDynalite({ path: DB });
  await dynamo.createTable(LOCAL_TABLE);
  const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock: new ManualClock(RUN_END) });
  await store.putHeartbeat({ cluster: CLUSTER, lastSeen: RUN_END, agent: syntheticAgentStatus(RUN_END) });
  await dynamo.close();
}, 60_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const deps: QueryDeps = { ...defaultQueryDeps, clock: new ManualClock(WALL) };

async function vigil(d: QueryDeps, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(['silence', ...args], io, createSilenceCommands(d));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function withStore<T>(f: (store: VigilStore) => Promise<T>): Promise<T> {
  const dynamo = await startDynalite({ path: DB });
  try {
    return await f(new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock: new ManualClock(RUN_END) }));
  } finally {
    await dynamo.close();
  }
}
const stored = () => withStore((store) => listSilences(store, CLUSTER));

test('add, list and expire on a local run: its newest data is "now", and the evaluator finds what was stored', async () => {
  const added = await vigil(
    deps,
    'add',
    '--local',
    DB,
    '--match',
    'namespace=batch-*',
    '--match',
    'rule=container-*',
    '--for',
    '2h',
    '--comment',
    'batch migration',
    '--author',
    'ana',
    '--json',
  );
  expect(added).toMatchObject({ code: 0, err: '' });
  const silence = JSON.parse(added.out) as Silence;
  expect(silence).toMatchObject({
    matchers: { namespace: 'batch-*', rule: 'container-*' },
    startsAt: RUN_END,
    endsAt: RUN_END + 2 * HOUR_MS,
    author: 'ana',
    comment: 'batch migration',
    createdAt: RUN_END,
  });

  const [found] = await stored();
  const active = activeSilences([found], [], RUN_END + MINUTE_MS);
  expect(
    silenceOf(active, {
      rule: 'container-oom-killed',
      severity: 'warning',
      subject: { cluster: CLUSTER, namespace: 'batch-eu', workload: 'Job/etl' },
    })?.id,
  ).toBe(silence.id);
  expect(
    silenceOf(active, { rule: 'container-oom-killed', severity: 'warning', subject: { cluster: CLUSTER, namespace: 'shop' } }),
  ).toBeUndefined();

  // The evaluator holds an alert quiet under it: the list says so.
  await withStore((store) =>
    store.putDocument(CLUSTER, ALERT_KIND, 'a1', { id: 'a1', phase: 'firing', silencedBy: silence.id }, undefined),
  );
  const listed = await vigil(deps, 'list', '--local', DB);
  expect(listed.out.split('\n')).toEqual([
    expect.stringMatching(/^id\s+state\s+UTC\s+matches\s+firing\s+author\s+comment$/),
    expect.stringMatching(
      new RegExp(
        `^${silence.id}\\s+2h left\\s+2026-11-23 12:30 → 2026-11-23 14:30\\s+namespace=batch-\\* rule=container-\\*\\s+1\\s+ana\\s+batch migration$`,
      ),
    ),
  ]);
  expect(JSON.parse((await vigil(deps, 'list', '--local', DB, '--json')).out)).toEqual([{ ...silence, holds: ['a1'] }]);

  const expired = await vigil(deps, 'expire', silence.id, '--local', DB);
  expect(expired).toMatchObject({ code: 0, err: '' });
  expect(expired.out).toBe(
    `expired silence ${silence.id} in cluster prod: namespace=batch-* rule=container-*, 2026-11-23 12:30 → 2026-11-23 12:30 UTC`,
  );
  expect((await vigil(deps, 'list', '--local', DB)).out).toBe('no silences');
  expect((await vigil(deps, 'list', '--local', DB, '--all')).out).toContain(`${silence.id}  ended`);
  expect(activeSilences(await stored(), [], RUN_END + MINUTE_MS)).toEqual([]);
});

test('against a deployed table "now" is the wall clock, and the cluster must be named', async () => {
  let dynamo: LocalDynamo | undefined;
  const table: QueryDeps = {
    clock: new ManualClock(WALL),
    open: async () => {
      dynamo = await startDynalite();
      await dynamo.createTable('vigil-prod');
      return {
        store: new VigilStore({ client: dynamo.client, tableName: 'vigil-prod' }),
        description: 'table vigil-prod in eu-west-1',
        close: () => dynamo!.close(),
      };
    },
  };
  const r = await vigil(
    table,
    'add',
    '--table',
    'vigil-prod',
    '--region',
    'eu-west-1',
    '--cluster',
    'prod',
    '--match',
    'node=ip-10-0-1-5*',
    '--until',
    '2027-11-23T11:00',
    '--comment',
    'disk swap',
    '--author',
    'ana',
    '--json',
  );
  expect(r.err).toBe('');
  expect(JSON.parse(r.out)).toMatchObject({ startsAt: WALL, endsAt: WALL + 2 * HOUR_MS });
  expect(() =>
    parseSilenceArgs('add', ['--table', 'vigil-prod', '--region', 'eu-west-1', '--match', 'node=x', '--for', '1h', '--comment', 'c'], {
      USER: 'ana',
    }),
  ).toThrow('--table needs --cluster: a deployed table can hold several clusters');
});

test('every problem with the command line is named at once', () => {
  expect(() => parseSilenceArgs('add', ['--match', 'team=shop', '--for', 'soon', '--until', '2026-11-23T12:00'], {})).toThrow(
    /--match "team=shop": expected label=pattern[\s\S]*give one of --for \(a duration\) or --until \(a time\)[\s\S]*--for: [\s\S]*--author is required \(no \$USER to default to\)[\s\S]*--comment is required: say why/,
  );
  expect(() => parseSilenceArgs('add', ['--for', '1h', '--comment', 'c'], { USER: 'ana' })).toThrow(/^--match is required/);
  expect(() => parseSilenceArgs('expire', [], {})).toThrow('say which silence to expire (its id, from `vigil silence list`)');
});

test('expiring a silence that does not exist says so, exit code 1', async () => {
  const r = await vigil(deps, 'expire', 'nope1234', '--local', DB);
  expect(r).toEqual({
    code: 1,
    out: '',
    err: 'vigil silence expire: no silence nope1234 in cluster prod (`vigil silence list` shows them)',
  });
});
