/**
 * What the 1.31 and 1.35 captures (test/fixtures/nri-kubernetes) say, read by hand from the raw JSON: the
 * figures every path from those captures to the store must keep.
 */
import type { ContainerUsage, NodeStats } from '../../../model/domain';

export interface CaptureFigures {
  readonly version: '1_31' | '1_35';
  /** The static pod: its mirror pod's name and uid, and the config hash its kubelet reports it under. */
  readonly etcd: { readonly name: string; readonly uid: string; readonly hash: string };
  readonly etcdUsage: ContainerUsage;
  readonly apiserverWorkingSet: number;
  /** Every container's working set on the node, summed. */
  readonly containersWorkingSet: number;
  /** The node's figures, where checked field by field. */
  readonly stats?: NodeStats;
}

export const CAPTURES: readonly CaptureFigures[] = [
  {
    version: '1_35',
    etcd: { name: 'etcd-datagen-1-35', uid: '0a29c6e7-a93e-426e-9148-c4186efc55c4', hash: 'eaf7d48161d81d9c3359e1c008571fd6' },
    etcdUsage: {
      memoryWorkingSetBytes: 44290048,
      memoryRssBytes: 42565632,
      rootfsUsedBytes: 40960,
      logsUsedBytes: 20480,
      swapUsageBytes: 0,
      psiMemoryFullAvg10: 0,
      psiCpuSomeAvg10: 0,
    },
    apiserverWorkingSet: 221794304,
    containersWorkingSet: 523374592,
    stats: {
      memoryWorkingSetBytes: 917110784,
      memoryAvailableBytes: 7299776512,
      memoryRssBytes: 710361088,
      fsAvailableBytes: 821203210240,
      fsCapacityBytes: 977896124416,
      fsInodesFree: 59206606,
      fsInodes: 60710912,
      imageFsAvailableBytes: 821203210240,
      imageFsCapacityBytes: 977896124416,
      imageFsInodesFree: 59206606,
      imageFsInodes: 60710912,
      containerFsAvailableBytes: 821203210240,
      containerFsCapacityBytes: 977896124416,
      swapUsageBytes: 0,
      swapAvailableBytes: 1073737728,
      psiMemorySomeAvg10: 0,
      psiMemoryFullAvg10: 0,
      psiCpuSomeAvg10: 75.83,
      processes: 814,
      maxPid: 62639,
    },
  },
  {
    version: '1_31',
    etcd: { name: 'etcd-datagen-1-31', uid: 'a932833e-a19c-4208-9984-99baade65186', hash: 'a9d723c948f6e052b5e5f90c6d73d3ef' },
    // 1.31 has no PSI: the figures are absent, not zero.
    etcdUsage: {
      memoryWorkingSetBytes: 33058816,
      memoryRssBytes: 32104448,
      rootfsUsedBytes: 36864,
      logsUsedBytes: 16384,
      swapUsageBytes: 0,
    },
    apiserverWorkingSet: 222912512,
    containersWorkingSet: 505085952,
  },
];

/** The Windows node of test/fixtures/windows-eks. */
export const WINDOWS_NODE = 'ip-192-168-44-84.us-west-2.compute.internal';

/**
 * Its figures from the second summary (`cur_…`), read by hand from the raw JSON. CPU: the node's
 * `usageCoreNanoSeconds` grew by 3,100,000,000 ns between the two summaries' `cpu.time`s, 60 s apart: 51.7 m.
 * Not here, because the kubelet does not measure them on Windows: RSS (reported as a placeholder 0), inode
 * counts (node fs has none; imageFs only `inodesUsed: 0`), PIDs (no `rlimit`), swap, PSI, containerFs.
 */
export const WINDOWS_STATS: NodeStats = {
  cpuMilli: 51.7,
  memoryWorkingSetBytes: 1026678784,
  memoryAvailableBytes: 7248187392,
  fsAvailableBytes: 51230019584,
  fsCapacityBytes: 85897244672,
  imageFsAvailableBytes: 51230019584,
  imageFsCapacityBytes: 85897244672,
};
