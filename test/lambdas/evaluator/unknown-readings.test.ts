/**
 * A node figure that becomes unknown is not a recovery. A Windows kubelet reports no PIDs (`rlimit`) and no
 * inode counts (test/fixtures/windows-eks), and any kubelet may leave a stat out: an alert raised on such a
 * figure is held while it is unknown, and resolves only when the figure is known and fine again. An alert on
 * a figure that stays known resolves as usual on the same node.
 */
import type { NodeStats } from '../../../model/domain';
import { useTestStore } from '../../support/store';
import { WINDOWS_STATS } from '../../agent/kubelet/capture-figures';
import { harness, type Harness } from './harness';

const { dynamo } = useTestStore();

const GiB = 1024 ** 3;
const now = { for: '0', resolveAfter: '0' };
const setStats = (h: Harness, f: (s: NodeStats) => NodeStats) => h.steady.updateNode(1, (r) => ({ ...r, stats: f(r.stats!) }));
/** The node's figures as a Windows kubelet gives them: what it does not measure is gone. */
const asWindows = ({
  processes: _p,
  maxPid: _m,
  fsInodes: _i,
  fsInodesFree: _f,
  imageFsInodes: _ii,
  imageFsInodesFree: _if,
  memoryRssBytes: _r,
  ...known
}: NodeStats): NodeStats => {
  expect(Object.keys(known).every((k) => k in WINDOWS_STATS || k === 'cpuMilli')).toBe(true);
  return known;
};
const told = (h: Harness, rule: string) =>
  h.publisher.of(rule).map((c) => `${c.kind}:${String(c.evidence?.signal ?? c.evidence?.usedPct ?? '')}`);

test('node-pids-low: held while the node reports no PIDs, resolved once they are known and fine', async () => {
  const h = await harness(dynamo, { nodes: 4, rules: { 'node-pids-low': now } });
  setStats(h, (s) => ({ ...s, processes: 3900, maxPid: 4096 }));
  await h.tick(1);
  expect(told(h, 'node-pids-low')).toEqual(['firing:95.2']);
  setStats(h, asWindows);
  await h.tick(3);
  expect(told(h, 'node-pids-low')).toEqual(['firing:95.2']);
  setStats(h, (s) => ({ ...s, processes: 800, maxPid: 4096 }));
  await h.tick(1);
  expect(told(h, 'node-pids-low')).toEqual(['firing:95.2', 'resolved:95.2']);
});

test('node-disk-low: an inode alert is held while inodes are unknown; a free-space alert on the same node resolves when space is back', async () => {
  const h = await harness(dynamo, { nodes: 4, rules: { 'node-disk-low': now } });
  setStats(h, (s) => ({ ...s, fsInodes: 5_000_000, fsInodesFree: 200_000 }));
  await h.tick(1);
  expect(told(h, 'node-disk-low')).toEqual(['firing:nodefs.inodesFree']);
  setStats(h, asWindows);
  await h.tick(3);
  expect(told(h, 'node-disk-low')).toEqual(['firing:nodefs.inodesFree']);
  // Inodes known and fine: resolved. Then free space runs low on the Windows node, and comes back.
  setStats(h, (s) => ({ ...s, fsInodes: 5_000_000, fsInodesFree: 4_000_000 }));
  await h.tick(1);
  setStats(h, (s) => ({ ...asWindows(s), fsAvailableBytes: 4 * GiB }));
  await h.tick(1);
  setStats(h, (s) => ({ ...s, fsAvailableBytes: 48 * GiB }));
  await h.tick(1);
  expect(told(h, 'node-disk-low')).toEqual([
    'firing:nodefs.inodesFree',
    'resolved:nodefs.inodesFree',
    'firing:nodefs.available',
    'resolved:nodefs.available',
  ]);
});
