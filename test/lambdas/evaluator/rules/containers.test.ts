import type { Container, Pod } from '../../../../model/domain';
import { HOUR_MS, MINUTE_MS } from '../../../../model/time';
import { RULES_BY_ID } from '../../../../lambdas/evaluator/rules/catalog';
import { useTestStore } from '../../../support/store';
import { expectBlipSilentAndForHonoured, harness, T0, type Harness } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';
import type { AlertDoc } from '../../../../lambdas/evaluator/state';

const MiB = 1024 * 1024;
const t = T0;

const { dynamo } = useTestStore();

const first = (p: Pod) => p.workload.kind === 'Deployment';
const mapContainers = (p: Pod, f: (c: Container) => Container): Pod => ({
  ...p,
  containers: p.containers.map((c, i) => (i === 0 ? f(c) : c)),
});

/** The app container of node `node` is OOM-killed and restarted, as the kubelet reports it. */
function oomKill(h: Harness, node: number, at = h.nextTime - 20_000): Pod {
  return h.steady.updatePod(node, first, (p) =>
    mapContainers(p, (c) => ({
      ...c,
      restarts: c.restarts + 1,
      startedAt: at + 1000,
      lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: at },
    })),
  );
}

describe('containers-without-memory-requests', () => {
  const short = (s: SteadyCluster, node: number) =>
    s.updateNode(node, (r) => ({
      ...r,
      stats: { ...r.stats, memoryWorkingSetBytes: 13.5 * 1024 * MiB, memoryAvailableBytes: 2.5 * 1024 * MiB },
    }));

  test('names only containers large enough to matter: small node agents without requests are left out', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const agent = (p: Pod) => p.workload.kind === 'DaemonSet' && p.workload.name === 'aws-node';
    s.updatePod(1, agent, (p) => ({
      ...p,
      containers: p.containers.map((c) => ({
        ...c,
        requests: { cpuMilli: 25 },
        limits: {},
        usage: { ...c.usage, memoryWorkingSetBytes: 60 * MiB },
      })),
    }));
    s.updatePod(1, first, (p) => mapContainers(p, (c) => ({ ...c, limits: { memoryBytes: 2048 * MiB } })));
    short(s, 1);
    expect(run('containers-without-memory-requests', s.context(t))).toEqual([]);
    s.updatePod(1, first, (p) =>
      mapContainers(p, (c) => ({ ...c, requests: { cpuMilli: 100 }, limits: {}, usage: { ...c.usage, memoryWorkingSetBytes: 900 * MiB } })),
    );
    const [f] = run('containers-without-memory-requests', s.context(t));
    expect(f.evidence).toMatchObject({ containersWithoutRequest: 1, theirWorkingSetMiB: 900 });
    expect(f.summary).not.toMatch(/aws-node/);
  });

  test('a node that leaves the cluster takes its alert along: gone, not "resolved"', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.updatePod(1, first, (p) =>
      mapContainers(p, (c) => ({
        ...c,
        requests: { cpuMilli: 100 },
        limits: {},
        usage: { ...c.usage, memoryWorkingSetBytes: 3000 * MiB },
      })),
    );
    short(h.steady, 1);
    await h.tick(7);
    expect(h.publisher.of('containers-without-memory-requests').map((c) => c.kind)).toEqual(['firing']);
    // Scaled in and terminated: nothing was fixed, the node is simply gone.
    const gone = h.steady.nodeNames[1];
    h.steady.reports = h.steady.reports.filter((r) => r.node.name !== gone);
    await h.tick(8);
    expect(h.publisher.of('containers-without-memory-requests').map((c) => c.kind)).toEqual(['firing']);
    expect(
      (await h.store.listDocuments<AlertDoc>(h.steady.cluster, 'alert')).filter(
        (d) => d.value.rule === 'containers-without-memory-requests',
      ),
    ).toEqual([]);
  });

  test('on a node short of memory: names the containers without requests or limits, largest first', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.updatePod(1, first, (p) =>
      mapContainers(p, (c) => ({
        ...c,
        requests: { cpuMilli: 100 },
        limits: {},
        usage: { ...c.usage, memoryWorkingSetBytes: 3000 * MiB },
      })),
    );
    expect(run('containers-without-memory-requests', s.context(t))).toEqual([]);
    s.updateNode(1, (r) => ({
      ...r,
      stats: { ...r.stats, memoryWorkingSetBytes: 13.5 * 1024 * MiB, memoryAvailableBytes: 2.5 * 1024 * MiB },
    }));
    const [f] = run('containers-without-memory-requests', s.context(t));
    expect(f).toMatchObject({
      severity: 'warning',
      subject: { node: s.nodeNames[1] },
      evidence: { containersWithoutRequest: 1, containersWithoutLimit: 1, theirWorkingSetMiB: 3000 },
    });
    expect(f.evidence.largest).toMatch(/3000 MiB \(no request, no limit\)$/);
    // Excluded namespaces do not count.
    expect(run('containers-without-memory-requests', s.context(t), { namespaces: { exclude: [s.appPod(1).namespace] } })).toEqual([]);
  });
});

describe('container-memory-near-limit', () => {
  test('working set at 90% of the limit, per workload container, across pods', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const p = s.updatePod(2, first, (x) =>
      mapContainers(x, (c) => ({ ...c, limits: { memoryBytes: 512 * MiB }, usage: { ...c.usage, memoryWorkingSetBytes: 480 * MiB } })),
    );
    const [f, ...rest] = run('container-memory-near-limit', s.context(t));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      subject: { namespace: p.namespace, workload: `Deployment/${p.workload.name}`, container: p.containers[0].name },
      evidence: { usedPct: 93.8, memoryLimitMiB: 512, workingSetMiB: 480, pod: p.name },
    });
  });

  test('a minute near the limit (a burst) stays silent; 15 minutes of it fire', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    const steady = h.steady.appPod(2);
    await expectBlipSilentAndForHonoured(h, 'container-memory-near-limit', {
      forMinutes: 15,
      set: (broken) =>
        h.steady.updatePod(
          2,
          (p) => p.uid === steady.uid,
          (p) =>
            broken
              ? mapContainers(p, (c) => ({
                  ...c,
                  limits: { memoryBytes: 512 * MiB },
                  usage: { ...c.usage, memoryWorkingSetBytes: 480 * MiB },
                }))
              : steady,
        ),
    });
  });
});

describe('the silent leak', () => {
  test('one OOM kill: one warning, held an hour; the third restart in 24 h: the restart alert, told with that kill, then absorbing the kills to come', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    await h.tick(2);
    const pod = oomKill(h, 1);
    await h.tick(1);
    const [oom] = h.publisher.of('container-oom-killed');
    expect(oom).toMatchObject({
      kind: 'firing',
      subject: { namespace: pod.namespace, workload: `Deployment/${pod.workload.name}`, container: pod.containers[0].name },
      evidence: { oomKills: 1, oomKills24h: 1, pod: pod.name },
    });
    // Held an hour, then it ends without a "resolved": an OOM kill is an occurrence, not a state.
    await h.tick(64);
    expect(h.publisher.of('container-oom-killed').map((c) => c.kind)).toEqual(['firing']);
    oomKill(h, 1);
    await h.tick(1);
    expect(h.publisher.of('container-oom-killed').map((c) => c.kind)).toEqual(['firing', 'firing']);
    expect(h.publisher.of('container-restarts')).toEqual([]);
    await h.tick(65); // the second kill's alert ends (quietly)
    h.minute += 240;
    oomKill(h, 1);
    await h.tick(1);
    const restarts = h.publisher.of('container-restarts');
    expect(restarts.map((c) => c.kind)).toEqual(['firing']);
    expect(restarts[0].evidence).toMatchObject({ restarts: 3, oomKilled: 3, lastReason: 'OOMKilled' });
    expect(restarts[0].summary).toMatch(/restarted 3 times in 24 h \(3 OOMKilled\)/);
    // The third OOM kill began with the restarts story, not after it: both are told, in one message.
    expect(h.publisher.of('container-oom-killed').map((c) => c.kind)).toEqual(['firing', 'firing', 'firing']);
    expect(h.publisher.messages).toHaveLength(3);
    // A kill once the restarts story is told is part of it.
    await h.tick(65);
    oomKill(h, 1);
    await h.tick(1);
    expect(h.publisher.of('container-oom-killed')).toHaveLength(3);
    expect(h.publisher.messages).toHaveLength(3);
  });

  test('OOM kills while the alert is held extend it without a new message, as its description says', async () => {
    expect(RULES_BY_ID.get('container-oom-killed')!.meaning).toMatch(
      /Announced once per container: further kills within an hour of the last one extend it without a new message/,
    );
    const h = await harness(dynamo, { nodes: 3, rules: { 'container-restarts': { enabled: false } } });
    await h.tick(2);
    for (const quiet of [30, 50, 55]) {
      oomKill(h, 1);
      await h.tick(quiet);
    }
    // Three kills 30 and 50 minutes apart, none an hour after the one before: one alert, one message.
    expect(h.publisher.of('container-oom-killed').map((c) => c.kind)).toEqual(['firing']);
    await h.tick(10);
    oomKill(h, 1);
    await h.tick(1);
    expect(h.publisher.of('container-oom-killed').map((c) => c.kind)).toEqual(['firing', 'firing']);
  });

  test('restarts without an OOM kill are not the leak (with the default settings); any restart counts when asked', async () => {
    const s = new SteadyCluster({ nodes: 6 });
    let ctx = s.context(t);
    for (let i = 1; i <= 3; i++) {
      s.updatePod(1, first, (p) =>
        mapContainers(p, (c) => ({ ...c, restarts: i, lastTermination: { reason: 'Error', exitCode: 1, finishedAt: t + i * HOUR_MS } })),
      );
      ctx = s.context(t + i * HOUR_MS + MINUTE_MS, { memory: ctx.memory });
    }
    expect(run('container-restarts', ctx)).toEqual([]);
    expect(run('container-restarts', ctx, { requireOomKilled: false })[0].evidence).toMatchObject({
      restarts: 3,
      oomKilled: 0,
      lastReason: 'Error',
    });
  });

  test('restarts seen for the first time count when they are in the window, all of them for a pod started in it', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.updatePod(4, first, (p) =>
      mapContainers({ ...p, createdAt: t - 10 * HOUR_MS }, (c) => ({
        ...c,
        restarts: 4,
        lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: t - HOUR_MS },
      })),
    );
    s.updatePod(5, first, (p) =>
      mapContainers({ ...p, createdAt: t - 30 * HOUR_MS }, (c) => ({
        ...c,
        restarts: 9,
        lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: t - 30 * HOUR_MS },
      })),
    );
    const found = run('container-restarts', s.context(t));
    expect(found.map((f) => f.evidence.restarts)).toEqual([4]);
    // Not a fresh OOM kill: the first evaluation after a deploy does not announce old kills one by one.
    expect(run('container-oom-killed', s.context(t))).toEqual([]);
  });
});

describe('container-crash-looping', () => {
  test('CrashLoopBackOff now, or several restarts within minutes (a crash loop alternates with running)', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.updatePod(2, first, (p) =>
      mapContainers(p, (c) => ({
        ...c,
        state: 'waiting',
        waitingReason: 'CrashLoopBackOff',
        ready: false,
        restarts: 7,
        lastTermination: { reason: 'Error', exitCode: 1, finishedAt: t - 30_000 },
      })),
    );
    const [f] = run('container-crash-looping', s.context(t));
    expect(f).toMatchObject({ evidence: { podsInBackOff: 1, lastReason: 'Error', exitCode: 1 } });
    const r = new SteadyCluster({ nodes: 6 });
    let ctx = r.context(t);
    for (let i = 1; i <= 2; i++) {
      r.updatePod(1, first, (p) =>
        mapContainers(p, (c) => ({
          ...c,
          restarts: i,
          lastTermination: { reason: 'Error', exitCode: 2, finishedAt: t + i * 2 * MINUTE_MS },
        })),
      );
      ctx = r.context(t + i * 2 * MINUTE_MS + 10_000, { memory: ctx.memory });
    }
    expect(run('container-crash-looping', ctx)[0].evidence).toMatchObject({ podsInBackOff: 0, restartsInWindow: 2, exitCode: 2 });
  });
});

describe('container-waiting', () => {
  test('ImagePullBackOff and CreateContainerConfigError, not ContainerCreating', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.updatePod(1, first, (p) =>
      mapContainers({ ...p, createdAt: t - 20 * MINUTE_MS }, (c) => ({
        ...c,
        state: 'waiting',
        waitingReason: 'ImagePullBackOff',
        ready: false,
        startedAt: undefined,
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.99.0',
      })),
    );
    s.updatePod(2, first, (p) => mapContainers(p, (c) => ({ ...c, state: 'waiting', waitingReason: 'ContainerCreating', ready: false })));
    const [f, ...rest] = run('container-waiting', s.context(t));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      evidence: { reason: 'ImagePullBackOff', pods: 1, image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.99.0' },
      since: t - 20 * MINUTE_MS,
    });
  });
});

describe("an OOM kill is told by its cause: the container's limit, or its node out of memory", () => {
  const limited = (h: Harness) =>
    h.steady.updatePod(2, first, (p) =>
      mapContainers(p, (c) => ({ ...c, limits: { memoryBytes: 2048 * MiB }, usage: { ...c.usage, memoryWorkingSetBytes: 700 * MiB } })),
    );
  const systemOom = (h: Harness, at: number) => {
    const node = h.steady.nodeNames[2];
    h.steady.events = [
      {
        objectUid: node,
        objectKind: 'Node',
        objectName: node,
        reason: 'SystemOOM',
        type: 'Warning',
        message: 'System OOM encountered, victim process: java, pid: 48213',
        count: 1,
        firstSeen: at,
        lastSeen: at,
        node,
      },
    ];
  };

  test('killed at its own limit: a leak or a low limit', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    limited(h);
    await h.tick(1);
    oomKill(h, 2);
    await h.tick(1);
    const [c] = h.publisher.of('container-oom-killed');
    expect(c.summary).toMatch(/OOM-killed at its memory limit/);
    expect(c.evidence.killedBy).toBe('its memory limit');
    expect(c.runbook).toMatch(/raise the limit/);
  });

  test('killed while its node ran out of memory (SystemOOM): a requests problem, and the restarts alert says so too', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    limited(h);
    await h.tick(1);
    for (let i = 0; i < 3; i++) {
      const at = h.nextTime - 20_000;
      systemOom(h, at + 1000);
      oomKill(h, 2, at);
      await h.tick(10);
    }
    const [oom] = h.publisher.of('container-oom-killed');
    expect(oom.summary).toMatch(new RegExp(`OOM-killed when node ${h.steady.nodeNames[2]} ran out of memory \\(SystemOOM\\)`));
    expect(oom.runbook).toMatch(/raising the limit will not help/);
    const [restarts] = h.publisher.of('container-restarts');
    expect(restarts.summary).toMatch(/3 OOM-killed when node .* ran out of memory \(SystemOOM\), not at its own limit/);
    expect(restarts.evidence).toMatchObject({ oomKilledAtLimit: 0, oomKilledNodeOutOfMemory: 3 });
    expect(restarts.runbook).toMatch(/memory requests/);
  });
});
