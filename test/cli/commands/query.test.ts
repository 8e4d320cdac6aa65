/**
 * `vigil query` against real data: a synthetic cluster written through VigilStore into a dynalite
 * directory on disk (as `vigil local` leaves it), then read by the command as a user runs it.
 */
import * as fs from 'fs';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../cli/main';
import { createQueryCommand, queryCommand } from '../../../cli/commands/query';
import { parseQueryArgs, parseTime } from '../../../cli/query/args';
import type { OpenedSource, Source } from '../../../cli/query/sources';
import type { CommandIO } from '../../../cli/command';
import { startDynalite, type LocalDynamo } from '../../../local/dynalite';
import { parseAwsEvent } from '../../../lambdas/aws-events/parse';
import { kubeRollupOf } from '../../../lambdas/ingest/rollup';
import { eventBridge } from '../../../sim/aws/eventbridge';
import { VigilStore } from '../../../lambdas/store/store';
import type { CloudRollup, Pod } from '../../../model/domain';
import { imageName } from '../../../model/selector';
import { ManualClock, MINUTE_MS, minuteOf } from '../../../model/time';
import {
  syntheticAgentStatus,
  syntheticBatch,
  syntheticCluster,
  syntheticHostMinutes,
  syntheticKubeMinutes,
  type SyntheticCluster,
} from '../../../sim/synthetic';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);
const MINUTES = 30;
const CLUSTER = 'prod-eu-1';
const base = syntheticCluster({ cluster: CLUSTER, nodes: 6, podsPerNode: 10 });

// The Deployment under study: one replica burns four times its peers' CPU; another restarts every ten minutes.
const appPods = base.reports.flatMap((r) => r.pods.filter((p) => p.workload.kind === 'Deployment'));
const replicas = (name: string) => appPods.filter((p) => p.workload.name === name);
const HOT = [...new Set(appPods.map((p) => p.workload.name))].find((n) => replicas(n).length >= 4)!;
const HOT_NS = replicas(HOT)[0].namespace;
const HOT_POD = replicas(HOT)[1].name;
const CRASH = [...new Set(appPods.map((p) => p.workload.name))].find(
  (n) => n !== HOT && replicas(n).every((p) => p.containers.every((c) => c.restarts === 0)),
)!;
const CRASH_NS = replicas(CRASH)[0].namespace;
const SICK_NODE = base.reports[2].node;

function clusterAt(m: number): SyntheticCluster {
  const pod = (p: Pod): Pod => {
    if (p.workload.name === HOT) {
      return {
        ...p,
        containers: p.containers.map((c, i) => (i === 0 ? { ...c, usage: { ...c.usage, cpuMilli: p.name === HOT_POD ? 400 : 100 } } : c)),
      };
    }
    if (p.workload.name === CRASH && p.name === replicas(CRASH)[0].name && m >= 10) {
      const restarts = Math.floor(m / 10);
      return {
        ...p,
        containers: p.containers.map((c, i) => (i === 0 ? { ...c, restarts, lastTermination: { reason: 'OOMKilled', exitCode: 137 } } : c)),
      };
    }
    return p;
  };
  const notReady = m >= 20 && m < 25;
  return {
    ...base,
    reports: base.reports.map((r) => ({
      ...r,
      node:
        r.node.name === SICK_NODE.name && notReady
          ? {
              ...r.node,
              conditions: r.node.conditions.map((c) =>
                c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'KubeletNotReady' } : c,
              ),
            }
          : r.node,
      pods: r.pods.map(pod),
    })),
  };
}

/** Writes the cluster's minutes as ingest and the collector would, with the agent's heartbeat. */
async function fill(store: VigilStore, clock: ManualClock, at: (m: number) => SyntheticCluster, minutes: number): Promise<void> {
  for (let m = 0; m < minutes; m++) {
    const t = T0 + m * MINUTE_MS;
    clock.set(t + 30_000);
    const c = at(m);
    const cloud: CloudRollup = {
      minute: minuteOf(t),
      collectedAt: t + 20_000,
      nodeGroups: [],
      autoScalingGroups: [],
      scalingActivities: [],
      hosts: c.hosts.map((h) => ({ ...h, lifecycleState: 'InService', healthStatus: 'Healthy' as const })),
      failures: [],
    };
    const reports = await Promise.all([
      store.putKubeMinutes(c.cluster, syntheticKubeMinutes(c, t)),
      store.putHostMinutes(c.cluster, syntheticHostMinutes(c, minuteOf(t))),
      store.putKubeRollup(c.cluster, kubeRollupOf(syntheticBatch(c, t, m + 1))),
      store.putCloudRollup(c.cluster, cloud),
      store.putHeartbeat({ cluster: c.cluster, lastSeen: t, agent: syntheticAgentStatus(t) }),
    ]);
    for (const r of reports) expect(r.failed).toEqual([]);
  }
}

// A Spot interruption on the cluster's timeline, as EventBridge delivers it.
const SPOT_INSTANCE = base.hosts[4].instanceId;
const origin = (id: string, m: number) => ({ id, time: T0 + m * MINUTE_MS, account: '123456789012', region: 'eu-west-1' });
const SPOT_EVENTS = [
  eventBridge.spotInterruption(origin('e-spot', 20), SPOT_INSTANCE),
  eventBridge.stateChange(origin('e-down', 22), SPOT_INSTANCE, 'shutting-down'),
];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-query-'));
const DB = path.join(root, 'db');
const SINGLE = path.join(root, 'single');

beforeAll(async () => {
  for (const [dir, clusters] of [
    [
      DB,
      [
        [clusterAt, MINUTES],
        [() => syntheticCluster({ cluster: 'staging', nodes: 2, podsPerNode: 6, seed: 5 }), 3],
      ],
    ],
    [SINGLE, [[() => syntheticCluster({ cluster: 'solo', nodes: 2, podsPerNode: 6, seed: 9 }), 3]]],
  ] as const) {
    const dynamo = await startDynalite({ path: dir });
    await dynamo.createTable('vigil');
    const clock = new ManualClock(T0);
    const store = new VigilStore({ client: dynamo.client, tableName: 'vigil', clock });
    for (const [at, minutes] of clusters) await fill(store, clock, at, minutes);
    if (dir === DB) expect((await store.putAwsEvents(CLUSTER, SPOT_EVENTS.flatMap(parseAwsEvent))).failed).toEqual([]);
    await dynamo.close();
  }
}, 120_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
}

async function vigil(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(['query', ...args], io, [queryCommand]);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const local = (...args: string[]) => vigil(...args, '--local', DB, '--cluster', CLUSTER);
const json = async (...args: string[]) => {
  const r = await local(...args, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
};

describe('containers', () => {
  test('grouped by workload and container, the replica far above its peers is marked, with figures anyone can check', async () => {
    const r = await local('containers', '--select', `workload=${HOT}`, '--since', '30m', '--above', '50');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(
      `Containers of cluster ${CLUSTER} matching workload=${HOT} · CPU (millicores), mean over 2026-11-23 12:00 → 2026-11-23 12:29 UTC (30m)`,
    );
    expect(lines[1]).toBe(
      `Grouped by workload+container; ◀ marks a container more than 50% above its group's average (groups of 3 or more).`,
    );
    const main = replicas(HOT)[0].containers[0].name;
    const rowsOf = (pred: (l: string) => boolean) =>
      lines.filter((l) => replicas(HOT).some((p) => l.includes(`${p.namespace}/${p.name}  `)) && pred(l));
    const mains = rowsOf((l) => new RegExp(`  ${main}  `).test(l));
    const n = replicas(HOT).length;
    expect(mains).toHaveLength(n);
    const mean = (400 + 100 * (n - 1)) / n;
    const hot = mains.find((l) => l.includes(HOT_POD))!;
    expect(hot).toMatch(new RegExp(`\\s400m\\s+\\+${Math.round(((400 - mean) / mean) * 100)}%\\s+30\\s+◀ outlier$`));
    for (const l of mains.filter((x) => x !== hot))
      expect(l).toMatch(new RegExp(`\\s100m\\s+−${Math.round(((mean - 100) / mean) * 100)}%\\s+30$`));
    expect(lines).toContain(`${HOT_NS}/Deployment/${HOT} ${main} · ${n} containers, average ${Math.round(mean)}m`);
    // The sidecars are compared with each other, not with the application containers.
    expect(rowsOf((l) => l.includes('  envoy  ')).every((l) => !l.includes(' 400m '))).toBe(true);
    // Columns line up: every CPU figure ends where the CPU header ends.
    const header = lines.find((l) => l.startsWith('  POD'))!;
    const end = header.indexOf('CPU') + 3;
    for (const l of mains) expect(l.slice(0, end)).toMatch(/\d+m$/);
    expect(r.out).toContain(`${2 * n} containers in 2 groups`);
  });

  test('--select by image and zone returns exactly the containers those tags describe', async () => {
    const image = imageName(replicas(HOT)[0].containers[0].image);
    const data = await json('containers', '--select', `image=${image} zone=*a`, '--since', '30m');
    const expected = base.reports
      .filter((r) => r.node.zone!.endsWith('a'))
      .flatMap((r) => r.pods.flatMap((p) => p.containers.filter((c) => imageName(c.image) === image).map((c) => `${p.name}/${c.name}`)));
    expect(expected.length).toBeGreaterThan(0);
    expect(data.rows.map((x: { pod: string; container: string }) => `${x.pod}/${x.container}`).sort()).toEqual(expected.sort());
    for (const row of data.rows) expect(row.zone).toBe('eu-west-1a');
    expect(data).toMatchObject({
      cluster: CLUSTER,
      metric: 'cpu',
      unit: 'millicores',
      groupBy: ['workload', 'container'],
      from: '2026-11-23T12:00:00.000Z',
      to: '2026-11-23T12:29:00.000Z',
    });
  });

  test('memory grouped by image and zone, only the outliers', async () => {
    const data = await json('containers', '--metric', 'memory', '--group-by', 'image,zone', '--above', '30', '--outliers');
    expect(data.outliers).toBeGreaterThan(0);
    expect(data.rows).toHaveLength(data.outliers);
    for (const row of data.rows) {
      expect(row.outlier).toBe(true);
      expect(row.abovePct).toBeGreaterThan(30);
      expect(row.groupSize).toBeGreaterThanOrEqual(3);
      expect(row.group).toMatch(/^\S+ eu-west-1[abc]$/);
    }
  });

  test('grouped by a pod label', async () => {
    const data = await json('containers', '--select', 'namespace=kube-system', '--group-by', 'label:app.kubernetes.io/name');
    expect(data.groupBy).toEqual(['label:app.kubernetes.io/name']);
    // The DaemonSets label their pods with their own names: the groups are the four DaemonSets.
    expect(new Set(data.rows.map((x: { group: string }) => x.group))).toEqual(
      new Set(['aws-node', 'ebs-csi-node', 'eks-pod-identity-agent', 'kube-proxy']),
    );
    for (const row of data.rows) expect(row.workload).toBe(`DaemonSet/${row.group}`);
  });

  test('--until and --since frame the window; a local run ends at its newest data, not at the wall clock', async () => {
    const data = await json('containers', '--select', `workload=${HOT}`, '--until', '10m', '--since', '10m');
    expect([data.from, data.to]).toEqual(['2026-11-23T12:10:00.000Z', '2026-11-23T12:19:00.000Z']);
    for (const row of data.rows) expect(row.minutes).toBe(10);
    const at = await json('containers', '--select', `workload=${HOT}`, '--since', '2026-11-23T12:05', '--until', '2026-11-23 12:06');
    expect(at.rows[0].minutes).toBe(2);
  });
});

describe('nodes', () => {
  test("every node's latest figures, from the rollup", async () => {
    const data = await json('nodes');
    expect(data.at).toBe('2026-11-23T12:29:00.000Z');
    expect(data.nodes).toHaveLength(6);
    for (const n of data.nodes) {
      const r = base.reports.find((x) => x.node.name === n.name)!;
      expect(n.memoryPct).toBeCloseTo((r.stats!.memoryWorkingSetBytes! / r.node.allocatable.memoryBytes!) * 100, 6);
      expect(n.diskPct).toBeCloseTo(((r.stats!.fsCapacityBytes! - r.stats!.fsAvailableBytes!) / r.stats!.fsCapacityBytes!) * 100, 6);
      expect(n.ec2).toBe('InService');
      expect(n.ready).toBe('True');
    }
    const text = (await local('nodes')).out;
    const table = text.split('\n').filter((l) => /^(NODE|ip-)/.test(l));
    expect(table).toHaveLength(7);
    expect(table[0]).toMatch(/^NODE\s+GROUP\s+ZONE\s+INSTANCE\s+EC2\s+READY\s+CONDITIONS\s+CPU\s+MEMORY\s+MEM REQ\s+DISK\s+PODS$/);
    // Right-aligned figures end under their headers.
    for (const l of table) expect(l.length).toBe(table[0].length);
    expect(table.some((l) => l.startsWith(`${SICK_NODE.name.replace('.eu-west-1.compute.internal', '')}  `))).toBe(true);
    expect(text).toContain('6 nodes, 0 not Ready');
  });

  test("one node's history, minute by minute or in steps, by name or by instance id", async () => {
    const minutes = (await json('nodes', '--node', SICK_NODE.name, '--since', '30m')).minutes;
    expect(minutes).toHaveLength(MINUTES);
    expect(minutes.filter((m: { ready: string }) => m.ready === 'False').map((m: { minute: string }) => m.minute.slice(11, 16))).toEqual([
      '12:20',
      '12:21',
      '12:22',
      '12:23',
      '12:24',
    ]);
    expect(minutes[0].ec2CpuPct).toBeDefined();
    const stepped = await local('nodes', '--node', SICK_NODE.instanceId!, '--since', '30m', '--step', '10m');
    expect(stepped.code).toBe(0);
    const rows = stepped.out.split('\n').filter((l) => /^2026-11-23 12:\d0 /.test(l));
    expect(rows.map((l) => l.slice(11, 16))).toEqual(['12:00', '12:10', '12:20']);
    expect(rows[2]).toMatch(/^2026-11-23 12:20\s+NotReady/);
    expect(rows[1]).toMatch(/^2026-11-23 12:10\s+Ready/);
    expect(stepped.out).toContain('one row per 10m (the highest figure of each)');
  });
});

describe('workloads', () => {
  test('every workload, the ones in trouble first, restarts counted over the window', async () => {
    const data = await json('workloads', '--since', '30m');
    const crash = data.workloads.find((w: { name: string }) => w.name === CRASH);
    expect(crash).toMatchObject({ namespace: CRASH_NS, kind: 'Deployment', restartsInWindow: 2, oomKilled: 1 });
    expect(data.workloads[0].restartsInWindow).toBeGreaterThanOrEqual(2);
    const scoped = await json('workloads', '--namespace', CRASH_NS);
    expect(new Set(scoped.workloads.map((w: { namespace: string }) => w.namespace))).toEqual(new Set([CRASH_NS]));
  });

  test("one workload's history from the rollups: its kind found by name, its restarts where they happened", async () => {
    const r = await local('workloads', '--workload', `${CRASH_NS}/${CRASH}`, '--since', '30m');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(
      `Workload ${CRASH_NS}/Deployment/${CRASH} of cluster ${CLUSTER}, 2026-11-23 12:00 → 2026-11-23 12:29 UTC (30m)`,
    );
    const restarted = r.out.split('\n').filter((l) => /\+\d+\s+\d+\s+\d+m\s/.test(l));
    expect(restarted.map((l) => l.slice(11, 16))).toEqual(['12:10', '12:20']);
    expect(r.out).toContain('2 restarts in the window');
    const full = await json('workloads', '--workload', `${CRASH_NS}/deployment/${CRASH}`, '--since', '30m', '--step', '15m');
    expect(full.minutes.map((m: { restartsAdded: number }) => m.restartsAdded)).toEqual([1, 1]);
  });
});

describe('events', () => {
  test("the cluster's AWS events on its timeline, oldest first, in words; none in a window before them", async () => {
    const r = await local('events', '--since', '30m');
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => l.includes(SPOT_INSTANCE));
    expect(rows).toEqual([
      expect.stringMatching(/^2026-11-23 12:20:05 +i-\S+ +Spot interruption warning \(terminate\)$/),
      expect.stringMatching(/^2026-11-23 12:22:05 +i-\S+ +instance shutting-down$/),
    ]);
    const data = await json('events', '--since', '30m');
    expect(data.events.map((e: { kind: string; text: string }) => [e.kind, e.text])).toEqual([
      ['spot-interruption', 'Spot interruption warning (terminate)'],
      ['instance-state', 'instance shutting-down'],
    ]);
    const before = await local('events', '--since', '10m', '--until', '2026-11-23T12:15');
    expect(before.code).toBe(1);
    expect(before.err).toMatch(/no AWS events in cluster prod-eu-1 from 2026-11-23 12:06 → 2026-11-23 12:15 UTC/);
  });
});

describe('clear errors', () => {
  test('an unknown cluster names the clusters that are stored', async () => {
    const r = await vigil('nodes', '--local', DB, '--cluster', 'nope');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `vigil query: cluster "nope" is unknown in the local run in ${DB}: no agent has reported for it (clusters stored: ${CLUSTER}, staging)`,
    );
  });

  test('no data in the window says when the newest data is', async () => {
    const r = await local('containers', '--until', '2026-11-22T12:00');
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `no data for cluster ${CLUSTER} from 2026-11-22 11:01 → 2026-11-22 12:00 UTC (1h): its newest data is at 2026-11-23 12:29 UTC (try --until 2026-11-23T12:29)`,
    );
  });

  test('a selector that matches nothing says what the window holds', async () => {
    const r = await local('containers', '--select', 'zone=*z');
    expect(r.code).toBe(1);
    expect(r.err).toContain('no container matches "zone=*z" in cluster prod-eu-1');
    expect(r.err).toContain('(the window has zones eu-west-1a, eu-west-1b, eu-west-1c; node groups general, spot-general;');
  });

  test('an unknown node or workload lists what there is', async () => {
    const node = await local('nodes', '--node', 'ip-1-2-3-4');
    expect(node.code).toBe(1);
    expect(node.err).toContain(`no node "ip-1-2-3-4" in cluster ${CLUSTER}`);
    expect(node.err).toContain(SICK_NODE.name);
    const w = await local('workloads', '--workload', `${CRASH_NS}/nope`);
    expect(w.code).toBe(1);
    expect(w.err).toContain(`no workload "${CRASH_NS}/nope"`);
    expect(w.err).toContain(CRASH);
  });

  test('bad options are usage errors (exit 2, with the help), every problem named at once', async () => {
    const r = await local('containers', '--select', 'image', '--since', '1x', '--metric', 'gpu', '--group-by', 'workload,rack');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--select: selector term "image" is not key=value');
    expect(r.err).toContain('--since: "1x" is not a duration (e.g. 30s, 15m, 1h30m, 2d)');
    expect(r.err).toContain('--metric "gpu": expected cpu or memory');
    expect(r.err).toContain('--group-by "rack": expected one of workload, image, zone, namespace, nodeGroup, container or label:<key>');
    expect(r.err).toContain('Usage: vigil query');
    for (const [args, message] of [
      [['nodes', '--select', 'a=b'], '--select is for `vigil query containers`, not nodes'],
      [['pods'], '"pods" is not something to query (containers, nodes, workloads, events)'],
      [['containers', '--since', '2026-13-45T10:00'], '--since: "2026-13-45T10:00" is not a time'],
      [['containers', '--since', '2026-11-23T12:10', '--until', '2026-11-23T12:00'], 'the window is empty'],
      [['containers', '--since', '2d'], 'is over 1d: narrow --since'],
      [['containers', '--wat'], "Unknown option '--wat'"],
    ] as const) {
      const x = await local(...args);
      expect({ args, code: x.code }).toEqual({ args, code: 2 });
      expect(x.err).toContain(message);
    }
  });

  test('several clusters and no --cluster: a usage error that lists them; one cluster needs no --cluster', async () => {
    const many = await vigil('nodes', '--local', DB);
    expect(many.code).toBe(2);
    expect(many.err).toContain(`holds 2 clusters: pick one with --cluster (${CLUSTER}, staging)`);
    const one = await vigil('nodes', '--local', SINGLE, '--json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out).cluster).toBe('solo');
  });

  test('no local data, or data in use by a running `vigil local`, is said plainly, and nothing is created', async () => {
    const missing = path.join(root, 'nowhere');
    const r = await vigil('nodes', '--local', missing);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `vigil query: no local run data in ${missing}: run \`vigil local\` first, or name the data with --local DIR or --table NAME`,
    );
    expect(fs.existsSync(missing)).toBe(false);
    const running: LocalDynamo = await startDynalite({ path: SINGLE });
    try {
      await running.client.send(new ListTablesCommand({})); // dynalite opens its database on first use

      const busy = await vigil('nodes', '--local', SINGLE);
      expect(busy.code).toBe(1);
      expect(busy.err).toContain('is in use by another process (is `vigil local` still running?');
    } finally {
      await running.close();
    }
  });

  test('times are UTC unless they say otherwise; --help prints the usage', async () => {
    expect(parseTime('2026-11-23T12:00')).toBe(Date.UTC(2026, 10, 23, 12));
    expect(parseTime('2026-11-23 13:00:30+0100')).toBe(Date.UTC(2026, 10, 23, 12, 0, 30));
    expect(parseTime('2026-11-23')).toBeUndefined();
    const help = await vigil('containers', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: vigil query <containers|nodes|workloads|events> [options]');
  });

  test('--table needs a region and a cluster', () => {
    expect(() => parseQueryArgs(['nodes', '--table', 'vigil'], {})).toThrow(
      /--table needs --region \(or AWS_REGION\)[\s\S]*--table needs --cluster/,
    );
    expect(parseQueryArgs(['nodes', '--table', 'vigil', '--cluster', 'prod'], { AWS_REGION: 'eu-west-1' }).source).toEqual({
      kind: 'table',
      table: 'vigil',
      region: 'eu-west-1',
    });
  });
});

describe('a deployed table', () => {
  let dynamo: LocalDynamo;
  let opened: Source[];
  const open = async (s: Source): Promise<OpenedSource> => {
    opened.push(s);
    return {
      store: new VigilStore({ client: dynamo.client, tableName: 'vigil' }),
      description: 'table vigil in eu-west-1',
      close: async () => undefined,
    };
  };
  beforeEach(async () => {
    opened = [];
    dynamo = await startDynalite({ path: DB });
  });
  afterEach(() => dynamo.close());

  const run = async (now: number, ...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await createQueryCommand({ open, clock: new ManualClock(now) }).run(
      ['nodes', '--table', 'vigil', '--region', 'eu-west-1', '--profile', 'ops', '--cluster', CLUSTER, ...args],
      {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
      },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  test('is read with the given table, region and profile, in a window that ends now', async () => {
    const r = await run(T0 + 20 * MINUTE_MS, '--json');
    expect(opened).toEqual([{ kind: 'table', table: 'vigil', region: 'eu-west-1', profile: 'ops' }]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).at).toBe('2026-11-23T12:20:00.000Z');
  });

  test('an hour after the agent went quiet, the window is empty and the error says so', async () => {
    const r = await run(T0 + 3 * 3_600_000);
    expect(r.code).toBe(1);
    expect(r.err).toContain('its newest data is at 2026-11-23 12:29 UTC');
  });

  test('AWS refusals become plain errors', async () => {
    const denied = Object.assign(new Error('User: arn:aws:iam::123456789012:user/x is not authorized to perform: dynamodb:GetItem'), {
      name: 'AccessDeniedException',
    });
    const gone = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    for (const [error, message] of [
      [
        denied,
        'AWS refused to read table vigil in eu-west-1 (AccessDeniedException): User: arn:aws:iam::123456789012:user/x is not authorized',
      ],
      [gone, 'table vigil in eu-west-1 does not exist (check --table and --region)'],
    ] as const) {
      const failing = async (): Promise<OpenedSource> => ({
        store: Object.assign(new VigilStore({ client: dynamo.client, tableName: 'vigil' }), { heartbeat: () => Promise.reject(error) }),
        description: 'table vigil in eu-west-1',
        close: async () => undefined,
      });
      const err: string[] = [];
      const code = await createQueryCommand({ open: failing, clock: new ManualClock(T0) }).run(
        ['nodes', '--table', 'vigil', '--region', 'eu-west-1', '--cluster', CLUSTER],
        { out: () => undefined, err: (t) => err.push(t) },
      );
      expect(code).toBe(1);
      expect(err.join('')).toContain(message);
    }
  });
});
