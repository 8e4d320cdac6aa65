import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigApi } from '../../../agent/kube/api';
import { ApiMeter } from '../../../agent/kube/meter';
import { projectNode, type NodeRecord } from '../../../agent/kube/project';
import { Reflector } from '../../../agent/kube/reflector';
import type { NodeObject } from '../../../agent/kube/objects';
import { createLogger, silentLogger, type Logger } from '../../../common/log';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../../sim/kube/env';
import { eventually } from '../eventually';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;
let sim: SimCluster;
let kube: SimKube;
let meter: ApiMeter;
let reflector: Reflector<NodeRecord> | undefined;
const changes: string[] = [];

interface StartOptions {
  bookmarkIntervalMs?: number;
  idleTimeoutMs?: number;
  silenceAfterBookmarkMs?: number;
  initialEventsTimeoutMs?: number;
  pageSize?: number;
  watchList?: 'on' | 'off' | 'ignored';
  logger?: Logger;
  before?: () => void;
}

async function start(opts: StartOptions = {}) {
  kube = await startSimKube({
    cluster: sim,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 100,
    ...(opts.watchList ? { watchList: opts.watchList } : {}),
  });
  const kc = new KubeConfig();
  kc.loadFromOptions(kube.kubeconfig);
  meter = new ApiMeter();
  opts.before?.();
  reflector = new Reflector<NodeRecord>({
    api: new KubeConfigApi(kc, meter),
    resource: 'nodes',
    path: '/api/v1/nodes',
    project: (o) => projectNode(o as NodeObject),
    onChange: (type, key) => changes.push(`${type} ${key}`),
    logger: opts.logger ?? silentLogger,
    pageSize: opts.pageSize ?? 2,
    backoff: { baseMs: 10, capMs: 50 },
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(opts.initialEventsTimeoutMs ? { initialEventsTimeoutMs: opts.initialEventsTimeoutMs } : {}),
    ...(opts.silenceAfterBookmarkMs ? { silenceAfterBookmarkMs: opts.silenceAfterBookmarkMs } : {}),
  });
  await reflector.start();
  return reflector;
}

const nodeLists = () => kube.api.requests.filter((q) => !q.watch && q.path === '/api/v1/nodes');
const nodeWatches = () => kube.api.requests.filter((q) => q.watch && q.path === '/api/v1/nodes');
/** A logger keeping its lines' messages and fields. */
function recordingLogger(lines: Record<string, unknown>[]): Logger {
  return createLogger({ service: 'test', level: 'debug', sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
}
const unschedulable = (r: Reflector<NodeRecord>, name: string) => r.items.get(name)?.node.unschedulable;

beforeEach(() => {
  changes.length = 0;
  sim = new SimCluster({ clock: new ManualClock(T0) });
  for (const n of ['a', 'b', 'c', 'd', 'e'])
    sim.addNode({ name: n, capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 } });
});
afterEach(async () => {
  await reflector?.stop();
  reflector = undefined;
  await kube.close();
});

describe('Reflector (list, then watch, over our own streaming watch)', () => {
  it('lists page by page, then follows changes', async () => {
    const r = await start();
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(kube.api.requests.filter((q) => !q.watch && q.path === '/api/v1/nodes')).toHaveLength(3);
    sim.cordon('c');
    sim.removeNode('e');
    await eventually(() => {
      expect(unschedulable(r, 'c')).toBe(true);
      expect(r.items.has('e')).toBe(false);
    });
    expect(changes).toEqual(expect.arrayContaining(['added a', 'modified c', 'deleted e']));
  });

  it('watches again from the last resourceVersion when the connection drops, missing nothing', async () => {
    const r = await start();
    await eventually(() => expect(kube.api.faults.watches.size).toBe(1));
    kube.api.faults.dropWatches();
    sim.cordon('a'); // while no watch is open
    await eventually(() => expect(unschedulable(r, 'a')).toBe(true));
    expect(r.stats.lists).toBe(1);
    expect(r.stats.failures + r.stats.watchRestarts).toBeGreaterThanOrEqual(1);
  });

  it('lists again after 410 Gone, and reports what changed meanwhile', async () => {
    const r = await start();
    await eventually(() => expect(kube.api.faults.watches.size).toBe(1));
    kube.api.faults.dropWatches();
    sim.cordon('b');
    sim.compact();
    await eventually(() => expect(unschedulable(r, 'b')).toBe(true));
    expect(r.stats).toMatchObject({ lists: 2, relistsAfterGone: 1 });
    // The relist is served by the watch cache, from the last resourceVersion seen: not a quorum read of etcd.
    const firstPages = nodeLists().filter((q) => !q.query.includes('continue='));
    expect(firstPages).toHaveLength(2);
    expect(firstPages[0].query).not.toContain('resourceVersion');
    expect(firstPages[1].query).toMatch(/resourceVersion=\d+&resourceVersionMatch=NotOlderThan/);
  });

  it('asks a failed page again with the same continue token after Retry-After, keeping the pages read', async () => {
    const r = await start({ before: () => kube.api.faults.throttle(1, /\/api\/v1\/nodes\?.*continue=/, 1) });
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    const lists = nodeLists();
    expect(lists.map((q) => q.status)).toEqual([200, 429, 200, 200]);
    expect(lists[2].query).toBe(lists[1].query);
    expect(r.stats).toMatchObject({ lists: 1, pageRetries: 1 });
    expect(meter.take()).toMatchObject({ apiThrottled: 1 });
  });

  it('starts the list over, from a consistent read, only when its continue token has expired', async () => {
    const r = await start({ before: () => kube.api.faults.fail(1, 410, /\/api\/v1\/nodes\?.*continue=/) });
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    const firstPages = nodeLists().filter((q) => !q.query.includes('continue='));
    expect(firstPages).toHaveLength(2);
    expect(firstPages.every((q) => !q.query.includes('resourceVersion'))).toBe(true);
    expect(r.stats).toMatchObject({ lists: 1, relistsAfterGone: 1 });
  });

  it('notices a watch that falls silent after a bookmark within minutes, not the watch timeout, and says its data is stale meanwhile', async () => {
    const r = await start({ bookmarkIntervalMs: 50, idleTimeoutMs: 60_000, silenceAfterBookmarkMs: 400 });
    await eventually(() => expect(kube.api.faults.watches.size).toBe(1));
    kube.api.faults.stallWatches();
    sim.cordon('a'); // never delivered by the stalled watch
    // Bookmarks come every 50 ms: an age of 300 ms is only reached while the watch is stalled.
    await eventually(() => expect(r.dataAgeMs()).toBeGreaterThanOrEqual(300));
    await eventually(() => expect(unschedulable(r, 'a')).toBe(true), 3000);
    expect(r.stats).toMatchObject({ lists: 1, watchRestarts: 1 });
    expect(r.dataAgeMs()).toBeLessThan(300);
  });

  it('stops at once, cutting a list page in flight', async () => {
    sim.compact();
    kube = await startSimKube({ cluster: sim });
    kube.api.faults.delay(1, 20_000, /\/api\/v1\/nodes\?/);
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    const r = new Reflector<NodeRecord>({
      api: new KubeConfigApi(kc, new ApiMeter()),
      resource: 'nodes',
      path: '/api/v1/nodes',
      project: (o) => projectNode(o as NodeObject),
      logger: silentLogger,
    });
    void r.start();
    await eventually(() => expect(kube.api.faults.rules[0].left).toBe(0));
    await r.stop();
    expect(r.synced).toBe(false);
    expect(kube.api.requests.filter((q) => q.path === '/api/v1/nodes')).toEqual([]);
  });

  it('lists again when the server answers 410 as an HTTP status too', async () => {
    const r = await start();
    kube.api.faults.goneAsHttpStatus = true;
    kube.api.faults.dropWatches();
    sim.cordon('d');
    sim.compact();
    await eventually(() => expect(unschedulable(r, 'd')).toBe(true));
    expect(r.stats.relistsAfterGone).toBe(1);
  });

  it('waits out the Retry-After of a watch refused with HTTP 429 before watching again', async () => {
    const lines: Record<string, unknown>[] = [];
    const r = await start({ logger: recordingLogger(lines) });
    await eventually(() => expect(kube.api.faults.watches.size).toBe(1));
    meter.take();
    kube.api.faults.throttle(1, /watch=true/, 2);
    kube.api.faults.dropWatches();
    sim.cordon('a');
    await eventually(() => expect(unschedulable(r, 'a')).toBe(true), 5000);
    expect(
      nodeWatches()
        .map((q) => q.status)
        .slice(-2),
    ).toEqual([429, 200]);
    // The wait is the server's 2 s, not the 10–50 ms backoff this reflector is given.
    const retry = lines.find((l) => l.message === 'list/watch failed: retrying' && l.status === 429);
    expect(retry).toMatchObject({ retryInMs: 2000, error: expect.stringContaining('HTTP 429: Too many requests') });
    expect(meter.take()).toMatchObject({ apiThrottled: 1 });
    expect(r.stats.lists).toBe(1);
  });

  it('waits out 429s (Retry-After), counting them as throttled calls, and still syncs', async () => {
    sim.compact();
    const started = Date.now();
    kube = await startSimKube({ cluster: sim });
    kube.api.faults.throttle(2, /\/api\/v1\/nodes\?limit/, 1);
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    meter = new ApiMeter();
    reflector = new Reflector<NodeRecord>({
      api: new KubeConfigApi(kc, meter),
      resource: 'nodes',
      path: '/api/v1/nodes',
      project: (o) => projectNode(o as NodeObject),
      logger: silentLogger,
      backoff: { baseMs: 10, capMs: 50 },
    });
    await reflector.start();
    expect(reflector.items.size).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    // Two throttled pages, and the streaming list this 1.33-like server refuses (422).
    expect(meter.take()).toMatchObject({ apiThrottled: 2, apiErrors: 3 });
    expect(reflector.stats.failures).toBe(2);
    await kube.close();
  });

  it('restarts a watch that goes silent (no event, no bookmark)', async () => {
    const r = await start({ bookmarkIntervalMs: 60_000, idleTimeoutMs: 300 });
    await eventually(() => expect(r.stats.watchRestarts).toBeGreaterThanOrEqual(1), 3000);
    sim.cordon('a');
    await eventually(() => expect(unschedulable(r, 'a')).toBe(true));
    expect(r.stats.lists).toBe(1);
  });

  it('gives up on a watch whose server never answers, and opens another', async () => {
    sim.compact();
    kube = await startSimKube({ cluster: sim, bookmarkIntervalMs: 50 });
    kube.api.faults.delay(1, 3000, /watch=true/);
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    reflector = new Reflector<NodeRecord>({
      api: new KubeConfigApi(kc, new ApiMeter()),
      resource: 'nodes',
      path: '/api/v1/nodes',
      project: (o) => projectNode(o as NodeObject),
      logger: silentLogger,
      idleTimeoutMs: 300,
      backoff: { baseMs: 10, capMs: 50 },
    });
    await reflector.start();
    const r = reflector;
    sim.cordon('e');
    await eventually(() => expect(unschedulable(r, 'e')).toBe(true), 2500);
    expect(r.stats.watchRestarts).toBeGreaterThanOrEqual(1);
  });
});

describe('Reflector: streaming lists (sendInitialEvents), with the paged list as fallback', () => {
  it('takes the initial state from one watch, ended by the initial-events-end bookmark, and follows changes on it', async () => {
    const r = await start({ watchList: 'on' });
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(nodeLists()).toEqual([]);
    expect(nodeWatches()).toHaveLength(1);
    expect(nodeWatches()[0].query).toContain('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    expect(nodeWatches()[0].query).not.toContain('resourceVersion=');
    expect(r.stats).toMatchObject({ lists: 1, streamedLists: 1 });
    expect(changes.filter((c) => c.startsWith('added'))).toHaveLength(5);
    sim.cordon('c');
    await eventually(() => expect(unschedulable(r, 'c')).toBe(true));
    expect(nodeWatches()).toHaveLength(1);
  });

  it('relists after 410 by streaming again from the last resourceVersion seen, reporting what changed', async () => {
    const r = await start({ watchList: 'on' });
    kube.api.faults.dropWatches();
    sim.removeNode('e');
    sim.compact();
    await eventually(() => expect(r.items.has('e')).toBe(false));
    expect(r.stats).toMatchObject({ lists: 2, streamedLists: 2, relistsAfterGone: 1 });
    const relist = nodeWatches().filter((q) => q.query.includes('sendInitialEvents'))[1];
    expect(relist.query).toMatch(/sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=\d+/);
    expect(changes).toContain('deleted e');
    expect(nodeLists()).toEqual([]);
  });

  it('lists by pages when the server refuses streaming lists (422: the WatchList gate off), and asks only once', async () => {
    const lines: Record<string, unknown>[] = [];
    const r = await start({ watchList: 'off', logger: recordingLogger(lines) });
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(nodeWatches()[0].status).toBe(422);
    expect(nodeLists()).toHaveLength(3);
    expect(lines.find((l) => l.message === 'streaming lists refused or ignored by the API server: listing by pages')).toMatchObject({
      error: expect.stringContaining('sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'),
    });
    // A relist after 410 goes straight to pages.
    kube.api.faults.dropWatches();
    sim.cordon('b');
    sim.compact();
    await eventually(() => expect(unschedulable(r, 'b')).toBe(true));
    expect(nodeWatches().filter((q) => q.query.includes('sendInitialEvents'))).toHaveLength(1);
    expect(r.stats).toMatchObject({ lists: 2, streamedLists: 0 });
  });

  it('lists by pages when the server ignores the request (a bookmark without the end marker), dropping what it streamed', async () => {
    const r = await start({ watchList: 'ignored' });
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(nodeLists()).toHaveLength(3);
    expect(r.stats).toMatchObject({ lists: 1, streamedLists: 0 });
    // The state the ignoring server sent as ADDED events was not taken for a list: each node was added once.
    expect(changes.filter((c) => c.startsWith('added'))).toHaveLength(5);
    sim.cordon('d');
    await eventually(() => expect(unschedulable(r, 'd')).toBe(true));
  });

  it('lists by pages when the end marker does not come in time', async () => {
    // A server that takes the streaming list and sends nothing: only the deadline can tell.
    const r = await start({
      watchList: 'on',
      initialEventsTimeoutMs: 300,
      before: () => kube.api.faults.delay(1, 10_000, /sendInitialEvents=true/),
    });
    expect([...r.items.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(nodeLists()).toHaveLength(3);
    expect(r.stats).toMatchObject({ lists: 1, streamedLists: 0 });
  });
});
