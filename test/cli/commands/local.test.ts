/**
 * `vigil local`, the command itself, in-process: a short scenario run at full speed prints its summary
 * table with every alert timed from the incident's onset; a watched cluster ends with the same summary.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { localCommand } from '../../../cli/commands/local';
import { relative } from '../../../local/run';
import { loadScenario } from '../../../local/scenario/load';
import { parseDuration } from '../../../model/quantity';
import { readOutbox } from '../../../sim/notify/outbox';
import { simClusterFrom } from '../../../sim/kube/from-synthetic';
import { startSimKube } from '../../../sim/kube/env';
import { syntheticCluster } from '../../../sim/synthetic';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-local-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function local(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await localCommand.run(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('a scenario run ends with a table of its alerts timed from the onset', async () => {
  const out = path.join(dir, 'domino');
  const r = await local('--scenario', 'domino', '--duration', '20m', '--speed', 'max', '--out', out, '--receivers', 'pagerduty,teams');
  expect(r).toMatchObject({ code: 0, err: '' });
  const summary = r.out.slice(r.out.indexOf('What Vigil said'));
  expect(summary).toMatch(/^What Vigil said \(times from the incident's onset, \+15m into the run\)/);

  // One row per change notified, in order, at its minute relative to the onset (15 minutes in).
  const s = loadScenario('domino');
  const onset = Date.parse(s.start) + parseDuration(s.onset!);
  const changes = readOutbox(path.join(out, 'outbox-domino.jsonl')).flatMap((e) =>
    e.notification.changes.filter((c) => c.kind !== 'repeat').map((c) => ({ t: e.notification.evaluatedAt, rule: c.rule })),
  );
  const rows = summary.split('\n').filter((l) => /^ {2}\s*[+-]\d/.test(l));
  expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual(changes.map((c) => relative(c.t, onset).trim()));
  expect(rows.map((l) => l.trim().split(/\s+/)[2])).toEqual(changes.map((c) => c.rule));
  // The domino's point: the N-1 warning comes before the scale-in, the critical call at it.
  expect(rows.find((l) => l.includes('n1-headroom'))).toMatch(/^\s+-\d+m\s+warning\s+n1-headroom/);
  expect(rows.find((l) => l.includes('scale-in-under-pressure'))).toMatch(
    /^\s+\+[01]m\s+critical\s+scale-in-under-pressure\s+nodeGroup=general/,
  );
  // --receivers: every message also went through the PagerDuty and Teams functions to their loopback servers.
  const entries = readOutbox(path.join(out, 'outbox-domino.jsonl'));
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) {
    expect(e.received?.teams).toMatchObject({ posts: [{ type: 'message' }] });
    expect(e.received?.pagerduty?.error).toBeUndefined();
    expect(e.received?.pagerduty?.posts.length).toBe(e.notification.changes.length + (e.notification.folded?.length ?? 0));
  }
  expect(summary).toContain('Every expectation of the scenario was met.');
  expect(summary).toMatch(/Report \(open it in a browser\): .*vigil-report-domino-20261123-0800\.html/);
}, 60_000);

test('--receivers names an unknown receiver', async () => {
  await expect(local('--receivers', 'slack,opsgenie')).rejects.toThrow(
    '--receivers: unknown receiver "opsgenie": expected some of slack, teams, pagerduty, webhook',
  );
});

test('a watched cluster ends with the same summary, timed from the start of the watch', async () => {
  const synthetic = syntheticCluster({ cluster: 'laptop', nodes: 2, podsPerNode: 5, now: Date.now() });
  const kube = await startSimKube({
    cluster: simClusterFrom(synthetic, { now: () => Date.now() }),
    permissions: { nodesStats: true, nodesProxy: true },
  });
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kube.kubeconfigFile());
  try {
    const r = await local('--kubeconfig', kubeconfig, '--cluster', 'laptop', '--duration', '2s', '--out', path.join(dir, 'watch'));
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('Its AWS side is SIMULATED from its nodes');
    expect(r.out).toContain('What Vigil said (times from the start of the watch)');
    expect(r.out).not.toContain('expectation');
    expect(r.out).toMatch(/Report \(open it in a browser\): .*vigil-report-laptop-watched-\d{8}-\d{4}\.html/);
  } finally {
    await kube.close();
  }
}, 60_000);
