import { readFileSync } from 'fs';
import * as path from 'path';
import { asSummary, CpuTracker, SummaryShapeError, usageOf } from '../../../agent/kubelet/summary';

const fixture = () => JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/kubelet/summary-example.json'), 'utf8'));

/** The fixture one minute later: every cumulative CPU counter grown by `millicores`, times moved on. */
function later(s: ReturnType<typeof fixture>, millicores: number, ms = 60_000) {
  const bump = (cpu: { time: string; usageCoreNanoSeconds: number } | undefined) => {
    if (!cpu) return;
    cpu.usageCoreNanoSeconds += millicores * 1e3 * ms;
    cpu.time = new Date(Date.parse(cpu.time) + ms).toISOString().replace('.000', '');
  };
  bump(s.node.cpu);
  for (const p of s.pods) for (const c of p.containers) bump(c.cpu);
  return s;
}

describe('the kubelet summary, as the agent reads it', () => {
  it('takes the node figures from the real fixture', () => {
    const u = usageOf(asSummary(fixture()), new CpuTracker());
    expect(u.stats).toEqual({
      memoryWorkingSetBytes: 2127441920,
      memoryAvailableBytes: 6236667904,
      memoryRssBytes: 670167040,
      fsAvailableBytes: 20231147520,
      fsCapacityBytes: 52775301120,
      fsInodesFree: 2680293,
      fsInodes: 3276800,
      imageFsAvailableBytes: 20231147520,
      imageFsCapacityBytes: 52775301120,
      imageFsInodesFree: 2680293,
      imageFsInodes: 3276800,
      processes: 1071,
      maxPid: 32768,
    });
    expect(u.pods.size).toBe(11);
    const phpmyadmin = u.pods.get('7208f2cd-7532-40c4-bc4c-d2473d3749bd');
    expect(phpmyadmin?.containers.get('phpmyadmin')).toEqual({
      memoryWorkingSetBytes: 2079113216,
      memoryRssBytes: 23146496,
      rootfsUsedBytes: 4198400,
      logsUsedBytes: 46727168,
    });
    expect(phpmyadmin?.ephemeralStorageUsedBytes).toBe(50925568);
  });

  it('computes CPU from the cumulative counter over two scrapes, not from usageNanoCores', () => {
    const cpu = new CpuTracker();
    usageOf(asSummary(fixture()), cpu);
    const u = usageOf(asSummary(later(fixture(), 250)), cpu);
    expect(u.stats.cpuMilli).toBe(250);
    expect(u.pods.get('7208f2cd-7532-40c4-bc4c-d2473d3749bd')?.containers.get('phpmyadmin')?.cpuMilli).toBe(250);
  });

  it('gives no CPU for a restarted container (new startTime), nor for a repeated (cached) sample, nor a counter that went back', () => {
    const cpu = new CpuTracker();
    usageOf(asSummary(fixture()), cpu);
    const restarted = later(fixture(), 100);
    restarted.pods[0].containers[0].startTime = '2020-09-16T03:30:30Z';
    restarted.pods[0].containers[0].cpu.usageCoreNanoSeconds = 1_000_000;
    const u = usageOf(asSummary(restarted), cpu);
    expect(u.pods.get(restarted.pods[0].podRef.uid)?.containers.get('phpmyadmin')?.cpuMilli).toBeUndefined();
    expect(u.pods.get(restarted.pods[9].podRef.uid)?.containers.get('grafana')?.cpuMilli).toBe(100);
    // The same sample again (the kubelet's cache): no rate, and the earlier sample is kept for the next.
    expect(usageOf(asSummary(restarted), cpu).stats.cpuMilli).toBeUndefined();
    const next = later(restarted, 30);
    expect(usageOf(asSummary(next), cpu).stats.cpuMilli).toBe(30);
    const back = later(fixture(), 0, 180_000);
    expect(usageOf(asSummary(back), cpu).stats.cpuMilli).toBeUndefined();
  });

  it('forgets containers it has not seen for a few cycles', () => {
    const cpu = new CpuTracker();
    usageOf(asSummary(fixture()), cpu);
    expect(cpu.size).toBe(13);
    for (let i = 0; i < 4; i++) cpu.nextGeneration(3);
    expect(cpu.size).toBe(0);
  });

  it('tolerates missing stats and refuses what is not a summary', () => {
    expect(usageOf(asSummary({ node: { nodeName: 'n' } }), new CpuTracker())).toEqual({ stats: {}, pods: new Map() });
    expect(() => asSummary({ kind: 'Status' })).toThrow(SummaryShapeError);
    expect(() => asSummary({ node: { nodeName: 'n' }, pods: {} })).toThrow(SummaryShapeError);
  });

  it("stores a Windows kubelet's placeholder zeros (rss, rootfs, logs) as unknown, and its real figures as they are", () => {
    // Synthetic, in the shape the issue describes for Windows nodes on EKS: no `rlimit`, no inode counts, zeros for what
    // the Windows stats provider does not measure, and no `usageNanoCores`.
    const windows = {
      node: {
        nodeName: 'win-1',
        memory: { time: '2026-06-26T10:14:35Z', availableBytes: 6e9, workingSetBytes: 2e9, rssBytes: 0 },
        fs: { time: '2026-06-26T10:14:35Z', availableBytes: 4e10, capacityBytes: 8e10, usedBytes: 4e10 },
      },
      pods: [
        {
          podRef: { name: 'iis', namespace: 'web', uid: 'u-iis' },
          containers: [{ name: 'iis', memory: { workingSetBytes: 1.5e8, rssBytes: 0 }, rootfs: { usedBytes: 0 }, logs: { usedBytes: 0 } }],
        },
      ],
    };
    const u = usageOf(asSummary(windows), new CpuTracker());
    expect(u.stats).toEqual({ memoryWorkingSetBytes: 2e9, memoryAvailableBytes: 6e9, fsAvailableBytes: 4e10, fsCapacityBytes: 8e10 });
    expect(u.pods.get('u-iis')?.containers.get('iis')).toEqual({ memoryWorkingSetBytes: 1.5e8 });
    // The same zeros from a Linux kubelet (rlimit and inodes present) are measurements: an empty log is 0 bytes.
    const linux = {
      ...windows,
      node: { ...windows.node, rlimit: { maxpid: 4194304, curproc: 300 }, fs: { ...windows.node.fs, inodes: 5e6, inodesFree: 4e6 } },
    };
    expect(usageOf(asSummary(linux), new CpuTracker()).pods.get('u-iis')?.containers.get('iis')).toEqual({
      memoryWorkingSetBytes: 1.5e8,
      memoryRssBytes: 0,
      rootfsUsedBytes: 0,
      logsUsedBytes: 0,
    });
  });

  it("takes a real Windows kubelet's CPU from its counters alone: unknown without them, never its usageNanoCores", () => {
    // test/fixtures/windows-eks: two real summaries a minute apart. The container says `usageNanoCores: 0`
    // while its counter grew by 187,500,000 ns in 60 s (3.1 m); the node's grew by 3,100,000,000 ns (51.7 m).
    const windows = (f: string, drop?: 'usageNanoCores' | 'usageCoreNanoSeconds') => {
      const s = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/windows-eks', f), 'utf8'));
      if (drop)
        for (const cpu of [s.node.cpu, ...s.pods.flatMap((p: { containers: { cpu: object }[] }) => p.containers.map((c) => c.cpu))])
          delete cpu[drop];
      return asSummary(s);
    };
    const uid = '01bfbe59-2925-4ad5-a8d3-a1b23e3ddd74';
    for (const drop of [undefined, 'usageNanoCores'] as const) {
      const tracker = new CpuTracker();
      usageOf(windows('pre_kubelet_stats_summary.json', drop), tracker);
      const u = usageOf(windows('cur_kubelet_stats_summary.json', drop), tracker);
      expect(u.stats.cpuMilli).toBe(51.7);
      expect(u.pods.get(uid)?.containers.get('windows-server-iis-ltsc2019')?.cpuMilli).toBe(3.1);
    }
    // Without the counters there is no CPU figure at all, not 0.
    const tracker = new CpuTracker();
    usageOf(windows('pre_kubelet_stats_summary.json', 'usageCoreNanoSeconds'), tracker);
    const u = usageOf(windows('cur_kubelet_stats_summary.json', 'usageCoreNanoSeconds'), tracker);
    expect(u.stats).not.toHaveProperty('cpuMilli');
    expect(u.pods.get(uid)?.containers.get('windows-server-iis-ltsc2019')).not.toHaveProperty('cpuMilli');
    // The node's placeholder RSS and its missing inodes and PIDs are unknown.
    for (const k of ['memoryRssBytes', 'fsInodes', 'fsInodesFree', 'imageFsInodes', 'imageFsInodesFree', 'processes', 'maxPid'])
      expect(u.stats).not.toHaveProperty(k);
  });

  it('drops a pressure average that is not a percentage', () => {
    const s = {
      node: { nodeName: 'n', memory: { psi: { some: { avg10: 140 }, full: { avg10: -1 } } }, cpu: { psi: { some: { avg10: 12.5 } } } },
    };
    expect(usageOf(asSummary(s), new CpuTracker()).stats).toEqual({ psiCpuSomeAvg10: 12.5 });
  });

  it('keeps container swap only where the node has swap on', () => {
    const summary = (nodeSwap: object) => ({
      node: { nodeName: 'n', swap: nodeSwap },
      pods: [
        {
          podRef: { name: 'p', namespace: 'ns', uid: 'u' },
          containers: [{ name: 'c', swap: { swapAvailableBytes: 0, swapUsageBytes: 0 } }],
        },
      ],
    });
    const on = usageOf(asSummary(summary({ swapAvailableBytes: 1073737728, swapUsageBytes: 0 })), new CpuTracker());
    expect(on.stats).toEqual({ swapAvailableBytes: 1073737728, swapUsageBytes: 0 });
    expect(on.pods.get('u')?.containers.get('c')).toEqual({ swapUsageBytes: 0 });
    const off = usageOf(asSummary(summary({ swapAvailableBytes: 0, swapUsageBytes: 0 })), new CpuTracker());
    expect(off.pods.get('u')?.containers.get('c')).toEqual({});
  });
});
