/**
 * The simulated kubelet's eviction manager, as the kubelet runs it on every node: MemoryPressure when the
 * node's available memory falls under its hard eviction threshold (`evictionHard`, 100Mi by default on
 * EKS) and DiskPressure under 10% free nodefs, each with its taint, held for the pressure transition
 * period; one eviction per 10 s check, BestEffort and those furthest above their request first; and the
 * kernel's OOM killer for what grows faster than the checks. Evicted pods are recreated by their
 * controller (`EvictionHost.recreate`).
 */
import { formatBytes, parseBytes } from '../../model/quantity';
import { MINUTE_MS, type EpochMs } from '../../model/time';
import type { SimCluster } from './cluster';
import { sum, type PodModel } from './state';

const MiB = 1024 ** 2;

/** The kubelet's default hard eviction threshold on EKS: `memory.available<100Mi`. */
export const MEMORY_EVICTION_THRESHOLD = 100 * MiB;
/** `nodefs.available<10%`. */
export const DISK_EVICTION_SHARE = 0.1;
/** The kubelet keeps a pressure condition this long after the signal recovers (`eviction-pressure-transition-period`). */
const PRESSURE_TRANSITION_MS = 5 * MINUTE_MS;
/** The kubelet's housekeeping checks eviction signals every 10 s. */
export const EVICTION_CHECKS_PER_MINUTE = 6;

/** A restarted or new container starts at this share of its steady memory, and warms up from there. */
export const WARM_UP_START = 0.4;

/** What the eviction manager needs of the world around the cluster. */
export interface EvictionHost {
  /** Records what the cluster did, for the log and the report. */
  note(text: string): void;
  /** The scenario's `<group>/<index>` name of a node. */
  nodeRef(name: string): string | undefined;
  /** The owning controller replaces a pod that is gone. */
  recreate(p: PodModel): PodModel | undefined;
}

export class EvictionManager {
  /** Per node, since when each pressure condition's signal was last seen. */
  private readonly pressureSince = new Map<string, { memory?: EpochMs; disk?: EpochMs }>();

  constructor(
    private readonly kube: SimCluster,
    private readonly host: EvictionHost,
  ) {}

  /** nodefs: DiskPressure under 10% free, and evictions by ephemeral-storage use until it is back above. */
  checkDisks(diskFills: ReadonlyMap<string, number>): void {
    const now = this.kube.clock.now();
    for (const name of this.kube.nodeModels.keys()) {
      const n = this.kube.node(name);
      const rate = diskFills.get(name);
      if (rate) this.kube.setNodeStats(name, { disk: { usedBytes: Math.min(n.disk.capacityBytes, n.disk.usedBytes + rate) } });
      const running = () => this.kube.podsOn(name).filter((p) => p.phase === 'Running');
      const free = () => (n.disk.capacityBytes - n.disk.usedBytes - sum(running().map(ephemeralUse))) / n.disk.capacityBytes;
      const state = this.pressureSince.get(name) ?? {};
      if (free() < DISK_EVICTION_SHARE) {
        if (state.disk === undefined) {
          this.kube.setNodeCondition(name, 'DiskPressure', 'True');
          this.kube.addTaint(name, 'node.kubernetes.io/disk-pressure');
          this.host.note(`${this.host.nodeRef(name) ?? name} reports DiskPressure (${Math.round(free() * 100)}% free)`);
        }
        state.disk = now;
        // The pod using the most ephemeral storage above its request goes first, one per 10 s.
        for (let i = 0; i < EVICTION_CHECKS_PER_MINUTE && free() < DISK_EVICTION_SHARE; i++) {
          const victim = running()
            .filter((p) => p.owner?.kind !== 'DaemonSet' && ephemeralUse(p) > 0)
            .sort((a, b) => ephemeralUse(b) - ephemeralRequest(b) - (ephemeralUse(a) - ephemeralRequest(a)))[0];
          if (!victim || ephemeralUse(victim) < MiB) break;
          const top = victim.containers.reduce((a, c) =>
            c.usage.rootfsUsedBytes + c.usage.logsUsedBytes > a.usage.rootfsUsedBytes + a.usage.logsUsedBytes ? c : a,
          );
          const threshold = Math.round(n.disk.capacityBytes * DISK_EVICTION_SHARE);
          this.evict(
            victim,
            `The node was low on resource: ephemeral-storage. Threshold quantity: ${formatBytes(threshold)}, available: ${Math.max(0, Math.round((free() * n.disk.capacityBytes) / 1024))}Ki. Container ${top.spec.name} was using ${Math.round((top.usage.rootfsUsedBytes + top.usage.logsUsedBytes) / 1024)}Ki, request is ${top.spec.requests?.ephemeralStorageBytes ? formatBytes(top.spec.requests.ephemeralStorageBytes) : '0'}, has larger consumption of ephemeral-storage. `,
          );
          this.host.note(`${this.host.nodeRef(name) ?? name} evicts ${victim.namespace}/${victim.name} (ephemeral-storage)`);
        }
      } else if (state.disk !== undefined && now - state.disk >= PRESSURE_TRANSITION_MS) {
        state.disk = undefined;
        this.kube.setNodeCondition(name, 'DiskPressure', 'False');
        this.kube.removeTaint(name, 'node.kubernetes.io/disk-pressure');
      }
      this.pressureSince.set(name, state);
    }
  }

  /** The kubelet evicts a pod (its containers' writable layers and logs go with them); its controller replaces it. */
  evict(p: PodModel, message: string): void {
    this.kube.setPodPhase(p, 'Failed', { reason: 'Evicted', message });
    for (const c of p.containers) this.kube.setUsage(p, c.spec.name, { rootfsUsedBytes: 0, logsUsedBytes: 0 });
    this.host.recreate(p);
  }

  /**
   * One of the kubelet's memory checks (every 10 s): under the eviction threshold the node reports
   * MemoryPressure and evicts one pod — those using more than they request first, then by how far above it
   * — and the controller recreates it where it fits. What the kubelet did not reclaim in time, the kernel
   * does: below zero it OOM-kills the process with the highest oom_score.
   */
  checkMemory(silent: (node: string) => boolean): void {
    const now = this.kube.clock.now();
    for (const name of [...this.kube.nodeModels.keys()]) {
      if (silent(name)) continue;
      const n = this.kube.node(name);
      const live = () => this.kube.podsOn(name).filter((p) => p.phase !== 'Failed' && p.phase !== 'Succeeded');
      const available = () =>
        n.spec.capacity.memoryBytes -
        n.systemMemoryBytes -
        sum(live().flatMap((p) => p.containers.map((c) => c.usage.memoryWorkingSetBytes)));
      const state = this.pressureSince.get(name) ?? {};
      this.kernelOom(name, available);
      const threshold = n.spec.evictionHard?.['memory.available'];
      if (available() < (threshold ? parseBytes(threshold) : MEMORY_EVICTION_THRESHOLD)) {
        if (state.memory === undefined) {
          this.kube.setNodeCondition(name, 'MemoryPressure', 'True', {
            reason: 'KubeletHasInsufficientMemory',
            message: 'kubelet has insufficient memory available',
          });
          this.kube.addTaint(name, 'node.kubernetes.io/memory-pressure');
          this.host.note(`${this.host.nodeRef(name) ?? name} reports MemoryPressure (${formatBytes(available())} available)`);
        }
        state.memory = now;
        const request = (c: PodModel['containers'][number]) => c.spec.requests?.memoryBytes ?? 0;
        const over = (p: PodModel) => sum(p.containers.map((c) => c.usage.memoryWorkingSetBytes - request(c)));
        const victim = live()
          .filter((p) => p.owner?.kind !== 'DaemonSet')
          .sort((a, b) => Number(over(b) > 0) - Number(over(a) > 0) || over(b) - over(a))[0];
        if (victim) {
          const top = victim.containers.reduce((a, c) => (c.usage.memoryWorkingSetBytes > a.usage.memoryWorkingSetBytes ? c : a));
          const avail = available();
          this.evict(
            victim,
            `The node was low on resource: memory. Threshold quantity: 100Mi, available: ${Math.max(0, Math.round(avail / 1024))}Ki. Container ${top.spec.name} was using ${Math.round(top.usage.memoryWorkingSetBytes / 1024)}Ki, request is ${request(top) ? formatBytes(request(top)) : '0'}, has larger consumption of memory. `,
          );
          const replacement = [...this.kube.podModels.values()].find(
            (p) => p.workload === victim.workload && p.createdAt === now && !p.node,
          );
          this.host.note(
            `${this.host.nodeRef(name) ?? name} evicts ${victim.namespace}/${victim.name}${replacement ? `; its replacement is Pending: ${replacement.unschedulable?.message ?? ''}` : ''}`,
          );
        }
      } else if (state.memory !== undefined && now - state.memory >= PRESSURE_TRANSITION_MS) {
        state.memory = undefined;
        this.kube.setNodeCondition(name, 'MemoryPressure', 'False');
        this.kube.removeTaint(name, 'node.kubernetes.io/memory-pressure');
      }
      this.pressureSince.set(name, state);
    }
  }

  /** Memory gone faster than the kubelet's check: the kernel kills the process with the highest oom_score (a SystemOOM). */
  private kernelOom(node: string, available: () => number): void {
    const capacity = this.kube.node(node).spec.capacity.memoryBytes;
    while (available() < 0) {
      const running = this.kube
        .podsOn(node)
        .filter((p) => p.phase === 'Running')
        .flatMap((p) => p.containers.filter((c) => c.state === 'running').map((c) => ({ p, c })));
      const score = (x: (typeof running)[number]) => oomScoreAdj(x.p, capacity) + (1000 * x.c.usage.memoryWorkingSetBytes) / capacity;
      const victim = running.sort((a, b) => score(b) - score(a))[0];
      if (!victim) return;
      this.kube.oomKill(victim.p, victim.c.spec.name);
      // The restarted process starts small and warms up again.
      this.kube.setUsage(victim.p, victim.c.spec.name, {
        memoryWorkingSetBytes: Math.floor(
          (victim.c.spec.usage?.memoryWorkingSetBytes ?? victim.c.usage.memoryWorkingSetBytes) * WARM_UP_START,
        ),
      });
      this.kube.emitEvent({
        involvedObject: { kind: 'Node', name: node, uid: node },
        reason: 'SystemOOM',
        type: 'Warning',
        message: `System OOM encountered, victim process: ${victim.c.spec.name}, pid: ${4000 + (victim.c.restarts % 1000)}`,
        source: { component: 'kubelet', host: node },
      });
      this.host.note(
        `${this.host.nodeRef(node) ?? node}: the kernel OOM-kills ${victim.p.namespace}/${victim.p.name} ${victim.c.spec.name}`,
      );
    }
  }
}

/** A pod's ephemeral storage in use (writable layers, log files, emptyDir), and what it requests. */
export function ephemeralUse(p: PodModel): number {
  return sum(p.containers.map((c) => c.usage.rootfsUsedBytes + c.usage.logsUsedBytes));
}

function ephemeralRequest(p: PodModel): number {
  return sum(p.containers.map((c) => c.spec.requests?.ephemeralStorageBytes ?? 0));
}

/** The kubelet's oom_score_adj by QoS class: BestEffort 1000, Guaranteed -997, Burstable by its memory request. */
function oomScoreAdj(p: PodModel, capacity: number): number {
  const requests = sum(p.containers.map((c) => c.spec.requests?.memoryBytes ?? 0));
  if (requests === 0) return 1000;
  const guaranteed = p.containers.every(
    (c) =>
      c.spec.limits?.memoryBytes !== undefined &&
      c.spec.limits.memoryBytes === (c.spec.requests?.memoryBytes ?? c.spec.limits.memoryBytes) &&
      c.spec.limits.cpuMilli !== undefined,
  );
  if (guaranteed) return -997;
  return Math.min(999, Math.max(2, 1000 - Math.floor((1000 * requests) / capacity)));
}
