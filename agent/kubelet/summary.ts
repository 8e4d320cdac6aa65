/**
 * The kubelet Summary API (`GET /stats/summary`, kubelet `stats/v1alpha1`), reduced to what Vigil keeps.
 * Every stat is optional in the kubelet's schema (and missing on new containers), so is every figure here.
 * Dropped on purpose: per-interface network lists (hostNetwork pods repeat the host's ~30 interfaces),
 * volumes, page faults, accelerators and system containers.
 *
 * CPU is computed from two samples of the cumulative `usageCoreNanoSeconds`, as metrics-server does:
 * `usageNanoCores` averages over the kubelet's own window, which depends on who polled it last.
 */
import type { Container, ContainerUsage, NodeStats, Pod } from '../../model/domain';
import { epochMs } from '../kube/objects';
import type { Throttling } from './cadvisor';

/** Pressure stall information (kubelet 1.34+, KEP-4205): averages are % of time stalled. */
interface PsiStats {
  readonly some?: { readonly avg10?: number };
  readonly full?: { readonly avg10?: number };
}
interface CpuStats {
  readonly time?: string;
  readonly usageNanoCores?: number;
  readonly usageCoreNanoSeconds?: number;
  readonly psi?: PsiStats;
}
interface MemoryStats {
  readonly availableBytes?: number;
  readonly workingSetBytes?: number;
  readonly rssBytes?: number;
  readonly psi?: PsiStats;
}
interface SwapStats {
  readonly swapAvailableBytes?: number;
  readonly swapUsageBytes?: number;
}
interface FsStats {
  readonly availableBytes?: number;
  readonly capacityBytes?: number;
  readonly usedBytes?: number;
  readonly inodesFree?: number;
  readonly inodes?: number;
}
export interface ContainerStatsJson {
  readonly name: string;
  readonly startTime?: string;
  readonly cpu?: CpuStats;
  readonly memory?: MemoryStats;
  readonly rootfs?: FsStats;
  readonly logs?: FsStats;
  readonly swap?: SwapStats;
}
export interface PodStatsJson {
  readonly podRef: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly containers?: readonly ContainerStatsJson[];
  readonly 'ephemeral-storage'?: FsStats;
}
export interface SummaryJson {
  readonly node: {
    readonly nodeName: string;
    readonly startTime?: string;
    readonly cpu?: CpuStats;
    readonly memory?: MemoryStats;
    readonly fs?: FsStats;
    readonly runtime?: { readonly imageFs?: FsStats; readonly containerFs?: FsStats };
    readonly rlimit?: { readonly maxpid?: number; readonly curproc?: number };
    readonly swap?: SwapStats;
  };
  readonly pods?: readonly PodStatsJson[];
}

/** Thrown when a kubelet's answer is not a summary. */
export class SummaryShapeError extends Error {
  override readonly name = 'SummaryShapeError';
}

/** Checks the little the agent relies on; everything else is optional by the kubelet's own schema. */
export function asSummary(v: unknown): SummaryJson {
  const s = v as Partial<SummaryJson> | null;
  if (typeof s !== 'object' || s === null || typeof s.node !== 'object' || s.node === null || typeof s.node.nodeName !== 'string') {
    throw new SummaryShapeError('not a kubelet summary: `node.nodeName` is missing');
  }
  if (s.pods !== undefined && !Array.isArray(s.pods)) throw new SummaryShapeError('not a kubelet summary: `pods` is not a list');
  return s as SummaryJson;
}

/** The usage of one pod's containers, by container name, plus the pod's ephemeral storage. */
export interface PodUsage {
  readonly containers: ReadonlyMap<string, ContainerUsage>;
  readonly ephemeralStorageUsedBytes?: number;
}

export interface NodeUsage {
  readonly stats: NodeStats;
  /** By pod uid. */
  readonly pods: ReadonlyMap<string, PodUsage>;
  /** CPU throttling from `/metrics/cadvisor`, by `namespace/pod name` then container (absent when it could not be read). */
  readonly throttling?: ReadonlyMap<string, ReadonlyMap<string, Throttling>>;
}

interface CpuSample {
  readonly startTime: string;
  readonly time: number;
  readonly cumulativeNs: number;
  /** The tracker's generation when last seen, for pruning. */
  seen: number;
}

/**
 * Remembers the last CPU sample of every node and container and turns the next one into millicores.
 * No rate when there is no earlier sample, when `startTime` changed (a restart: the counter started over),
 * or when the counter went backwards. A sample no newer than the last (the kubelet's cache) is skipped
 * without losing the earlier one.
 */
export class CpuTracker {
  private readonly samples = new Map<string, CpuSample>();
  private generation = 0;

  millicores(key: string, startTime: string | undefined, cpu: CpuStats | undefined): number | undefined {
    const time = epochMs(cpu?.time);
    const cumulativeNs = cpu?.usageCoreNanoSeconds;
    if (time === undefined || cumulativeNs === undefined || !Number.isFinite(cumulativeNs)) return undefined;
    const start = startTime ?? '';
    const prev = this.samples.get(key);
    if (prev && prev.startTime === start && time <= prev.time) {
      prev.seen = this.generation;
      return undefined;
    }
    this.samples.set(key, { startTime: start, time, cumulativeNs, seen: this.generation });
    if (!prev || prev.startTime !== start) return undefined;
    const dNs = cumulativeNs - prev.cumulativeNs;
    if (dNs < 0) return undefined;
    // cores = dNs / (dtMs × 1e6); millicores = cores × 1000 = dNs / dtMs / 1000.
    return Math.round((dNs / (time - prev.time) / 1000) * 10) / 10;
  }

  /** Forgets what was not seen during the last `keep` generations; call once per cycle. */
  nextGeneration(keep = 3): void {
    this.generation++;
    for (const [k, s] of this.samples) if (this.generation - s.seen > keep) this.samples.delete(k);
  }

  get size(): number {
    return this.samples.size;
  }
}

const nonNegative = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const percent = (v: number | undefined) => (nonNegative(v) !== undefined && (v as number) <= 100 ? v : undefined);

/**
 * A Windows kubelet: it reports no `rlimit` (the PID stats are Linux-only) and no inode counts, and fills
 * rss, rootfs and logs with placeholder zeros. Those zeros are not measurements, so they are dropped.
 */
function isWindows(n: SummaryJson['node']): boolean {
  return n.rlimit === undefined && n.fs !== undefined && n.fs.inodes === undefined;
}

/** A figure the kubelet reports, or nothing when it is a Windows placeholder zero. */
const measured = (v: number | undefined, windows: boolean) => (windows && v === 0 ? undefined : nonNegative(v));

function defined<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** A summary's figures, with CPU rates from `tracker`. */
export function usageOf(s: SummaryJson, tracker: CpuTracker): NodeUsage {
  const n = s.node;
  const windows = isWindows(n);
  // Without swap on the node every container reports 0: a figure with nothing to say, left out.
  const swapOn = (n.swap?.swapAvailableBytes ?? 0) + (n.swap?.swapUsageBytes ?? 0) > 0;
  const stats = defined<NodeStats>({
    cpuMilli: tracker.millicores(`node/${n.nodeName}`, n.startTime, n.cpu),
    memoryWorkingSetBytes: nonNegative(n.memory?.workingSetBytes),
    memoryAvailableBytes: nonNegative(n.memory?.availableBytes),
    memoryRssBytes: measured(n.memory?.rssBytes, windows),
    fsAvailableBytes: nonNegative(n.fs?.availableBytes),
    fsCapacityBytes: nonNegative(n.fs?.capacityBytes),
    fsInodesFree: nonNegative(n.fs?.inodesFree),
    fsInodes: nonNegative(n.fs?.inodes),
    imageFsAvailableBytes: nonNegative(n.runtime?.imageFs?.availableBytes),
    imageFsCapacityBytes: nonNegative(n.runtime?.imageFs?.capacityBytes),
    imageFsInodesFree: nonNegative(n.runtime?.imageFs?.inodesFree),
    imageFsInodes: nonNegative(n.runtime?.imageFs?.inodes),
    containerFsAvailableBytes: nonNegative(n.runtime?.containerFs?.availableBytes),
    containerFsCapacityBytes: nonNegative(n.runtime?.containerFs?.capacityBytes),
    swapUsageBytes: nonNegative(n.swap?.swapUsageBytes),
    swapAvailableBytes: nonNegative(n.swap?.swapAvailableBytes),
    psiMemorySomeAvg10: percent(n.memory?.psi?.some?.avg10),
    psiMemoryFullAvg10: percent(n.memory?.psi?.full?.avg10),
    psiCpuSomeAvg10: percent(n.cpu?.psi?.some?.avg10),
    processes: integer(n.rlimit?.curproc),
    maxPid: integer(n.rlimit?.maxpid),
  });
  const pods = new Map<string, PodUsage>();
  for (const p of s.pods ?? []) {
    if (!p?.podRef?.uid) continue;
    const containers = new Map<string, ContainerUsage>();
    for (const c of p.containers ?? []) {
      if (!c?.name) continue;
      containers.set(
        c.name,
        defined<ContainerUsage>({
          cpuMilli: tracker.millicores(`${p.podRef.uid}/${c.name}`, c.startTime, c.cpu),
          memoryWorkingSetBytes: nonNegative(c.memory?.workingSetBytes),
          memoryRssBytes: measured(c.memory?.rssBytes, windows),
          rootfsUsedBytes: measured(c.rootfs?.usedBytes, windows),
          logsUsedBytes: measured(c.logs?.usedBytes, windows),
          swapUsageBytes: swapOn ? nonNegative(c.swap?.swapUsageBytes) : undefined,
          psiMemoryFullAvg10: percent(c.memory?.psi?.full?.avg10),
          psiCpuSomeAvg10: percent(c.cpu?.psi?.some?.avg10),
        }),
      );
    }
    pods.set(p.podRef.uid, defined<PodUsage>({ containers, ephemeralStorageUsedBytes: nonNegative(p['ephemeral-storage']?.usedBytes) }));
  }
  return { stats, pods };
}

/**
 * `p` with its containers' usage from its node's summary. A static pod is found under its config hash,
 * the uid its kubelet reports, not under the API's mirror pod uid.
 */
export function withUsage(p: Pod, usage: NodeUsage | undefined): Pod {
  const u = usage?.pods.get(p.configHash ?? p.uid);
  // cAdvisor names pods as the API does (a static pod by its mirror pod's name).
  const throttling = usage?.throttling?.get(`${p.namespace}/${p.name}`);
  if (!u && !throttling) return p;
  const containers = p.containers.map((c): Container => {
    const cu = { ...u?.containers.get(c.name), ...throttling?.get(c.name) };
    return Object.keys(cu).length ? { ...c, usage: cu } : c;
  });
  return {
    ...p,
    containers,
    ...(u?.ephemeralStorageUsedBytes !== undefined ? { ephemeralStorageUsedBytes: u.ephemeralStorageUsedBytes } : {}),
  };
}

function integer(v: number | undefined): number | undefined {
  const n = nonNegative(v);
  return n === undefined ? undefined : Math.floor(n);
}
